"""The shapes custody events travel in: request context, per-item answers, idempotency keys."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceability.crypto import Keyring
from traceability.db import utcnow
from traceability.errors import DomainError
from traceability.ledger.events_errors import EntryUuidReused
from traceability.models import LedgerEntry
from traceability.permissions import Principal

MAX_BATCH = 500
CONTENT_PURPOSE = "ledger-entry-content"


@dataclass(frozen=True, slots=True)
class EventContext:
    """What every event in one request shares: who records it, with which key, at what time."""

    principal: Principal
    keyring: Keyring
    now: dt.datetime
    clock_skew: dt.timedelta = dt.timedelta(minutes=5)


@dataclass(slots=True)
class ItemResult:
    """The answer for one event: created, duplicate (the original's answer) or rejected (why)."""

    index: int
    entry_uuid: str | None
    status: str
    code: str | None = None
    message: dict[str, str] | None = None
    detail: str | None = None
    errors: dict[str, Any] | None = None
    entry: LedgerEntry | None = None
    anomalies: list[str] = field(default_factory=list)

    @classmethod
    def rejected(cls, index: int, entry_uuid: str | None, error: DomainError) -> ItemResult:
        return cls(
            index,
            entry_uuid,
            "rejected",
            error.code,
            {"vi": error.message_vi, "en": error.message_en},
            error.detail,
            error.extra.get("errors"),
        )


@dataclass(frozen=True, slots=True)
class InvalidItem:
    """A batch item that failed schema validation; answered as rejected, never recorded."""

    entry_uuid: str | None
    errors: dict[str, Any]


def plain(value: Any) -> Any:
    """JSON-ready form; instants in UTC so `Z` and `+00:00` name the same moment."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    return value


def content_hash(ctx: EventContext, item: dict[str, Any]) -> str:
    """Keyed fingerprint of what was sent (keyed, since it may cover a customer's phone)."""
    body = {
        "item": plain(item),
        "org": ctx.principal.organisation_id,
        "facility": ctx.principal.facility_id,
    }
    canonical = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return ctx.keyring.mac(CONTENT_PURPOSE, canonical.encode())


def existing_entry(session: Session, ctx: EventContext, item: dict[str, Any]) -> LedgerEntry | None:
    """The entry already stored under this uuid if it has the same content; 409 if it differs."""
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.entry_uuid == item["entry_uuid"]))
    if entry is not None and entry.content_hash != content_hash(ctx, item):
        raise EntryUuidReused(f"entry_uuid {item['entry_uuid']}")
    return entry


def default_context(
    principal: Principal, keyring: Keyring, clock_skew_seconds: int = 300
) -> EventContext:
    return EventContext(principal, keyring, utcnow(), dt.timedelta(seconds=clock_skew_seconds))
