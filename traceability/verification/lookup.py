"""The verify path's read: one joined label query (with recent scans); rare fallbacks."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Row, Select, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from traceability.db import UTCDateTime
from traceability.models import (
    Brand,
    Cylinder,
    CylinderType,
    Facility,
    Fill,
    Label,
    LedgerEntry,
    Organisation,
    Scan,
    SigningKey,
)

Executor = Session | Connection

_station = aliased(Facility, name="station")
_current = aliased(Label, name="current_label")
_current_fill = aliased(Fill, name="current_fill")
_current_station = aliased(Facility, name="current_station")
_holder_facility = aliased(Facility, name="holder_facility")
_holder_org = aliased(Organisation, name="holder_org")

_last_movement = (
    select(func.max(LedgerEntry.occurred_at))
    .where(LedgerEntry.cylinder_id == Cylinder.id)
    .correlate(Cylinder)
    .scalar_subquery()
)

# Distinct other devices that scanned this label recently, capped (ix_scans_label_time).
_recent = (
    select(Scan.client_hash)
    .where(
        Scan.label_id == Label.id,
        Scan.scanned_at >= bindparam("since"),
        Scan.client_hash != bindparam("client_hash"),
    )
    .distinct()
    .limit(bindparam("device_cap"))
    .correlate(Label)
    .subquery("recent")
)
_recent_devices = select(func.count()).select_from(_recent).correlate(Label).scalar_subquery()

# Every fact a verdict and its answer need, in one round trip of primary-key joins.
LABEL_QUERY = (
    select(
        Label.id.label("label_id"),
        Label.token,
        Label.manual_code,
        Label.issued_at,
        Label.superseded_at,
        Fill.filled_at,
        Fill.net_kg,
        _station.name.label("station_name"),
        _station.address.label("station_address"),
        SigningKey.key_id,
        SigningKey.kid,
        SigningKey.public_key,
        SigningKey.status.label("key_status"),
        SigningKey.valid_from.label("key_valid_from"),
        SigningKey.retired_at.label("key_retired_at"),
        SigningKey.compromised_at.label("key_compromised_at"),
        Cylinder.id.label("cylinder_id"),
        Cylinder.serial,
        Cylinder.tare_kg,
        Cylinder.inspection_due,
        Cylinder.status.label("cylinder_status"),
        Cylinder.current_label_id,
        Cylinder.holder_facility_id,
        Brand.code.label("brand_code"),
        Brand.name.label("brand_name"),
        CylinderType.code.label("type_code"),
        CylinderType.name.label("type_name"),
        CylinderType.nominal_kg,
        Organisation.name.label("owner_name"),
        _current_fill.filled_at.label("latest_filled_at"),
        _current_fill.net_kg.label("latest_net_kg"),
        _current_station.name.label("latest_station_name"),
        _current_station.address.label("latest_station_address"),
        _holder_facility.name.label("holder_facility_name"),
        _holder_facility.kind.label("holder_facility_kind"),
        _holder_org.name.label("holder_org_name"),
        _last_movement.label("last_movement_at"),
        _recent_devices.label("other_devices"),
    )
    .join(Fill, Fill.id == Label.fill_id)
    .join(_station, _station.id == Fill.station_id)
    .join(SigningKey, SigningKey.id == Label.signing_key_id)
    .join(Cylinder, Cylinder.id == Label.cylinder_id)
    .join(Brand, Brand.id == Cylinder.brand_id)
    .join(CylinderType, CylinderType.id == Cylinder.type_id)
    .join(Organisation, Organisation.id == Cylinder.owner_id)
    .outerjoin(_current, _current.id == Cylinder.current_label_id)
    .outerjoin(_current_fill, _current_fill.id == _current.fill_id)
    .outerjoin(_current_station, _current_station.id == _current_fill.station_id)
    .outerjoin(_holder_facility, _holder_facility.id == Cylinder.holder_facility_id)
    .outerjoin(_holder_org, _holder_org.id == Cylinder.holder_org_id)
)


# Statements are built once: SQLAlchemy then reuses their cache key and compiled form.
_LABEL_BY_UID = LABEL_QUERY.where(Label.label_uid == bindparam("label_uid"))

_KEY_BY_ID = select(
    SigningKey.id,
    SigningKey.kid,
    SigningKey.station_id,
    SigningKey.public_key,
    SigningKey.status.label("key_status"),
    SigningKey.valid_from.label("key_valid_from"),
    SigningKey.retired_at.label("key_retired_at"),
    SigningKey.compromised_at.label("key_compromised_at"),
).where(SigningKey.key_id == bindparam("key_id"))

_CYLINDER_BY_BRAND_SERIAL = (
    select(Cylinder.id)
    .join(Brand, Brand.id == Cylinder.brand_id)
    .where(Brand.code == bindparam("brand_code"), Cylinder.serial == bindparam("serial"))
    .limit(1)
)


class DriverStatement:
    """A SQLAlchemy SELECT run straight on a psycopg connection, for the hottest read.

    SQLAlchemy's execution layer (cache key, parameter and result processing, Row objects) is
    about a third of a verification's CPU. Here the statement is compiled once, prepared on
    each connection, and only UTCDateTime's conversion (naive UTC <-> aware) is redone.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.sql = str(statement.compile(dialect=postgresql.psycopg.dialect()))  # type: ignore[no-untyped-call]
        columns = statement.selected_columns
        self.names = tuple(column.key for column in columns)
        self.utc_positions = tuple(
            n for n, column in enumerate(columns) if isinstance(column.type, UTCDateTime)
        )
        self.row_type = namedtuple("LabelRow", self.names)  # type: ignore[misc]
        self._utc = UTCDateTime()

    def first(self, connection: Connection, params: dict[str, Any]) -> Any:
        bound = {
            name: self._utc.process_bind_param(value, None)
            if isinstance(value, datetime)
            else value
            for name, value in params.items()
        }
        try:
            with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
                values = cursor.execute(self.sql, bound, prepare=True).fetchone()
        except psycopg.OperationalError as error:
            # As SQLAlchemy would report it, so the caller's reconnect-and-retry applies.
            connection.invalidate()
            raise DBAPIError.instance(
                self.sql, bound, error, psycopg.Error, connection_invalidated=True
            ) from error
        if values is None:
            return None
        values = list(values)
        for position in self.utc_positions:
            values[position] = self._utc.process_result_value(values[position], None)
        return self.row_type._make(values)


_LABEL_BY_UID_DRIVER = DriverStatement(_LABEL_BY_UID)


def label_row(
    executor: Executor, label_uid: bytes, *, since: datetime, client_hash: str, device_cap: int
) -> Row[Any] | None:
    """The registry's record of a label, everything shown about it, and how many other devices
    scanned it since `since` (counted up to `device_cap`): the verify path's one query."""
    params = {
        "label_uid": label_uid,
        "since": since,
        "client_hash": client_hash,
        "device_cap": device_cap,
    }
    if isinstance(executor, Connection) and executor.dialect.name == "postgresql":
        found: Row[Any] | None = _LABEL_BY_UID_DRIVER.first(executor, params)
        return found
    return executor.execute(_LABEL_BY_UID, params).first()


def key_row(executor: Executor, key_id: bytes) -> Row[Any] | None:
    """A signing key by its token key id: only for labels the registry does not know."""
    return executor.execute(_KEY_BY_ID, {"key_id": key_id}).first()


def cylinder_by_brand_serial(executor: Executor, brand_code: str, serial: str) -> int | None:
    """Which registered cylinder a forged label imitates, so the alert names it."""
    params = {"brand_code": brand_code, "serial": serial}
    found: int | None = executor.execute(_CYLINDER_BY_BRAND_SERIAL, params).scalar()
    return found
