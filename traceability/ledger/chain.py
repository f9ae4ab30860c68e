"""Appending to the hash chain: one global order, never forked, even with concurrent writers."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from traceability.db import utcnow
from traceability.models import ChainHead, LedgerEntry

GENESIS_HASH = "0" * 64
HEAD_ID = 1

# The fields an entry's hash covers, in canonical order; changing any of them breaks the chain.
HASHED_FIELDS = (
    "entry_uuid",
    "content_hash",
    "kind",
    "cylinder_id",
    "occurred_at",
    "recorded_at",
    "actor_org_id",
    "actor_facility_id",
    "counterparty_org_id",
    "counterparty_facility_id",
    "fill_id",
    "label_id",
    "details",
    "sealed_personal_data",
    "corrects_entry_id",
    "reason",
    "recorded_by_user_id",
    "recorded_by_device_id",
    "anomaly",
)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def canonical(entry: LedgerEntry) -> bytes:
    """The entry as sorted, compact JSON: what the hash is computed over."""
    body = {name: _plain(getattr(entry, name)) for name in HASHED_FIELDS}
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def entry_hash(prev_hash: str, entry: LedgerEntry) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(entry)).hexdigest()


def _select_head_for_update(session: Session) -> ChainHead | None:
    return session.scalar(
        select(ChainHead)
        .where(ChainHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_head(session: Session) -> ChainHead:
    """Take the chain head row for update (creating it on first use): serialises appenders.

    On PostgreSQL the row lock makes every other appender wait until this transaction ends, then
    re-read the committed head (READ COMMITTED re-checks the locked row); SQLite writers already
    hold the database write lock (BEGIN IMMEDIATE).
    """
    head = _select_head_for_update(session)
    if head is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(ChainHead)
            .values(id=HEAD_ID, last_entry_id=None, last_hash=GENESIS_HASH)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = _select_head_for_update(session)
    assert head is not None
    return head


def _apply_defaults(entry: LedgerEntry) -> None:
    """Column defaults fire at INSERT, after hashing; set them first so the hash sees them."""
    if entry.details is None:
        entry.details = {}
    if entry.anomaly is None:
        entry.anomaly = False
    if entry.recorded_at is None:
        entry.recorded_at = utcnow()


def append(session: Session, entries: Sequence[LedgerEntry]) -> None:
    """Chain and insert entries in the caller's transaction; call it last, just before commit.

    Timestamps must be set by the caller (occurred_at, recorded_at) since they are hashed.
    """
    if not entries:
        return
    head = lock_head(session)
    previous = head.last_hash
    for entry in entries:
        _apply_defaults(entry)
        entry.prev_hash = previous
        entry.entry_hash = previous = entry_hash(previous, entry)
    session.add_all(entries)
    session.flush()
    head.last_hash = previous
    head.last_entry_id = entries[-1].id
