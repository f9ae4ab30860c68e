"""The benchmark data generator at a tiny scale: valid chain, verifiable labels, usable keys."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench import check
from bench.generate import Settings, generate
from bench.reference import bench_secrets
from label_service import keys
from traceability.crypto import Keyring
from traceability.db import Database
from traceability.labels.codec import parse_token, signature_holds
from traceability.ledger import personal
from traceability.models import Cylinder, Label, LedgerEntry, SigningKey
from traceability.models.enums import KeyStatus

NOW = 1_796_414_400  # 2026-12-04T20:00Z: fixed so the data set is reproducible
SCALE = 200


def _generated(url: str, **overrides: object) -> tuple[Database, dict]:
    settings = Settings(url, SCALE, chunk_size=70, workers=2, now=NOW)
    for name, value in overrides.items():
        setattr(settings, name, value)
    info = generate(settings, force=True)
    return Database(url), info


def _assert_valid(db: Database, info: dict) -> None:
    assert info["cylinders"] == SCALE
    assert 7 * SCALE <= info["ledger_entries"] <= 13 * SCALE
    assert check.chain_problems(db) == []
    assert check.token_problems(db, limit=10_000) == []
    with db.read() as session:
        kinds = dict(
            session.execute(select(LedgerEntry.kind, func.count()).group_by(LedgerEntry.kind)).all()
        )
        assert set(kinds) == {"fill", "dispatch", "sale", "receipt", "consumer_sale", "return"}
        currents = session.scalar(
            select(func.count()).select_from(Cylinder).where(Cylinder.current_label_id.is_not(None))
        )
        superseded = session.scalar(
            select(func.count()).select_from(Label).where(Label.superseded_at.is_not(None))
        )
        assert currents and superseded  # verification will see both current and old labels


def _assert_app_can_use(db: Database) -> None:
    """The label service opens the sealed keys; ledger code opens the sealed personal data."""
    keyring = Keyring(bench_secrets(2026)["MASTER_KEY"])
    with db.read() as session:
        label = session.scalars(
            select(Label)
            .join(SigningKey, SigningKey.id == Label.signing_key_id)
            .where(SigningKey.status == KeyStatus.ACTIVE)
        ).first()
        assert label is not None
        key = label.signing_key
        parsed = parse_token(label.token)
        signature = keys.signer(keyring, key).sign(parsed.payload)
        assert signature_holds(dataclasses.replace(parsed, signature=signature), key.public_key)
        sale = session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == "consumer_sale")
        ).first()
        assert sale is not None
        assert personal.unseal(keyring, sale)["customer_name"]


def test_sqlite_data_set_is_valid_and_reproducible(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    db, info = _generated(url)
    _assert_valid(db, info)
    _assert_app_can_use(db)
    db.dispose()
    again = generate(Settings(url, SCALE, chunk_size=70, now=NOW))
    assert again["reused"] is True
    other = f"sqlite:///{tmp_path / 'again.sqlite3'}"
    _, second = _generated(other)
    assert second["chain_head"] == info["chain_head"]  # same seed, same bytes, same chain


@pytest.mark.postgres
def test_postgres_copy_load_is_valid() -> None:
    from tests.tools import require_postgres

    base = make_url(require_postgres())
    url = base.set(database=f"{base.database}_benchgen").render_as_string(hide_password=False)
    db, info = _generated(url)
    try:
        _assert_valid(db, info)
        _assert_app_can_use(db)
        with db.read() as session:  # indexes and constraints were rebuilt after the COPY
            indexes = set(
                session.scalars(
                    text("SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_entries'")
                )
            )
            foreign = session.scalar(
                text(
                    "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                    "AND conrelid = 'ledger_entries'::regclass"
                )
            )
        assert {"ix_ledger_cylinder_time", "uq_ledger_entries_entry_uuid"} <= indexes
        assert foreign and foreign >= 5
    finally:
        db.dispose()
