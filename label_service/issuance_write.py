"""Checking one fill against the rules, signing its label, and applying it once ids exist."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text, update
from sqlalchemy.orm import Session

from label_service.issuance_load import FillContext
from label_service.issuance_views import FillRequest
from label_service.keys import signer
from traceability.crypto import Keyring
from traceability.fills import rules
from traceability.labels.codec import LabelClaims, TokenError, issue_token, manual_code
from traceability.ledger.chain import EntryRow, insert_returning_ids, unnest_columns
from traceability.localtime import local_day
from traceability.models import Cylinder, Facility, Fill, Label
from traceability.permissions import Principal

_LEDGER_NAMESPACE = uuid.UUID("9a4c1f0e-6d57-4c1b-8f0a-2b7f3c5e1d42")


@dataclass(frozen=True, slots=True)
class FillSettings:
    """The configured tolerances and the public base URL labels point at."""

    base_url: str
    fill_tolerance_kg: Decimal = Decimal("0.3")
    gross_tolerance_kg: Decimal = Decimal("0.3")
    clock_skew_seconds: int = 300

    @classmethod
    def from_config(cls, config: Any) -> FillSettings:
        return cls(
            base_url=config["PUBLIC_BASE_URL"],
            fill_tolerance_kg=Decimal(str(config["FILL_MASS_TOLERANCE_KG"])),
            gross_tolerance_kg=Decimal(str(config["GROSS_NET_TOLERANCE_KG"])),
            clock_skew_seconds=int(config["CLOCK_SKEW_SECONDS"]),
        )


@dataclass(slots=True)
class FillRow:
    """A fill being written in bulk (plain attributes, read like a Fill by the views)."""

    client_uuid: str
    content_hash: str
    station_id: int
    cylinder_id: int
    owner_id: int
    hiring_org_id: int
    filled_at: dt.datetime
    net_kg: Decimal
    gross_kg: Decimal | None
    inspection_due: dt.date
    operator: str | None
    recorded_by_user_id: int | None
    recorded_by_device_id: int | None
    recorded_at: dt.datetime
    id: int | None = None

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "id"}


@dataclass(slots=True)
class LabelRow:
    """A label being written in bulk (plain attributes, read like a Label by the views)."""

    label_uid: bytes
    manual_code: str
    cylinder_id: int
    signing_key_id: int
    token: str
    issued_at: dt.datetime
    fill_id: int | None = None
    superseded_at: dt.datetime | None = None
    superseded_by_id: int | None = None
    id: int | None = None

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "id"}


@dataclass
class Issued:
    fill: FillRow
    label: LabelRow
    cylinder: Cylinder
    newest: bool
    type_code: str
    older: Label | LabelRow | None = None


def check(
    ctx: FillContext, request: FillRequest, settings: FillSettings, now: dt.datetime
) -> Cylinder:
    """Apply every Decree 87 rule to one item; raises the first that fails."""
    day = local_day(request.filled_at)
    rules.check_fill_time(request.filled_at, now, settings.clock_skew_seconds)
    rules.check_licence(ctx.licences, ctx.station.id, day)
    cylinder = ctx.cylinder(request)
    if cylinder is None:
        raise rules.CylinderUnknown()
    rules.check_owner_may_use_station(cylinder, ctx.station, ctx.contracts, day)
    rules.check_cylinder_state(cylinder, day)
    rules.check_masses(
        request.net_kg,
        request.gross_kg,
        cylinder,
        ctx.types[cylinder.type_id],
        settings.fill_tolerance_kg,
        settings.gross_tolerance_kg,
    )
    if request.hiring_org_id is not None and request.hiring_org_id not in ctx.active_orgs:
        raise rules.HiringOrganisationUnknown()
    return cylinder


def issue(
    ctx: FillContext,
    keyring: Keyring,
    principal: Principal,
    request: FillRequest,
    content_hash: str,
    cylinder: Cylinder,
    now: dt.datetime,
) -> Issued:
    """Build (not yet flush) the Fill and its signed Label, and decide what it supersedes."""
    key = ctx.signing_key(request.filled_at)
    if key is None:
        raise rules.NoSigningKey(f"no key covers {request.filled_at.isoformat()}")
    label_uid = os.urandom(8)
    try:
        claims = LabelClaims(
            key_id=key.key_id,
            label_id=label_uid,
            serial=cylinder.serial,
            brand_code=ctx.brand_codes[cylinder.brand_id],
            type_code=ctx.types[cylinder.type_id].code,
            tare_kg=cylinder.tare_kg,
            net_kg=request.net_kg,
            inspection_due=cylinder.inspection_due,
            filled_at=request.filled_at.astimezone(dt.UTC).replace(second=0, microsecond=0),
        )
        token = issue_token(claims, signer(keyring, key).sign)
    except TokenError as exc:
        raise rules.LabelFieldsUnencodable(str(exc)) from None
    fill = FillRow(
        client_uuid=request.client_uuid,
        content_hash=content_hash,
        station_id=ctx.station.id,
        cylinder_id=cylinder.id,
        owner_id=cylinder.owner_id,
        hiring_org_id=request.hiring_org_id or cylinder.owner_id,
        filled_at=request.filled_at,
        net_kg=request.net_kg,
        gross_kg=request.gross_kg,
        inspection_due=cylinder.inspection_due,
        operator=request.operator,
        recorded_by_user_id=principal.user_id,
        recorded_by_device_id=principal.device_id,
        recorded_at=now,
    )
    label = LabelRow(
        label_uid=label_uid,
        manual_code=manual_code(label_uid).replace("-", ""),
        cylinder_id=cylinder.id,
        signing_key_id=key.id,
        token=token,
        issued_at=now,
    )
    current = ctx.current.get(cylinder.id)
    newest = current is None or request.filled_at >= current[1]
    issued = Issued(
        fill, label, cylinder, newest, claims.type_code, current[0] if current else None
    )
    if newest:
        ctx.current[cylinder.id] = (label, request.filled_at)
    return issued


def write(session: Session, issued: list[Issued]) -> None:
    """Insert the fills, then their labels, in two bulk statements that hand back the new ids."""
    if not issued:
        return
    fill_ids = insert_returning_ids(
        session, Fill.__table__, "client_uuid", [item.fill.values() for item in issued]
    )
    for item, fill_id in zip(issued, fill_ids, strict=True):
        item.fill.id = item.label.fill_id = fill_id
    label_ids = insert_returning_ids(
        session, Label.__table__, "label_uid", [item.label.values() for item in issued]
    )
    for item, label_id in zip(issued, label_ids, strict=True):
        item.label.id = label_id


def _bulk_update(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Update rows by id in one statement: `UPDATE ... FROM unnest(...)` on PostgreSQL, one
    prepared statement run over all rows (executemany) on SQLite."""
    if not rows:
        return
    connection = session.connection()
    names = [name for name in rows[0] if name != "id"]
    if connection.dialect.name == "postgresql":
        columns = [table.c.id, *(table.c[name] for name in names)]
        source, params = unnest_columns(connection.dialect, columns, rows)
        assignments = ", ".join(f"{name} = v.{name}" for name in names)
        # Identifiers come from the table metadata; every value is a bound parameter.
        sql = (
            f"UPDATE {table.name} SET {assignments} FROM {source} "  # noqa: S608
            f"AS v(id, {', '.join(names)}) WHERE {table.name}.id = v.id"
        )
        connection.execute(text(sql), params)
        return
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({name: bindparam("b_" + name) for name in names})
    )
    connection.execute(statement, [{"b_" + k: v for k, v in row.items()} for row in rows])


def _supersede(
    updates: dict[int, dict[str, Any]], older: Label | LabelRow, newer_id: int, now: dt.datetime
) -> None:
    updates[older.id] = {"id": older.id, "superseded_at": now, "superseded_by_id": newer_id}
    if isinstance(older, LabelRow):  # so the answer shows it; stored rows change only by UPDATE
        older.superseded_at, older.superseded_by_id = now, newer_id


def apply(
    session: Session, station: Facility, issued: list[Issued], now: dt.datetime
) -> list[EntryRow]:
    """Once ids exist: supersede older labels, move cylinders, and build the ledger entries."""
    label_updates: dict[int, dict[str, Any]] = {}
    cylinder_updates: dict[int, dict[str, Any]] = {}
    entries = []
    for item in issued:
        fill, label = item.fill, item.label
        if item.newest:
            if item.older is not None:
                _supersede(label_updates, item.older, label.id, now)
            cylinder_updates[item.cylinder.id] = {
                "id": item.cylinder.id,
                "current_label_id": label.id,
                "holder_org_id": station.organisation_id,
                "holder_facility_id": station.id,
                "updated_at": now,
            }
        elif item.older is not None:  # a late (offline) fill: the cylinder was refilled since
            _supersede(label_updates, label, item.older.id, now)
        entries.append(
            EntryRow(
                entry_uuid=str(uuid.uuid5(_LEDGER_NAMESPACE, "fill:" + fill.client_uuid)),
                content_hash=fill.content_hash,
                kind="fill",
                cylinder_id=fill.cylinder_id,
                occurred_at=fill.filled_at,
                recorded_at=now,
                actor_org_id=station.organisation_id,
                actor_facility_id=station.id,
                counterparty_org_id=fill.hiring_org_id,
                fill_id=fill.id,
                label_id=label.id,
                details={
                    "net_kg": str(fill.net_kg),
                    "gross_kg": None if fill.gross_kg is None else str(fill.gross_kg),
                    "type": item.type_code,
                    "label_id": label.label_uid.hex(),
                    "late": not item.newest,
                },
                recorded_by_user_id=fill.recorded_by_user_id,
                recorded_by_device_id=fill.recorded_by_device_id,
            )
        )
    _bulk_update(session, Label.__table__, list(label_updates.values()))
    _bulk_update(session, Cylinder.__table__, list(cylinder_updates.values()))
    return entries
