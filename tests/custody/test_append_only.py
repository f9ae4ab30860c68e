"""The ledger is append-only (database triggers) and tamper-evident (the hash chain check)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.custody.conftest import event
from tests.tools import require_postgres
from traceability.db import Database, utcnow
from traceability.ledger import chain, integrity, triggers
from traceability.models import ChainHead, LedgerEntry
from traceability.models.enums import Role
from traceability.permissions import Principal

ADMIN = Principal(role=Role.ADMIN, organisation_id=0, name="test")


def some_entries(custody, world, n=3):
    for _ in range(n):
        custody.record(world.trader_a, event("reported_lost", world.cyl_a))


def verify(client, headers, **query):
    response = client.get("/api/v1/ledger/verify", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def tamper(db: Database, statement: str, **params) -> None:
    """Change the ledger behind the application's back, with the triggers out of the way."""
    with db.engine.begin() as connection:
        if db.is_postgres:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for name in triggers.TRIGGER_NAMES["sqlite"]:
                connection.execute(text(f"DROP TRIGGER {name}"))
        connection.execute(text(statement), params)


def test_triggers_are_installed_by_create_all(db):
    with db.engine.connect() as connection:
        assert triggers.installed(connection) == set(triggers.TRIGGER_NAMES[db.engine.dialect.name])


def test_install_is_idempotent_and_uninstall_reverses_it(db):
    expected = set(triggers.TRIGGER_NAMES[db.engine.dialect.name])
    try:
        with db.engine.begin() as connection:
            triggers.uninstall(connection)
            assert triggers.installed(connection) == set()
    finally:
        with db.engine.begin() as connection:
            triggers.install(connection)
            triggers.install(connection)
            assert triggers.installed(connection) == expected


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET reason = 'rewritten'",
        "UPDATE ledger_entries SET anomaly = NOT anomaly WHERE id = 1",
        "DELETE FROM ledger_entries",
        "DELETE FROM ledger_entries WHERE id = 2",
    ],
)
def test_database_refuses_update_and_delete(custody, world, db, statement):
    some_entries(custody, world)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text(statement))
    with db.read() as s:
        assert len(s.scalars(select(LedgerEntry.id)).all()) == 3


def test_orm_cannot_edit_an_entry_either(custody, world, db):
    some_entries(custody, world, 1)
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
        s.scalar(select(LedgerEntry)).details = {"edited": True}


def test_postgres_refuses_truncate(custody, world, db):
    require_postgres()
    some_entries(custody, world, 1)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("TRUNCATE ledger_entries CASCADE"))


def test_intact_chain_passes(custody, world, client):
    some_entries(custody, world, 5)
    report = verify(client, custody.headers(world.admin))
    assert report["ok"] is True and report["complete"] is True and report["head_checked"]
    assert report["checked"] == 5 and report["broken"] is None
    part = verify(client, custody.headers(world.admin), from_id=2, limit=2)
    assert (part["ok"], part["checked"], part["first_id"], part["last_id"], part["complete"]) == (
        True,
        2,
        2,
        3,
        False,
    )


def test_chain_check_is_for_admins_only(client, custody, world):
    for user in (world.inspector, world.trader_a, world.shop_user):
        response = client.get("/api/v1/ledger/verify", headers=custody.headers(user))
        assert response.status_code == 403
    assert client.get("/api/v1/ledger/verify").status_code == 401


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            "UPDATE ledger_entries SET counterparty_org_id = NULL, reason = 'x' WHERE id = 3",
            "content_changed",
        ),
        ("UPDATE ledger_entries SET anomaly = NOT anomaly WHERE id = 3", "content_changed"),
        ("UPDATE ledger_entries SET details = '{\"forged\": 1}' WHERE id = 3", "content_changed"),
        ("DELETE FROM ledger_entries WHERE id = 3", "link_broken"),
        ("UPDATE ledger_entries SET prev_hash = entry_hash WHERE id = 3", "link_broken"),
    ],
)
def test_chain_check_finds_the_first_tampered_entry(custody, world, client, db, statement, problem):
    some_entries(custody, world, 5)
    tamper(db, statement)
    report = verify(client, custody.headers(world.admin))
    assert report["ok"] is False and report["broken"]["id"] in (3, 4)
    assert report["broken"]["problem"] == problem
    assert report["broken"]["expected_hash"] != report["broken"]["stored_hash"]
    assert report["checked"] == 2


def test_rehashing_one_entry_still_breaks_the_next_link(custody, world, db):
    """A forger who recomputes the changed entry's hash must rewrite every later entry too."""
    some_entries(custody, world, 4)
    with db.read() as s:
        row = s.connection().execute(select(LedgerEntry.__table__).where(LedgerEntry.id == 2)).one()
    forged = dict(row._mapping, reason="forged")
    new_hash = chain.entry_hash(row.prev_hash, SimpleNamespace(**forged))
    tamper(
        db, "UPDATE ledger_entries SET reason = 'forged', entry_hash = :h WHERE id = 2", h=new_hash
    )
    report = integrity.verify_chain(db, ADMIN)
    assert not report.ok and report.broken is not None
    assert (report.broken.id, report.broken.problem) == (3, "link_broken")


def test_deleting_the_newest_entry_is_caught_by_the_head(custody, world, db):
    some_entries(custody, world, 3)
    tamper(db, "DELETE FROM ledger_entries WHERE id = 3")
    report = integrity.verify_chain(db, ADMIN)
    assert report.broken is not None and report.broken.problem == "head_mismatch"


def test_concurrent_writers_never_fork_the_chain(db, world):
    require_postgres()
    threads, per_thread, errors = 8, 25, []
    start = threading.Barrier(threads)

    def writer() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                with db.transaction() as s:
                    now = utcnow()
                    chain.append(
                        s,
                        [
                            LedgerEntry(
                                entry_uuid=str(uuid.uuid4()),
                                content_hash="c",
                                kind="inspection",
                                cylinder_id=world.cyl_a.id,
                                occurred_at=now,
                                recorded_at=now,
                                actor_org_id=world.org_a.id,
                                details={"thread": threading.get_ident()},
                            )
                        ],
                    )
        except Exception as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    report = integrity.verify_chain(db, ADMIN)
    assert report.ok and report.checked == threads * per_thread
    with db.read() as s:
        rows = s.execute(
            select(LedgerEntry.prev_hash, LedgerEntry.entry_hash).order_by(LedgerEntry.id)
        ).all()
        head = s.get(ChainHead, chain.HEAD_ID)
        assert head is not None and head.last_hash == rows[-1].entry_hash
    prevs = [row.prev_hash for row in rows]
    assert len(set(prevs)) == len(prevs)  # no two entries share a predecessor: no fork
    assert prevs[0] == chain.GENESIS_HASH
    assert all(rows[i].entry_hash == rows[i + 1].prev_hash for i in range(len(rows) - 1))


def test_batch_append_keeps_id_order_equal_to_chain_order(db, world):
    with db.transaction() as s:
        now = utcnow()
        chain.append(
            s,
            [
                LedgerEntry(
                    entry_uuid=str(uuid.uuid4()),
                    content_hash="c",
                    kind="inspection",
                    cylinder_id=world.cyl_a.id,
                    occurred_at=now,
                    recorded_at=now,
                    actor_org_id=world.org_a.id,
                )
                for _ in range(300)
            ],
        )
    assert integrity.verify_chain(db, ADMIN).ok


def test_concurrent_batches_on_the_same_cylinders_neither_deadlock_nor_fork(db, world, app):
    require_postgres()
    from tests import factories as f
    from traceability.ledger import events, events_model

    with db.transaction() as s:
        cylinders = [f.cylinder(s, world.org_a, world.brand_a, world.type12) for _ in range(20)]
    trader = Principal(
        role=Role.TRADER, organisation_id=world.org_a.id, user_id=world.trader_a.id, name="trader_a"
    )
    due = (utcnow().date().replace(year=utcnow().year + 4)).isoformat()
    threads, batches, errors, statuses = 6, 4, [], []
    start = threading.Barrier(threads)

    def writer(reverse: bool) -> None:
        try:
            start.wait()
            for _ in range(batches):
                ordered = cylinders[::-1] if reverse else cylinders
                items = [
                    {
                        "entry_uuid": str(uuid.uuid4()),
                        "kind": "inspection",
                        "occurred_at": utcnow(),
                        "cylinder_id": c.id,
                        "result": "passed",
                        "inspection_due": dt.date.fromisoformat(due),
                    }
                    for c in ordered
                ]
                ctx = events_model.default_context(trader, app.extensions["lpg_keyring"])
                statuses.extend(r.status for r in events.record_events(db, ctx, items))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(i % 2 == 1,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert statuses == ["created"] * threads * batches * len(cylinders)
    report = integrity.verify_chain(db, ADMIN)
    assert report.ok and report.checked == threads * batches * len(cylinders)
