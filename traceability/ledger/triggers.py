"""Database triggers that make `ledger_entries` append-only, on SQLite and on PostgreSQL.

`install(connection)` is idempotent. `Base.metadata.create_all` runs it through the
`after_create` hook in `traceability.models.custody`; the Alembic migration calls
`triggers.install(op.get_bind())` after creating the table.

The PostgreSQL triggers are ordinary (ENABLE ORIGIN) triggers: a maintenance session that sets
`session_replication_role = replica` (the test suite's cleanup, a restore) bypasses them, which
also needs superuser rights, so the application's own role never can.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

TABLE = "ledger_entries"
REFUSAL = "ledger_entries is append-only: correct a mistake with a correcting entry"

SQLITE_DDL = (
    f"""CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
)

POSTGRES_DDL = (
    f"""CREATE OR REPLACE FUNCTION ledger_entries_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSAL} (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END
    $$""",
    f"DROP TRIGGER IF EXISTS ledger_entries_no_update_delete ON {TABLE}",
    f"""CREATE TRIGGER ledger_entries_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_refuse_change()""",
    f"DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_refuse_change()""",
)

TRIGGER_NAMES = {
    "sqlite": ("ledger_entries_no_update", "ledger_entries_no_delete"),
    "postgresql": ("ledger_entries_no_update_delete", "ledger_entries_no_truncate"),
}


def install(connection: Connection) -> None:
    """Create (or replace) the append-only triggers for the connection's database."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        statements = POSTGRES_DDL
    elif dialect == "sqlite":
        statements = SQLITE_DDL
    else:
        raise RuntimeError(f"no append-only triggers for {dialect}; refusing to run unprotected")
    for statement in statements:
        connection.execute(text(statement))


def uninstall(connection: Connection) -> None:
    """Remove the triggers (Alembic downgrade only; the ledger is unprotected afterwards)."""
    dialect = connection.dialect.name
    for name in TRIGGER_NAMES.get(dialect, ()):
        connection.execute(
            text(
                f"DROP TRIGGER IF EXISTS {name}"
                + (f" ON {TABLE}" if dialect == "postgresql" else "")
            )
        )
    if dialect == "postgresql":
        connection.execute(text("DROP FUNCTION IF EXISTS ledger_entries_refuse_change()"))


def installed(connection: Connection) -> set[str]:
    """Names of our triggers present in the database (for health checks and tests)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger_entries'::regclass"
    else:
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries'"
        )
    present = {row[0] for row in connection.execute(text(query))}
    return present & set(TRIGGER_NAMES.get(dialect, ()))
