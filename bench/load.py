"""Writing generated rows: PostgreSQL by COPY with constraints deferred, SQLite by executemany."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import traceability.models  # noqa: F401  (registers every table)
from bench.history import MAX_CYCLES, Chunk
from bench.rows import (
    CYLINDER_COLUMNS,
    FILL_COLUMNS,
    LABEL_COLUMNS,
    LEDGER_COLUMNS,
    SCAN_COLUMNS,
)
from traceability.db import Base
from traceability.ledger.chain import GENESIS_HASH
from traceability.models.search_indexes import DATABASE_ONLY_INDEXES

BIG_TABLES = ("cylinders", "fills", "labels", "ledger_entries", "scans")
MARKER_TABLE = "bench_dataset"
TOKENS_TABLE = "bench_tokens"
CHUNKS_TABLE = "bench_chunks"  # committed chunks: what a resumed run skips
TABLE_ROWS = (
    ("cylinders", CYLINDER_COLUMNS, "cylinders"),
    ("fills", FILL_COLUMNS, "fills"),
    ("labels", LABEL_COLUMNS, "labels"),
    ("ledger_entries", LEDGER_COLUMNS, "ledger"),
    ("scans", SCAN_COLUMNS, "scans"),
    (TOKENS_TABLE, ("token", "verdict", "chunk"), "tokens"),
)


def libpq_dsn(url: str) -> str:
    """SQLAlchemy URL → libpq URL for psycopg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def schema_fingerprint() -> str:
    """Tables, columns, types and indexes of the models: a reused data set must match them."""
    parts = []
    for table in Base.metadata.sorted_tables:
        parts += [f"{table.name}.{c.name}:{c.type!r}:{c.nullable}" for c in table.columns]
        parts += sorted(f"{table.name}#{index.name}" for index in table.indexes)
    parts += sorted(DATABASE_ONLY_INDEXES)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def read_marker(url: str, name: str = "dataset") -> dict | None:
    """The generator's record of what this database holds, or None if it holds nothing usable."""
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            value = connection.execute(
                text(f"SELECT value FROM {MARKER_TABLE} WHERE name = :n"),  # noqa: S608
                {"n": name},
            ).scalar()
        engine.dispose()
    except Exception:  # no database, no table: nothing to reuse
        return None
    return json.loads(value) if value else None


def write_marker(url: str, info: dict, name: str = "dataset") -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(f"INSERT INTO {MARKER_TABLE} (name, value) VALUES (:n, :v)"),  # noqa: S608
            {"n": name, "v": json.dumps(info)},
        )
    engine.dispose()


def recreate_database(url: str) -> None:
    """Start from an empty database of the current models (schema from Base.metadata)."""
    parsed = make_url(url)
    if is_sqlite(url):
        path = Path(parsed.database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        admin = libpq_dsn(parsed.set(database="postgres").render_as_string(hide_password=False))
        with psycopg.connect(admin, autocommit=True) as connection:
            name = parsed.database
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            text(f"CREATE TABLE {MARKER_TABLE} (name VARCHAR(64) PRIMARY KEY, value TEXT)")
        )
        connection.execute(
            text(
                f"CREATE TABLE {CHUNKS_TABLE} (idx INT PRIMARY KEY, last_id BIGINT, "
                "last_hash VARCHAR(64), counts TEXT)"
            )
        )
        connection.execute(
            text(
                f"CREATE TABLE {TOKENS_TABLE} (token VARCHAR(512), verdict VARCHAR(32), chunk INT)"
            )
        )
    engine.dispose()


def defer_constraints(connection: psycopg.Connection) -> list[str]:
    """Drop secondary indexes, unique and foreign keys of the big tables; return the DDL to restore."""
    restore_first, restore_last = [], []
    for table in BIG_TABLES:
        for name, definition, kind in connection.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
            (table,),
        ):
            connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            ddl = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            (restore_last if kind == "f" else restore_first).append(ddl)
        for name, definition in connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            (table, table),
        ).fetchall():
            connection.execute(f'DROP INDEX "{name}"')
            restore_first.append(definition)
    return restore_first + restore_last


def finish_postgres(url: str, restore: list[str], head: tuple[int, str]) -> dict[str, float]:
    """Rebuild indexes and constraints, move sequences past our ids, set the chain head, ANALYZE."""
    import time

    timings: dict[str, float] = {}
    with psycopg.connect(libpq_dsn(url), autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        for ddl in restore:
            connection.execute(ddl)
        timings["indexes_and_constraints_s"] = time.perf_counter() - started
        for table in ("cylinders", "fills", "labels", "ledger_entries"):
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        connection.execute(
            "INSERT INTO ledger_chain_head (id, last_entry_id, last_hash) VALUES (1, %s, %s)", head
        )
        started = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        timings["vacuum_analyze_s"] = time.perf_counter() - started
    return timings


def copy_chunk(connection: psycopg.Connection, chunk: Chunk, head: tuple[int, str]) -> None:
    """COPY every table's rows of one chunk, and record the chunk done, in one transaction."""
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CHUNKS_TABLE} (idx, last_id, last_hash, counts) "  # noqa: S608
            "VALUES (%s, %s, %s, %s)",
            (chunk.index, head[0], head[1], json.dumps(chunk_counts(chunk))),
        )
        for table, columns, attr in TABLE_ROWS:
            rows = getattr(chunk, attr)
            if not rows:
                continue
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def chunk_counts(chunk: Chunk) -> dict[str, int]:
    return {
        "cylinders": len(chunk.cylinders),
        "fills": len(chunk.fills),
        "ledger_entries": len(chunk.ledger),
        "scans": len(chunk.scans),
    }


def resume_point(url: str, chunk_size: int) -> tuple[int, tuple[int, str], dict[str, int]]:
    """First chunk not yet committed after an unbroken run from 0; rows beyond it are removed.

    Chunks commit out of order (two workers), so a killed run can leave a later chunk behind a
    missing one: it is deleted (with triggers bypassed: superuser maintenance, bench data only).
    """
    totals = {"cylinders": 0, "fills": 0, "ledger_entries": 0, "scans": 0}
    with psycopg.connect(libpq_dsn(url), autocommit=True) as connection:
        done, head = 0, (0, GENESIS_HASH)
        for idx, last_id, last_hash, counts in connection.execute(
            f"SELECT idx, last_id, last_hash, counts FROM {CHUNKS_TABLE} ORDER BY idx"  # noqa: S608
        ):
            if idx != done:
                break
            done, head = done + 1, (last_id, last_hash)
            for key, value in json.loads(counts).items():
                totals[key] += value
        connection.execute("SET session_replication_role = replica")
        for statement, value in (
            ("DELETE FROM ledger_entries WHERE id > %s", head[0]),
            ("DELETE FROM cylinders WHERE id > %s", done * chunk_size),
            ("DELETE FROM fills WHERE id > %s", done * chunk_size * MAX_CYCLES),
            ("DELETE FROM labels WHERE id > %s", done * chunk_size * MAX_CYCLES),
            ("DELETE FROM scans WHERE cylinder_id > %s", done * chunk_size),
            (f"DELETE FROM {TOKENS_TABLE} WHERE chunk >= %s", done),  # noqa: S608
            (f"DELETE FROM {CHUNKS_TABLE} WHERE idx >= %s", done),  # noqa: S608
        ):
            connection.execute(statement, (value,))
    return done, head, totals


def sqlite_connection(url: str) -> sqlite3.Connection:
    connection = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    return connection


def insert_chunk_sqlite(connection: sqlite3.Connection, chunk: Chunk) -> None:
    connection.execute("BEGIN")
    for table, columns, attr in TABLE_ROWS:
        rows: Iterable = getattr(chunk, attr)
        marks = ", ".join("?" * len(columns))
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )
    connection.execute("COMMIT")


def finish_sqlite(connection: sqlite3.Connection, head: tuple[int, str]) -> None:
    connection.execute(
        "INSERT INTO ledger_chain_head (id, last_entry_id, last_hash) VALUES (1, ?, ?)", head
    )
    connection.execute("ANALYZE")
