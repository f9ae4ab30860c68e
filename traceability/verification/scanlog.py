"""The scan log: recorded off the request path in batches, purged after the retention period.

Requests put a row on a bounded in-process queue; one background thread per process inserts
what has accumulated every FLUSH seconds or BATCH rows, in one multi-row INSERT. A crash loses at
most the rows still queued (at most one interval's worth, bounded by the queue size); a full
queue drops new rows and counts them rather than slow verification down.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import math
import os
import queue
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from traceability.db import Database, utcnow
from traceability.models import Scan
from traceability.verification.model import ScanContext, Verification

log = logging.getLogger("lpgtrace.scanlog")


class ClientHasher:
    """HMAC-SHA256 of the client IP under SCAN_SALT: a pseudonym, never the address itself."""

    def __init__(self, salt: str) -> None:
        self._base = hmac.new(salt.encode(), digestmod=hashlib.sha256)

    def __call__(self, client_ip: str) -> str:
        mac = self._base.copy()
        mac.update(client_ip.encode())
        return mac.hexdigest()


def device_class(user_agent: str) -> str:
    """A coarse device kind from the User-Agent: enough for statistics, useless for tracking."""
    agent = user_agent.lower()
    if not agent:
        return "unknown"
    if any(word in agent for word in ("bot", "crawl", "spider", "curl", "wget", "python")):
        return "bot"
    if "ipad" in agent or "tablet" in agent:
        return "tablet"
    if any(word in agent for word in ("mobi", "android", "iphone")):
        return "mobile"
    return "desktop"


def coarse(value: float | None, lower: float, upper: float) -> float | None:
    """Round a volunteered coordinate to 0.01° (about 1 km); drop anything out of range."""
    if value is None or not math.isfinite(value) or not lower <= value <= upper:
        return None
    return round(value, 2)


def scan_row(result: Verification, context: ScanContext, now: datetime) -> dict[str, Any]:
    """The scan-log row of one verification."""
    return {
        "label_id": result.label_id,
        "cylinder_id": result.cylinder_id,
        "scanned_at": now,
        "verdict": result.verdict,
        "client_hash": context.client_hash,
        "device_class": context.device_class,
        "latitude": context.latitude,
        "longitude": context.longitude,
        "facility_id": context.facility_id,
    }


class ScanLog:
    """Bounded queue + background batch writer; `flush()` drains synchronously (tests, exit)."""

    def __init__(
        self,
        db: Database,
        *,
        batch_size: int = 200,
        interval: float = 1.0,
        capacity: int = 10000,
        background: bool = True,
    ) -> None:
        self.db = db
        self.background = background
        self.batch_size = batch_size
        self.interval = interval
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=capacity)
        self._write_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def record(self, row: dict[str, Any]) -> None:
        """Queue one row without blocking; start the writer in this process if needed."""
        if self.background and self._pid != os.getpid():
            self._start()
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("scan log queue full: %d scans dropped so far", self.dropped)

    def pending(self) -> int:
        return self._queue.qsize()

    def flush(self) -> int:
        """Write everything queued now; returns the number of rows written."""
        total = 0
        while True:
            written = self._write_batch()
            total += written
            if written == 0:
                return total

    def stop(self) -> None:
        """Stop the writer and flush what is left (registered with atexit)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=5)
        try:
            self.flush()
        except Exception:  # at exit the database may be gone; the batch error is logged
            log.warning("scan log: %d queued scans not written at shutdown", self.pending())

    def _start(self) -> None:
        with self._start_lock:
            if self._pid == os.getpid():
                return
            if self._pid:  # forked child: the parent's queue and thread are not ours
                self._queue = queue.Queue(maxsize=self._queue.maxsize)
                self._write_lock = threading.Lock()
            self._pid = os.getpid()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="scan-log", daemon=True)
            self._thread.start()
            atexit.register(self.stop)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                while self._write_batch() >= self.batch_size:
                    pass
            except Exception:  # keep the writer alive; _write_batch logged and counted it
                log.debug("scan log writer continues after a failed batch")

    def _write_batch(self) -> int:
        with self._write_lock:
            rows = []
            while len(rows) < self.batch_size:
                try:
                    rows.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if rows:
                try:
                    with self.db.engine.begin() as connection:
                        _insert_scans(connection, rows)
                except Exception:
                    self.dropped += len(rows)
                    log.exception("scan log: a batch of %d scans could not be written", len(rows))
                    raise
                self.written += len(rows)
            return len(rows)


_SCAN_COLUMNS = (
    "label_id",
    "cylinder_id",
    "scanned_at",
    "verdict",
    "client_hash",
    "device_class",
    "latitude",
    "longitude",
    "facility_id",
)


def _insert_scans(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """COPY on PostgreSQL (a third of a multi-row INSERT's cost on both ends); INSERT elsewhere."""
    if connection.dialect.name != "postgresql":
        connection.execute(insert(Scan), rows)
        return
    naive_utc = Scan.__table__.c.scanned_at.type.process_bind_param
    sql = f"COPY scans ({', '.join(_SCAN_COLUMNS)}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        for row in rows:
            values = [row.get(name) for name in _SCAN_COLUMNS]
            values[2] = naive_utc(values[2] or utcnow(), connection.dialect)
            copy.write_row(values)


def purge_scans(db: Database, older_than: datetime, chunk: int = 10000) -> int:
    """Delete scans older than a moment, in chunks so a big purge never holds long locks."""
    total = 0
    while True:
        with db.transaction() as session:
            ids = select(Scan.id).where(Scan.scanned_at < older_than).order_by(Scan.id).limit(chunk)
            batch = list(session.scalars(ids))
            if batch:
                session.execute(delete(Scan).where(Scan.id.in_(batch)))
        total += len(batch)
        if len(batch) < chunk:
            return total


def retention_cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
