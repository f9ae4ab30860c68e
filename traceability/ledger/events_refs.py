"""Find what an event names: the cylinder (by id, brand + serial, or label) and the counterparty."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceability.labels.codec import TokenError, parse_token, token_from_text
from traceability.ledger.events_errors import (
    MissingField,
    UnknownCounterparty,
    UnknownCylinder,
    UnknownLabel,
)
from traceability.models import Brand, Cylinder, Facility, Label, LedgerEntry, Organisation
from traceability.text import fold


@dataclass(frozen=True, slots=True)
class NamedCylinder:
    """The cylinder an event is about, locked for the rest of the unit of work."""

    cylinder: Cylinder
    label_id: int | None


def lock_cylinder(session: Session, cylinder_id: int) -> Cylinder | None:
    """Row-lock the cylinder so two events on it never update its holder at the same time."""
    return session.scalar(
        select(Cylinder)
        .where(Cylinder.id == cylinder_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def label_by_text(session: Session, text: str) -> Label | None:
    """The issued label whose token is exactly the scanned one (a URL or the bare token)."""
    try:
        token = token_from_text(text)
        label_uid = parse_token(token).claims.label_id
    except TokenError:
        return None
    label = session.scalar(select(Label).where(Label.label_uid == label_uid))
    return label if label is not None and label.token.upper() == token.upper() else None


def _by_serial(session: Session, brand_code: str, serial: str) -> int | None:
    return session.scalar(
        select(Cylinder.id)
        .join(Brand, Brand.id == Cylinder.brand_id)
        .where(Brand.code == brand_code, Cylinder.serial_search == fold(serial))
    )


def resolve_cylinder(session: Session, item: dict[str, Any]) -> NamedCylinder:
    """Resolve `cylinder_id`, `{brand_code, serial}` or `label` (token/URL); refuse unknown ones."""
    label_id = None
    if item.get("label"):
        label = label_by_text(session, item["label"])
        if label is None:
            raise UnknownLabel()
        cylinder_id, label_id = label.cylinder_id, label.id
    elif item.get("cylinder_id") is not None:
        cylinder_id = item["cylinder_id"]
    elif item.get("brand_code") and item.get("serial"):
        found = _by_serial(session, item["brand_code"], item["serial"])
        if found is None:
            raise UnknownCylinder(f"{item['brand_code']} {item['serial']}")
        cylinder_id = found
    else:
        raise MissingField("name the cylinder: cylinder_id, brand_code + serial, or label")
    cylinder = lock_cylinder(session, cylinder_id)
    if cylinder is None:
        raise UnknownCylinder(f"cylinder {cylinder_id}")
    return NamedCylinder(cylinder, label_id)


def resolve_counterparty(
    session: Session, org_id: int | None, facility_id: int | None
) -> tuple[int | None, int | None]:
    """Check that the receiving organisation (and facility, if given) exist and belong together."""
    if facility_id is not None:
        facility = session.get(Facility, facility_id)
        if facility is None or not facility.active:
            raise UnknownCounterparty(f"facility {facility_id}")
        if org_id is not None and facility.organisation_id != org_id:
            raise UnknownCounterparty(f"facility {facility_id} is not of organisation {org_id}")
        org_id = facility.organisation_id
    if org_id is None:
        return None, None
    org = session.get(Organisation, org_id)
    if org is None or not org.active:
        raise UnknownCounterparty(f"organisation {org_id}")
    return org_id, facility_id


def _named_id(session: Session, item: dict[str, Any]) -> int | None:
    if item.get("label"):
        label = label_by_text(session, item["label"])
        return label.cylinder_id if label is not None else None
    if item.get("cylinder_id") is not None:
        return int(item["cylinder_id"])
    if item.get("brand_code") and item.get("serial"):
        return _by_serial(session, item["brand_code"], item["serial"])
    if item.get("corrects_entry_id") is not None:
        return session.scalar(
            select(LedgerEntry.cylinder_id).where(LedgerEntry.id == item["corrects_entry_id"])
        )
    return None


def lock_all(session: Session, items: Sequence[dict[str, Any]]) -> None:
    """Lock every cylinder a batch names, in id order, before the first append takes the chain.

    Writers then always lock cylinders (ascending) before the chain head, as fills do, so two
    batches touching the same cylinders in different orders wait for each other, never deadlock.
    Unresolvable names are skipped here and refused item by item later.
    """
    ids = sorted({found for item in items if (found := _named_id(session, item)) is not None})
    if ids:
        session.scalars(
            select(Cylinder.id).where(Cylinder.id.in_(ids)).order_by(Cylinder.id).with_for_update()
        ).all()
