"""Backups are consistent copies, listed newest first, and restore brings back that version."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.conftest import ON_POSTGRES
from tests.tools import require
from traceability.models import Organisation


def _orgs(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Organisation))


def test_backup_and_restore_to_a_chosen_version(app, db, tmp_path):
    if ON_POSTGRES:
        require(shutil.which("pg_dump") is not None, "pg_dump", "apt-get install postgresql-client")
    runner = app.test_cli_runner()
    with db.transaction() as session:
        f.organisation(session, "Công ty trước sao lưu")
    first = runner.invoke(args=["backup", "--dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    with db.transaction() as session:
        f.organisation(session, "Công ty sau sao lưu")
    assert _orgs(db) == 2
    listed = runner.invoke(args=["backups", "--dir", str(tmp_path)])
    name = listed.output.split()[0]
    db.dispose()
    restored = runner.invoke(args=["restore", "--yes", str(tmp_path / name)])
    assert restored.exit_code == 0, restored.output
    assert _orgs(db) == 1


def test_restore_refuses_the_wrong_kind_of_file(app, tmp_path):
    wrong = tmp_path / ("x.pgdump" if not ON_POSTGRES else "x.sqlite3")
    wrong.write_bytes(b"not a backup")
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(wrong)])
    assert result.exit_code != 0
    assert isinstance(result.exception, ValueError)


@pytest.mark.parametrize("answer", ["n\n"])
def test_restore_asks_before_replacing(app, tmp_path, answer):
    backup_file = tmp_path / "lpgtrace-x.sqlite3"
    backup_file.write_bytes(b"")
    result = app.test_cli_runner().invoke(args=["restore", str(backup_file)], input=answer)
    assert result.exit_code == 1 and "Aborted" in result.output
