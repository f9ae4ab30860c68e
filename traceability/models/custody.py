"""Chain of custody: the append-only hash-chained ledger, scans, reports, checks, anomalies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from traceability.db import Base, intpk, str16, str32, str64, str128, str255, utc, utcnow
from traceability.models.enums import CaseStatus


class LedgerEntry(Base):
    """One movement or event of one cylinder, written once by the party that made it.

    `entry_hash` is SHA-256 over the canonical form of the entry and `prev_hash`, chaining every
    entry to the one before it; database triggers refuse UPDATE and DELETE.
    """

    __tablename__ = "ledger_entries"

    id: Mapped[intpk]
    entry_uuid: Mapped[str64] = mapped_column(unique=True)
    content_hash: Mapped[str64]
    kind: Mapped[str32]
    cylinder_id: Mapped[int] = mapped_column(ForeignKey("cylinders.id"))
    occurred_at: Mapped[utc]
    recorded_at: Mapped[utc] = mapped_column(default=utcnow)
    actor_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    actor_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    counterparty_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    counterparty_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    fill_id: Mapped[int | None] = mapped_column(ForeignKey("fills.id"))
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sealed_personal_data: Mapped[bytes | None]
    corrects_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reason: Mapped[str255 | None]
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_device_id: Mapped[int | None] = mapped_column(ForeignKey("device_keys.id"))
    anomaly: Mapped[bool] = mapped_column(default=False)
    prev_hash: Mapped[str64]
    entry_hash: Mapped[str64]


Index("ix_ledger_cylinder_time", LedgerEntry.cylinder_id, LedgerEntry.occurred_at)
Index(
    "ix_ledger_actor_kind_time", LedgerEntry.actor_org_id, LedgerEntry.kind, LedgerEntry.occurred_at
)
Index(
    "ix_ledger_facility_kind_time",
    LedgerEntry.actor_facility_id,
    LedgerEntry.kind,
    LedgerEntry.occurred_at,
)
# Decree 87 ledgers: corrections of a page of rows, corrections in a period, a fill's entries.
Index("ix_ledger_corrects", LedgerEntry.corrects_entry_id)
Index("ix_ledger_kind_time", LedgerEntry.kind, LedgerEntry.occurred_at)
Index("ix_ledger_fill", LedgerEntry.fill_id)


class ChainHead(Base):
    """The single row writers lock to append to the hash chain without forking it."""

    __tablename__ = "ledger_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_entry_id: Mapped[int | None]
    last_hash: Mapped[str64]


class Scan(Base):
    """One public verification: cheap, with no raw IP and only coarse, volunteered location."""

    __tablename__ = "scans"

    id: Mapped[intpk]
    label_id: Mapped[int | None]  # indexed with scanned_at (ix_scans_label_time)
    cylinder_id: Mapped[int | None]
    scanned_at: Mapped[utc] = mapped_column(default=utcnow, index=True)
    verdict: Mapped[str32]
    client_hash: Mapped[str64]
    device_class: Mapped[str16]
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    facility_id: Mapped[int | None]


Index("ix_scans_label_time", Scan.label_id, Scan.scanned_at)


class ConsumerReport(Base):
    """A suspect cylinder reported from the public page, queued for inspectors."""

    __tablename__ = "consumer_reports"

    id: Mapped[intpk]
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"), index=True)
    cylinder_id: Mapped[int | None] = mapped_column(ForeignKey("cylinders.id"), index=True)
    reason: Mapped[str32]
    text: Mapped[str | None] = mapped_column(Text)
    sealed_contact: Mapped[bytes | None]
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    client_hash: Mapped[str64]
    created_at: Mapped[utc] = mapped_column(default=utcnow, index=True)
    status: Mapped[str16] = mapped_column(default=CaseStatus.OPEN)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[utc | None]
    resolution: Mapped[str255 | None]


class Anomaly(Base):
    """Something inconsistent the system noticed, for an inspector to look into."""

    __tablename__ = "anomalies"

    id: Mapped[intpk]
    kind: Mapped[str32] = mapped_column(index=True)
    cylinder_id: Mapped[int | None] = mapped_column(ForeignKey("cylinders.id"), index=True)
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[utc] = mapped_column(default=utcnow, index=True)
    status: Mapped[str16] = mapped_column(default=CaseStatus.OPEN)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[utc | None]
    resolution: Mapped[str255 | None]
    # The same finding seen again while its case is not closed counts here, not as a new row.
    dedup_key: Mapped[str128 | None]
    occurrences: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_seen_at: Mapped[utc | None]


class FieldCheck(Base):
    """An inspector's check of a cylinder in a shop, truck or home."""

    __tablename__ = "field_checks"

    id: Mapped[intpk]
    entry_uuid: Mapped[str64] = mapped_column(unique=True)
    cylinder_id: Mapped[int] = mapped_column(ForeignKey("cylinders.id"))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    checked_at: Mapped[utc]
    place: Mapped[str255]
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    result: Mapped[str16]
    violations: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[bytes | None]
    photo_type: Mapped[str32 | None]
    created_at: Mapped[utc] = mapped_column(default=utcnow)


# Inspection & statistics: the work queue pages each status newest first, statistics count
# open cases and field checks per day, and the history lists a cylinder's checks by time.
Index("ix_consumer_reports_status_created", ConsumerReport.status, ConsumerReport.created_at)
Index("ix_anomalies_status_created", Anomaly.status, Anomaly.created_at)
ANOMALY_NOT_CLOSED = Anomaly.status != CaseStatus.CLOSED.value
Index(
    "uq_anomalies_dedup_not_closed",
    Anomaly.dedup_key,
    unique=True,
    sqlite_where=ANOMALY_NOT_CLOSED,
    postgresql_where=ANOMALY_NOT_CLOSED,
)
Index("ix_field_checks_checked_at", FieldCheck.checked_at)
Index("ix_field_checks_cylinder_time", FieldCheck.cylinder_id, FieldCheck.checked_at)


class IdempotencyRecord(Base):
    """The stored answer to a request sent with an Idempotency-Key, replayed on retry."""

    __tablename__ = "idempotency_records"

    id: Mapped[intpk]
    scope: Mapped[str128]
    key: Mapped[str128]
    request_hash: Mapped[str64]
    status_code: Mapped[int]
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[utc] = mapped_column(default=utcnow, index=True)


Index("uq_idempotency_scope_key", IdempotencyRecord.scope, IdempotencyRecord.key, unique=True)


@event.listens_for(LedgerEntry.__table__, "after_create")
def _install_append_only_triggers(_table: Any, connection: Any, **_kw: Any) -> None:
    """`create_all` gets the same append-only triggers as the migration (see ledger/triggers)."""
    from traceability.ledger import triggers

    triggers.install(connection)
