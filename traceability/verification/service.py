"""The public verify path as the web layer calls it: read, judge, alert if needed, log the scan."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError

from traceability.db import Database, utcnow
from traceability.verification.evaluate import evaluate_manual, evaluate_token, write_alert
from traceability.verification.model import ScanContext, Verification, VerifySettings
from traceability.verification.scanlog import ClientHasher, ScanLog, coarse, device_class, scan_row


class PublicVerifier:
    """One per app: settings, the pseudonymiser and the scan log, built once at start-up."""

    def __init__(self, db: Database, config: Mapping[str, Any]) -> None:
        self.db = db
        self.settings = VerifySettings.from_config(config)
        self.hash_client = ClientHasher(config["SCAN_SALT"])
        self.scan_log = ScanLog(
            db,
            batch_size=int(config["SCAN_LOG_BATCH_SIZE"]),
            interval=float(config["SCAN_LOG_FLUSH_SECONDS"]),
            capacity=int(config["SCAN_LOG_QUEUE_MAX"]),
            # Tests flush explicitly (scan_log.flush()) instead of racing a thread.
            background=not config.get("TESTING"),
        )
        self._reads = _read_engine(db, int(config["DATABASE_POOL_SIZE"]))

    def context(
        self,
        client_ip: str,
        user_agent: str,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> ScanContext:
        return ScanContext(
            client_hash=self.hash_client(client_ip),
            device_class=device_class(user_agent),
            latitude=coarse(latitude, -90, 90),
            longitude=coarse(longitude, -180, 180),
        )

    def verify(self, token_text: str, context: ScanContext) -> Verification:
        now = utcnow()
        result = self._read(evaluate_token, token_text, now=now, context=context)
        return self._finish(result, context, now)

    def verify_manual(self, code: str, serial: str, context: ScanContext) -> Verification:
        now = utcnow()
        result = self._read(evaluate_manual, code, serial, now=now, context=context)
        return self._finish(result, context, now)

    def _read(
        self, evaluate: Callable[..., Verification], *args: Any, **kwargs: Any
    ) -> Verification:
        """Run an evaluation; a connection the server dropped is replaced and retried once."""
        for attempt in (1, 2):
            try:
                with self._reads.connect() as connection:
                    return evaluate(connection, *args, settings=self.settings, **kwargs)
            except DBAPIError as error:
                if attempt == 2 or not error.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def _finish(self, result: Verification, context: ScanContext, now: Any) -> Verification:
        if result.alert is not None:
            with self.db.engine.begin() as connection:
                write_alert(connection, result.alert)
        self.scan_log.record(scan_row(result, context, now))
        return result


def _read_engine(db: Database, pool_size: int) -> Engine:
    """PostgreSQL reads in autocommit (no BEGIN/ROLLBACK) without a ping per checkout.

    The shared engine pings every connection it hands out: one extra round trip per
    verification. Here a dropped connection is detected when used and retried once instead
    (`PublicVerifier._read`), and connections are recycled every five minutes.
    """
    if not db.is_postgres:
        return db.read_engine
    engine = create_engine(
        db.engine.url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=300,
        isolation_level="AUTOCOMMIT",
    )
    db.on_dispose(engine.dispose)
    return engine
