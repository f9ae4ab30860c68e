"""Persistence plumbing: the typed declarative base, column aliases, engine and sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores UTC on every backend and always hands back timezone-aware datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


BigId = BigInteger().with_variant(Integer, "sqlite")

intpk = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
str16 = Annotated[str, 16]
str32 = Annotated[str, 32]
str64 = Annotated[str, 64]
str128 = Annotated[str, 128]
str255 = Annotated[str, 255]
str512 = Annotated[str, 512]
kg = Annotated[Decimal, mapped_column(Numeric(8, 2))]
utc = Annotated[dt.datetime, mapped_column(UTCDateTime())]


class Base(DeclarativeBase):
    """Shared base: naming conventions so Alembic migrations name constraints identically."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        str16: String(16),
        str32: String(32),
        str64: String(64),
        str128: String(128),
        str255: String(255),
        str512: String(512),
        str: String(255),
        dict[str, Any]: JSON,
        list[str]: JSON,
        bytes: LargeBinary,
        dt.datetime: UTCDateTime(),
        int: BigId,
    }


def upsert_insert(bind: Any) -> Any:
    """The INSERT construct that supports ON CONFLICT on this database (PostgreSQL or SQLite)."""
    return pg_insert if bind.dialect.name == "postgresql" else sqlite_insert


def utcnow() -> dt.datetime:
    """The one clock the domain reads, so tests can reason about it."""
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    # Checkpoint the WAL every ~40 MB instead of every 4 MB: a 500-fill batch writes more than
    # 4 MB of pages, so the default checkpointed (and fsynced) on nearly every batch.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql(begin))
    return engine


def make_engine(url: str, pool_size: int = 10, *, for_writes: bool = True) -> Engine:
    """An engine tuned per backend.

    SQLite writers start with BEGIN IMMEDIATE so that a unit of work that reads, then writes,
    cannot fail with SQLITE_BUSY_SNAPSHOT when another writer committed in between; readers keep
    deferred transactions so they never wait for writers (WAL).
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        return _sqlite_engine(url, "BEGIN IMMEDIATE" if for_writes else "BEGIN")
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800
    )


class Database:
    """The app's handle on storage: services open units of work through it."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_engine = (
            make_engine(url, pool_size, for_writes=False)
            if url.startswith("sqlite")
            else self.engine
        )
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        self._dispose_hooks: list[Callable[[], None]] = []

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any exception."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session; nothing it does is committed."""
        with self.read_sessions() as session:
            yield session
            session.rollback()

    def on_dispose(self, hook: Callable[[], None]) -> None:
        """Close resources built on this database (e.g. a dedicated pool) with it."""
        self._dispose_hooks.append(hook)

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()
        for hook in self._dispose_hooks:
            hook()
