"""PostgreSQL-only trigram index for contains-searches on cylinder serials.

`serial_search LIKE '%…%'` (registry search, cylinder listing) scans every row without it:
about 100 ms at a million cylinders. A GIN index over trigrams (`pg_trgm`, a trusted extension
any database owner may create) turns it into an index scan. Alembic cannot compare
dialect-only indexes, so this one lives outside the models' Index list: the migration creates
it, and so does `create_all` (tests, benchmarks) through the listener below; the migration
check skips it by name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event

from traceability.models.registry import Cylinder

SERIAL_TRIGRAM_INDEX = "ix_cylinders_serial_search_trgm"
DATABASE_ONLY_INDEXES = frozenset({SERIAL_TRIGRAM_INDEX})


def create_serial_trigram_index(connection: Connection) -> None:
    """Install pg_trgm if needed and index cylinders.serial_search with it (idempotent)."""
    connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    schema = connection.exec_driver_sql(
        "SELECT quote_ident(n.nspname) FROM pg_extension e "
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    ).scalar_one()
    connection.exec_driver_sql(
        f"CREATE INDEX IF NOT EXISTS {SERIAL_TRIGRAM_INDEX} "
        f"ON cylinders USING gin (serial_search {schema}.gin_trgm_ops)"
    )


def _after_create(_table: Any, connection: Connection, **_: Any) -> None:
    if connection.dialect.name == "postgresql":
        create_serial_trigram_index(connection)


event.listen(Cylinder.__table__, "after_create", _after_create)


def include_in_comparison(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
    """Alembic `include_object`: leave the database-only indexes out of model comparisons."""
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)
