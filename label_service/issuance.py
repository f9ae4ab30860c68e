"""Recording fills and issuing their signed labels: one item or a batch of up to 500.

Every rule is checked in memory against rows preloaded for the whole batch (issuance_load), so
a refused item never writes anything and an accepted one writes its Fill, Label, supersession,
cylinder update and ledger entry together: no item is ever half-applied. The only write that can
still fail is a unique client UUID (or Idempotency-Key) raced by a concurrent request; the whole
unit of work is then rolled back and retried, and the retry sees the winner's rows as duplicates.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from label_service.issuance_load import FillContext, load_context
from label_service.issuance_views import FillRequest, fill_view, label_view
from label_service.issuance_write import FillSettings, Issued, apply, check, issue, write
from traceability import audit
from traceability.crypto import Keyring, sha256_hex
from traceability.db import Database, utcnow
from traceability.errors import DomainError, ValidationFailed
from traceability.fills import rules
from traceability.ledger import chain
from traceability.models import Facility, IdempotencyRecord
from traceability.permissions import Permission, Principal

MAX_BATCH = 500
_RETRIES = 3
_LEDGER_NAMESPACE = uuid.UUID("9a4c1f0e-6d57-4c1b-8f0a-2b7f3c5e1d42")


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"
    message_vi = "Idempotency-Key đã được dùng cho một yêu cầu khác nội dung."
    message_en = "This Idempotency-Key was already used with a different request body."


@dataclass
class ItemResult:
    """The outcome of one item: created, duplicate (the original answer) or rejected (why)."""

    index: int
    client_uuid: str
    status: str
    error: DomainError | None = None
    fill: dict[str, Any] | None = None
    label: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "index": self.index,
            "client_uuid": self.client_uuid,
            "status": self.status,
        }
        if self.error is not None:
            body["code"] = self.error.code
            body["message"] = {"vi": self.error.message_vi, "en": self.error.message_en}
            if self.error.detail:
                body["detail"] = self.error.detail
        if self.fill is not None:
            body["fill"], body["label"] = self.fill, self.label
        return body


@dataclass
class BatchOutcome:
    items: list[ItemResult] = field(default_factory=list)
    replayed: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.replayed is not None:
            return self.replayed
        counts = {
            s: sum(1 for i in self.items if i.status == s)
            for s in ("created", "duplicate", "rejected")
        }
        return {**counts, "items": [item.as_dict() for item in self.items]}


def _station(session: Session, principal: Principal) -> Facility:
    principal.require(Permission.FILL_RECORD)
    station = session.get(Facility, principal.facility_id) if principal.facility_id else None
    if station is not None and station.organisation_id != principal.organisation_id:
        station = None
    return rules.check_station(station)


def _idempotency_scope(station: Facility) -> str:
    return f"fills/batch:station:{station.id}"


def _replay(
    session: Session, station: Facility, idempotency_key: str | None, request_hash: str
) -> dict[str, Any] | None:
    """The stored answer to an earlier request with this key; a different body is refused."""
    if idempotency_key is None:
        return None
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == _idempotency_scope(station),
            IdempotencyRecord.key == idempotency_key,
        )
    )
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused()
    return record.response


def _duplicate(
    ctx: FillContext, request: FillRequest, content_hash: str, settings: FillSettings, index: int
) -> ItemResult | None:
    """A UUID seen before: the original answer if the content matches, else a conflict."""
    found = ctx.existing.get(request.client_uuid)
    if found is None:
        return None
    fill, label = found
    if fill.content_hash != content_hash:
        return ItemResult(index, request.client_uuid, "rejected", rules.FillUuidConflict())
    uid = (
        ctx.superseded_uids.get(label.superseded_by_id)
        if label and label.superseded_by_id
        else None
    )
    view = label_view(label, settings.base_url, uid) if label else None
    return ItemResult(index, request.client_uuid, "duplicate", fill=fill_view(fill), label=view)


def _record(
    session: Session,
    keyring: Keyring,
    principal: Principal,
    requests: Sequence[FillRequest],
    settings: FillSettings,
    now: dt.datetime,
    idempotency_key: str | None,
) -> BatchOutcome:
    station = _station(session, principal)
    hashes = [request.content_hash(station.id) for request in requests]
    request_hash = sha256_hex("\n".join(hashes))
    replayed = _replay(session, station, idempotency_key, request_hash)
    if replayed is not None:
        return BatchOutcome(replayed=replayed)
    ctx = load_context(session, station, requests)
    outcome, issued, fresh = BatchOutcome(), [], {}
    pending: list[tuple[ItemResult, Issued]] = []
    for index, (request, content_hash) in enumerate(zip(requests, hashes, strict=True)):
        result = _duplicate(ctx, request, content_hash, settings, index)
        if result is None and request.client_uuid in fresh:
            first = fresh[request.client_uuid]
            if first.fill.content_hash == content_hash:
                result = ItemResult(index, request.client_uuid, "duplicate")
                pending.append((result, first))
            else:
                result = ItemResult(
                    index, request.client_uuid, "rejected", rules.FillUuidConflict()
                )
        if result is None:
            try:
                cylinder = check(ctx, request, settings, now)
                item = issue(ctx, keyring, principal, request, content_hash, cylinder, now)
            except DomainError as error:
                result = ItemResult(index, request.client_uuid, "rejected", error)
            else:
                issued.append(item)
                fresh[request.client_uuid] = item
                result = ItemResult(index, request.client_uuid, "created")
                pending.append((result, item))
        outcome.items.append(result)
    write(session, issued)
    entries = apply(session, station, issued, now)
    uids = {i.label.id: i.label.label_uid for i in issued}
    uids.update({i.older.id: i.older.label_uid for i in issued if i.older is not None})
    for result, done in pending:
        result.fill = fill_view(done.fill)
        result.label = label_view(
            done.label, settings.base_url, uids.get(done.label.superseded_by_id)
        )
    created = [item.fill.id for item in issued]
    audit.record(
        session,
        principal,
        "fill.record",
        "fill",
        created[0] if len(created) == 1 else None,
        {
            "created": len(created),
            "fill_ids": created,
            "duplicates": sum(1 for i in outcome.items if i.status == "duplicate"),
            "rejected": sum(1 for i in outcome.items if i.status == "rejected"),
        },
        organisation_id=station.organisation_id,
    )
    if idempotency_key is not None:
        session.add(
            IdempotencyRecord(
                scope=_idempotency_scope(station),
                key=idempotency_key,
                request_hash=request_hash,
                status_code=200,
                response=outcome.as_dict(),
                created_at=now,
            )
        )
    chain.append_rows(session, entries)
    return outcome


def record_fills(
    db: Database,
    keyring: Keyring,
    principal: Principal,
    requests: Sequence[FillRequest],
    settings: FillSettings,
    now: dt.datetime | None = None,
    idempotency_key: str | None = None,
) -> BatchOutcome:
    """Record fills for the caller's station; each item is created, a duplicate, or rejected."""
    if len(requests) > MAX_BATCH:
        raise ValidationFailed(f"at most {MAX_BATCH} fills per batch")
    for attempt in range(_RETRIES):
        try:
            with db.transaction() as session:
                return _record(
                    session,
                    keyring,
                    principal,
                    requests,
                    settings,
                    now or utcnow(),
                    idempotency_key,
                )
        except IntegrityError:
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")
