"""Appending to the hash chain: one global order, never forked, even with concurrent writers."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, func, insert, select, text
from sqlalchemy.orm import Session

from traceability.db import upsert_insert, utcnow
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
        session.execute(
            upsert_insert(session.get_bind())(ChainHead)
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


@dataclass(slots=True)
class EntryRow:
    """A ledger entry as plain values, for bulk appends that need no ORM object per entry."""

    entry_uuid: str
    content_hash: str
    kind: str
    cylinder_id: int
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    actor_org_id: int
    actor_facility_id: int | None = None
    counterparty_org_id: int | None = None
    counterparty_facility_id: int | None = None
    fill_id: int | None = None
    label_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    sealed_personal_data: bytes | None = None
    corrects_entry_id: int | None = None
    reason: str | None = None
    recorded_by_user_id: int | None = None
    recorded_by_device_id: int | None = None
    anomaly: bool = False
    prev_hash: str = ""
    entry_hash: str = ""
    id: int | None = None

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "id"}


def insert_returning_ids(
    session: Session, table: Any, unique_key: str, rows: list[dict[str, Any]]
) -> list[int]:
    """Bulk INSERTs (Core, no ORM objects) that hand back the new ids in row order.

    On PostgreSQL ids are matched back through a unique column of the RETURNING rows.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return _insert_with_next_ids(connection, table, rows)
    result = connection.execute(*_unnest_insert(connection.dialect, table, unique_key, rows))
    found = {key: row_id for row_id, key in result}
    return [found[row[unique_key]] for row in rows]


def _insert_with_next_ids(connection: Any, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """SQLite: take the next ids and run one prepared INSERT over all rows (executemany).

    Writers hold the database's write lock from their first statement (BEGIN IMMEDIATE), so no
    one else can take these ids; a multi-row INSERT ... RETURNING costs several times more to
    build than to run. Tables that are never deleted from, so max(id) + 1 is what SQLite's
    own rowid choice would be.
    """
    last = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    ids = list(range(last + 1, last + 1 + len(rows)))
    connection.execute(
        insert(table), [{**row, "id": row_id} for row, row_id in zip(rows, ids, strict=True)]
    )
    return ids


def unnest_columns(
    dialect: Any, columns: Sequence[Any], rows: Sequence[dict[str, Any]]
) -> tuple[str, dict[str, list[Any]]]:
    """`unnest(CAST(:c0 AS type[]), ...)` over one array per column, and those arrays.

    PostgreSQL then gets one short statement with one parameter per column: a multi-row VALUES
    of 500 rows costs more to build and to parse (psycopg splits its placeholders) than to run.
    """
    arrays, params = [], {}
    for number, column in enumerate(columns):
        process = column.type.bind_processor(dialect)
        if isinstance(column.type, JSON):
            process = _json_text(dialect)
        values = [row[column.key] for row in rows]
        params[f"c{number}"] = [process(v) for v in values] if process else values
        arrays.append(f"CAST(:c{number} AS {column.type.compile(dialect)}[])")
    return f"unnest({', '.join(arrays)})", params


def _json_text(dialect: Any) -> Any:
    serialise = getattr(dialect, "_json_serializer", None) or json.dumps
    return lambda value: None if value is None else serialise(value)


def _unnest_insert(
    dialect: Any, table: Any, unique_key: str, rows: Sequence[dict[str, Any]]
) -> tuple[Any, dict[str, list[Any]]]:
    columns = [table.c[name] for name in rows[0]]
    source, params = unnest_columns(dialect, columns, rows)
    names = ", ".join(column.name for column in columns)
    # Identifiers come from the table metadata; every value is a bound parameter.
    sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM {source} RETURNING id, {unique_key}"  # noqa: S608
    return text(sql), params


def append_rows(session: Session, rows: Sequence[EntryRow]) -> None:
    """`append` for plain rows: the same chain and hashes, written in one bulk INSERT."""
    if not rows:
        return
    head = lock_head(session)
    previous = head.last_hash
    for row in rows:
        row.prev_hash = previous
        row.entry_hash = previous = entry_hash(previous, row)  # type: ignore[arg-type]
    ids = insert_returning_ids(
        session, LedgerEntry.__table__, "entry_uuid", [row.values() for row in rows]
    )
    for row, entry_id in zip(rows, ids, strict=True):
        row.id = entry_id
    head.last_hash = previous
    head.last_entry_id = rows[-1].id
