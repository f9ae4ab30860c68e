"""Fill requests as the service receives them, and fills/labels as plain JSON-ready answers."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from traceability.crypto import sha256_hex
from traceability.labels.codec import label_url, manual_code
from traceability.models import Fill, Label

LABELS_PATH = "/api/v1/labels/"
RENDER_FORMATS = ("png", "svg", "pdf", "zpl")


@dataclass(frozen=True, slots=True)
class FillRequest:
    """One fill as the station reported it; the cylinder named by registry id or brand + serial."""

    client_uuid: str
    filled_at: dt.datetime
    net_kg: Decimal
    cylinder_id: int | None = None
    brand_code: str | None = None
    serial: str | None = None
    gross_kg: Decimal | None = None
    hiring_org_id: int | None = None
    operator: str | None = None

    def normalised(self, station_id: int) -> dict[str, Any]:
        """The request in one canonical form, so a retry hashes equal whatever its spelling."""
        return {
            "station_id": station_id,
            "client_uuid": self.client_uuid.lower(),
            "cylinder_id": self.cylinder_id,
            "brand_code": self.brand_code.upper() if self.brand_code else None,
            "serial": self.serial,
            "filled_at": self.filled_at.astimezone(dt.UTC).isoformat(),
            "net_kg": str(self.net_kg.quantize(Decimal("0.01"))),
            "gross_kg": None
            if self.gross_kg is None
            else str(self.gross_kg.quantize(Decimal("0.01"))),
            "hiring_org_id": self.hiring_org_id,
            "operator": self.operator,
        }

    def content_hash(self, station_id: int) -> str:
        return sha256_hex(json.dumps(self.normalised(station_id), sort_keys=True))


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def _kg(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def formatted_manual_code(label: Label) -> str:
    """The stored code is compact; people read it in hyphenated groups."""
    return manual_code(label.label_uid)


def fill_view(fill: Fill) -> dict[str, Any]:
    return {
        "id": fill.id,
        "client_uuid": fill.client_uuid,
        "station_id": fill.station_id,
        "cylinder_id": fill.cylinder_id,
        "owner_id": fill.owner_id,
        "hiring_org_id": fill.hiring_org_id,
        "filled_at": _iso(fill.filled_at),
        "net_kg": _kg(fill.net_kg),
        "gross_kg": _kg(fill.gross_kg),
        "operator": fill.operator,
        "recorded_at": _iso(fill.recorded_at),
    }


def label_view(
    label: Label, base_url: str, superseded_by_uid: bytes | None = None
) -> dict[str, Any]:
    """The label's identity, links and supersession; `label_id` is the public hex id used in URLs."""
    public_id = label.label_uid.hex()
    return {
        "id": label.id,
        "label_id": public_id,
        "manual_code": formatted_manual_code(label),
        "url": label_url(base_url, label.token),
        "token": label.token,
        "issued_at": _iso(label.issued_at),
        "current": label.superseded_at is None,
        "superseded_at": _iso(label.superseded_at),
        "superseded_by": superseded_by_uid.hex() if superseded_by_uid else None,
        "links": {fmt: f"{LABELS_PATH}{public_id}.{fmt}" for fmt in RENDER_FORMATS},
    }
