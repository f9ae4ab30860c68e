"""The one Alembic history builds exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL
from traceability import migrate
from traceability.db import Base, make_engine
from traceability.models.search_indexes import include_in_comparison


def _scratch_url(tmp_path: Path) -> str:
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    engine = make_engine(TEST_DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_check"))
    engine.dispose()
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    return f"{TEST_DATABASE_URL}{separator}options=-csearch_path%3Dmigration_check"


def test_alembic_head_matches_models(tmp_path: Path) -> None:
    url = _scratch_url(tmp_path)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            opts = {"compare_type": True, "include_object": include_in_comparison}
            context = MigrationContext.configure(connection, opts=opts)
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == [], "models changed without a migration: lpgtrace db revision"


def test_upgrade_is_repeatable(tmp_path: Path) -> None:
    url = _scratch_url(tmp_path)
    migrate.upgrade(url)
    migrate.upgrade(url)


def test_migration_installs_the_append_only_triggers(tmp_path: Path) -> None:
    from traceability.ledger import triggers

    url = _scratch_url(tmp_path)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert triggers.installed(connection)
    finally:
        engine.dispose()
