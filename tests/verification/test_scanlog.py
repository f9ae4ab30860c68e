"""The batched scan log: bulk writes off the request path, bounded queue, shutdown flush, purge."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import event, func, insert, select

from tests.verification.labelkit import now
from traceability.models import Scan
from traceability.verification.scanlog import ClientHasher, ScanLog, device_class
from verify_api.commands import purge_scans_command


def row(n: int = 0, at: dt.datetime | None = None) -> dict:
    return {
        "label_id": None,
        "cylinder_id": None,
        "scanned_at": at or now(),
        "verdict": "not_genuine",
        "client_hash": f"h{n}",
        "device_class": "mobile",
    }


def count(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Scan))


def test_rows_are_written_in_bulk_batches(db):
    log = ScanLog(db, batch_size=200, background=False)
    inserts: list[int] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SCANS"):
            inserts.append(1)

    for n in range(450):
        log.record(row(n))
    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        assert log.flush() == 450
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert count(db) == 450
    assert len(inserts) <= 3 * 3, "one multi-row insert per batch, not one per scan"
    assert log.written == 450


def test_full_queue_drops_instead_of_blocking(db):
    log = ScanLog(db, capacity=5, background=False)
    for n in range(8):
        log.record(row(n))
    assert (log.pending(), log.dropped) == (5, 3)


def test_background_writer_flushes_by_itself_and_on_stop(db):
    log = ScanLog(db, interval=0.05)
    log.record(row(1))
    deadline = time.monotonic() + 30
    while log.written < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.written == 1, "the writer thread did not flush on its own"
    log._stop.set()  # park the thread so that only stop() can write what follows
    log._thread.join(5)
    log.record(row(2))
    log.stop()
    assert count(db) == 2 and log.pending() == 0


def test_client_hash_is_keyed_and_stable():
    first, second = ClientHasher("salt-a"), ClientHasher("salt-b")
    assert first("203.0.113.7") == first("203.0.113.7")
    assert first("203.0.113.7") != second("203.0.113.7") != first("203.0.113.8")
    assert "203" not in first("203.0.113.7")


def test_device_classes():
    assert device_class("") == "unknown"
    assert device_class("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148") == "mobile"
    assert device_class("Mozilla/5.0 (iPad; CPU OS 17_0)") == "tablet"
    assert device_class("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0") == "desktop"
    assert device_class("curl/8.5") == "bot"


def test_purge_scans_command(app, db):
    with db.transaction() as session:
        session.execute(
            insert(Scan),
            [row(1, now() - dt.timedelta(days=400)), row(2, now() - dt.timedelta(days=10)), row(3)],
        )
    runner = app.test_cli_runner()
    result = runner.invoke(purge_scans_command, [])
    assert result.exit_code == 0, result.output
    assert "deleted 1 scans" in result.output and count(db) == 2
    result = runner.invoke(purge_scans_command, ["--older-than-days", "5"])
    assert "deleted 1 scans" in result.output and count(db) == 1
    assert runner.invoke(purge_scans_command, ["--older-than-days", "-1"]).exit_code != 0
