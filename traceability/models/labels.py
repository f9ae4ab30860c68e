"""Station signing keys, recorded fills and the signed labels they issue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, LargeBinary, Numeric
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceability.db import Base, intpk, kg, str16, str64, str128, str255, str512, utc, utcnow
from traceability.models.enums import KeyStatus
from traceability.models.registry import Cylinder, Facility


class SigningKey(Base):
    """A station's Ed25519 key; the private half is sealed with a data key wrapped by MASTER_KEY."""

    __tablename__ = "signing_keys"

    id: Mapped[intpk]
    kid: Mapped[str64] = mapped_column(unique=True)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(8), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed_private_key: Mapped[bytes]
    wrapped_data_key: Mapped[bytes]
    status: Mapped[str16] = mapped_column(default=KeyStatus.ACTIVE)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    valid_from: Mapped[utc] = mapped_column(default=utcnow)
    retired_at: Mapped[utc | None]
    revoked_at: Mapped[utc | None]
    compromised_at: Mapped[utc | None]
    reason: Mapped[str255 | None]

    station: Mapped[Facility] = relationship()


# At most one active key per station, enforced by the database too (rotation retires first).
Index(
    "uq_signing_keys_active_station",
    SigningKey.station_id,
    unique=True,
    postgresql_where=SigningKey.status == KeyStatus.ACTIVE.value,
    sqlite_where=SigningKey.status == KeyStatus.ACTIVE.value,
)


class Fill(Base):
    """One fill of one cylinder at one station (Decree 87 ledger 2), idempotent by client UUID."""

    __tablename__ = "fills"

    id: Mapped[intpk]
    client_uuid: Mapped[str64] = mapped_column(unique=True)
    content_hash: Mapped[str64]
    station_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    cylinder_id: Mapped[int] = mapped_column(ForeignKey("cylinders.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    hiring_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    filled_at: Mapped[utc]
    net_kg: Mapped[kg]
    gross_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    # The inspection due date in force when filled: what the label carries, and what the
    # Decree 87 ledgers show for this fill and the movements after it (the cylinder's own date
    # changes at its next inspection). NULL on fills recorded before it was kept.
    inspection_due: Mapped[dt.date | None]
    operator: Mapped[str128 | None]
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_device_id: Mapped[int | None] = mapped_column(ForeignKey("device_keys.id"))
    recorded_at: Mapped[utc] = mapped_column(default=utcnow)
    dispatched_at: Mapped[utc | None]

    cylinder: Mapped[Cylinder] = relationship()
    station: Mapped[Facility] = relationship()


Index("ix_fills_station_filled_at", Fill.station_id, Fill.filled_at)


class Label(Base):
    """A signed label issued by a fill; a later fill of the same cylinder supersedes it."""

    __tablename__ = "labels"

    id: Mapped[intpk]
    label_uid: Mapped[bytes] = mapped_column(LargeBinary(8), unique=True)
    manual_code: Mapped[str16] = mapped_column(unique=True)
    fill_id: Mapped[int] = mapped_column(ForeignKey("fills.id"), unique=True)
    cylinder_id: Mapped[int] = mapped_column(ForeignKey("cylinders.id"), index=True)
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"), index=True)
    token: Mapped[str512]
    issued_at: Mapped[utc] = mapped_column(default=utcnow)
    superseded_at: Mapped[utc | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"))

    fill: Mapped[Fill] = relationship(foreign_keys=[fill_id])
    signing_key: Mapped[SigningKey] = relationship()
    cylinder: Mapped[Cylinder] = relationship(foreign_keys=[cylinder_id])
