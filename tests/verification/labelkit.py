"""Issue real signed labels straight into the database, without waiting for the label service."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import update

from traceability.db import Database
from traceability.labels.codec import (
    LabelClaims,
    issue_token,
    jwk_thumbprint,
    key_id_from_thumbprint,
    manual_code,
)
from traceability.models import Brand, Cylinder, CylinderType, Facility, Fill, Label, SigningKey
from traceability.models.enums import KeyStatus


@dataclass(frozen=True)
class StationKey:
    id: int
    key_id: bytes
    private: Ed25519PrivateKey


@dataclass(frozen=True)
class Issued:
    token: str
    label_id: int
    label_uid: bytes
    manual_code: str
    fill_id: int


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


class LabelKit:
    """Registers station keys and issues labels exactly as the label service will."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def key(
        self,
        station: Facility,
        *,
        status: str = KeyStatus.ACTIVE,
        valid_from: dt.datetime | None = None,
        retired_at: dt.datetime | None = None,
        compromised_at: dt.datetime | None = None,
    ) -> StationKey:
        private = Ed25519PrivateKey.generate()
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        kid = jwk_thumbprint(raw)
        with self.db.transaction() as session:
            row = SigningKey(
                kid=kid,
                key_id=key_id_from_thumbprint(kid),
                station_id=station.id,
                public_key=raw,
                sealed_private_key=b"sealed",
                wrapped_data_key=b"wrapped",
                status=status,
                valid_from=valid_from or now() - dt.timedelta(days=365),
                retired_at=retired_at,
                revoked_at=compromised_at if status == KeyStatus.REVOKED else None,
                compromised_at=compromised_at,
            )
            session.add(row)
            session.flush()
            return StationKey(row.id, row.key_id, private)

    def set_key(self, key: StationKey, **values: object) -> None:
        with self.db.transaction() as session:
            session.execute(update(SigningKey).where(SigningKey.id == key.id).values(**values))

    def set_cylinder(self, cylinder: Cylinder, **values: object) -> None:
        with self.db.transaction() as session:
            session.execute(update(Cylinder).where(Cylinder.id == cylinder.id).values(**values))

    def issue(
        self,
        cylinder: Cylinder,
        station: Facility,
        key: StationKey,
        *,
        filled_at: dt.datetime | None = None,
        net_kg: str = "12.00",
        register: bool = True,
    ) -> Issued:
        """Sign a label for a fill; with register=False it is signed but never recorded."""
        filled_at = minute(filled_at or now() - dt.timedelta(hours=1))
        label_uid = os.urandom(8)
        with self.db.transaction() as session:
            cyl = session.get(Cylinder, cylinder.id)
            assert cyl is not None
            brand = session.get(Brand, cyl.brand_id)
            kind = session.get(CylinderType, cyl.type_id)
            assert brand is not None and kind is not None
            claims = LabelClaims(
                key_id=key.key_id,
                label_id=label_uid,
                serial=cyl.serial,
                brand_code=brand.code,
                type_code=kind.code,
                tare_kg=cyl.tare_kg,
                net_kg=Decimal(net_kg),
                inspection_due=cyl.inspection_due,
                filled_at=filled_at,
            )
            token = issue_token(claims, key.private.sign)
            if not register:
                return Issued(token, 0, label_uid, manual_code(label_uid), 0)
            fill = Fill(
                client_uuid=str(uuid.uuid4()),
                content_hash="0" * 64,
                station_id=station.id,
                cylinder_id=cyl.id,
                owner_id=cyl.owner_id,
                filled_at=filled_at,
                net_kg=Decimal(net_kg),
            )
            session.add(fill)
            session.flush()
            label = Label(
                label_uid=label_uid,
                manual_code=manual_code(label_uid).replace("-", ""),
                fill_id=fill.id,
                cylinder_id=cyl.id,
                signing_key_id=key.id,
                token=token,
                issued_at=filled_at,
            )
            session.add(label)
            session.flush()
            if cyl.current_label_id is not None:
                session.execute(
                    update(Label)
                    .where(Label.id == cyl.current_label_id)
                    .values(superseded_at=filled_at, superseded_by_id=label.id)
                )
            cyl.current_label_id = label.id
            return Issued(token, label.id, label_uid, label.manual_code, fill.id)
