"""What every Decree 87 ledger view shares: who and what period is asked for, names, corrections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, aliased

from traceability.db import utcnow
from traceability.errors import BusinessRuleViolation, NotFound, ValidationFailed
from traceability.ledger.exports.layout import Heading, LedgerLayout
from traceability.localtime import PROVINCE_TZ, local_day
from traceability.models import CylinderType, Facility, LedgerEntry, Organisation
from traceability.models.enums import FacilityKind
from traceability.permissions import Permission, Principal

CORRECTION = "correction"
# The facility kind each ledger is kept at (ledger 1 may be kept per warehouse or depot too).
FACILITY_KINDS: dict[int, frozenset[str] | None] = {
    1: None,
    2: frozenset({FacilityKind.FILLING_STATION}),
    3: frozenset({FacilityKind.RETAIL_SHOP}),
}


class WrongFacilityKind(BusinessRuleViolation):
    code = "ledger_wrong_facility_kind"
    message_vi = "Cơ sở này không lập loại sổ theo dõi được yêu cầu."
    message_en = "This facility does not keep the requested ledger."


class LedgerScopeRequired(ValidationFailed):
    code = "ledger_scope_required"
    message_vi = "Cần chọn tổ chức (organisation_id) hoặc cơ sở (facility_id)."
    message_en = "Give organisation_id or facility_id."


class LedgerPeriodInvalid(ValidationFailed):
    code = "ledger_period_invalid"
    message_vi = "Khoảng thời gian không hợp lệ (từ ngày phải trước đến ngày, tối đa 366 ngày)."
    message_en = "Invalid period (from must not be after to; at most 366 days)."


@dataclass(frozen=True, slots=True)
class LedgerFilters:
    """The query as the caller gave it; dates are local (Vietnam) calendar days, inclusive."""

    organisation_id: int | None = None
    facility_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Party:
    id: int
    name: str
    address: str | None


@dataclass(frozen=True, slots=True)
class LedgerScope:
    """A resolved, authorised request: one organisation (or one of its facilities) and a period."""

    number: int
    organisation: Party
    facility: Party | None
    facility_ids: tuple[int, ...] | None
    date_from: dt.date
    date_to: dt.date
    personal_data: bool

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time(), PROVINCE_TZ).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """Exclusive: midnight after the last day."""
        next_day = self.date_to + dt.timedelta(days=1)
        return dt.datetime.combine(next_day, dt.time(), PROVINCE_TZ).astimezone(dt.UTC)

    def heading(self, layout: LedgerLayout) -> Heading:
        return Heading(
            title=layout.title_vi,
            organisation=self.organisation.name,
            organisation_address=self.organisation.address,
            facility=self.facility.name if self.facility else None,
            facility_address=self.facility.address if self.facility else None,
            date_from=self.date_from,
            date_to=self.date_to,
        )

    def actor_clause(self, entry: Any) -> ColumnElement[bool]:
        """Entries made by the facility asked for, or by the whole organisation."""
        if self.facility is not None:
            return entry.actor_facility_id == self.facility.id
        return entry.actor_org_id == self.organisation.id

    def entries_or_corrections(
        self, entry: Any, original: Any, kinds: Sequence[str], correctable: Sequence[str]
    ) -> ColumnElement[bool]:
        """This party's entries of the ledger's kinds, and corrections of its entries (an
        admin's correction included, so history stays in the ledger it belongs to)."""
        return or_(
            and_(entry.kind.in_(kinds), self.actor_clause(entry)),
            and_(
                entry.kind == CORRECTION,
                original.kind.in_(correctable),
                self.actor_clause(original),
            ),
        )


def local_date(moment: dt.datetime | None) -> dt.date | None:
    return None if moment is None else local_day(moment)


def today_local() -> dt.date:
    return local_day(utcnow())


def _period(filters: LedgerFilters, max_days: int) -> tuple[dt.date, dt.date]:
    """Defaults to the current month so far; refuses reversed or over-long periods."""
    today = today_local()
    date_to = filters.date_to or today
    date_from = filters.date_from or date_to.replace(day=1)
    if date_from > date_to or (date_to - date_from).days >= max_days:
        raise LedgerPeriodInvalid(f"from {date_from} to {date_to}")
    return date_from, date_to


def resolve_scope(
    session: Session,
    principal: Principal,
    number: int,
    filters: LedgerFilters,
    max_days: int = 366,
) -> LedgerScope:
    """Check who may see which ledger; another organisation's data answers 404."""
    facility: Facility | None = None
    if filters.facility_id is not None:
        facility = session.get(Facility, filters.facility_id)
        if facility is None or not principal.can_read_org(facility.organisation_id):
            raise NotFound("facility not found")
        if filters.organisation_id not in (None, facility.organisation_id):
            raise NotFound("facility not found in this organisation")
        kinds = FACILITY_KINDS[number]
        if kinds is not None and facility.kind not in kinds:
            raise WrongFacilityKind(f"facility {facility.id} is a {facility.kind}")
        organisation_id = facility.organisation_id
    elif filters.organisation_id is not None:
        organisation_id = filters.organisation_id
    elif principal.is_authority:
        raise LedgerScopeRequired()
    else:
        organisation_id = principal.organisation_id
    principal.ensure_read_org(organisation_id, "organisation")
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("organisation not found")
    date_from, date_to = _period(filters, max_days)
    facility_ids: tuple[int, ...] | None = None
    if number == 2:
        facility_ids = (
            (facility.id,)
            if facility
            else tuple(
                session.scalars(
                    select(Facility.id).where(
                        Facility.organisation_id == organisation.id,
                        Facility.kind == FacilityKind.FILLING_STATION,
                    )
                )
            )
        )
    return LedgerScope(
        number=number,
        organisation=Party(organisation.id, organisation.name, organisation.address),
        facility=Party(facility.id, facility.name, facility.address) if facility else None,
        facility_ids=facility_ids,
        date_from=date_from,
        date_to=date_to,
        personal_data=number == 3 and principal.has(Permission.PERSONAL_DATA_READ),
    )


class Directory:
    """Names and addresses of organisations, facilities and cylinder types, loaded once each."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.orgs: dict[int, Party] = {}
        self.facilities: dict[int, Party] = {}
        self.types = {t.id: t.name for t in session.scalars(select(CylinderType))}
        self.corrected_by: dict[int, list[int]] | None = None

    def prefetch(self, org_ids: Iterable[int | None], facility_ids: Iterable[int | None]) -> None:
        missing_orgs = {i for i in org_ids if i is not None and i not in self.orgs}
        if missing_orgs:
            rows = self.session.execute(
                select(Organisation.id, Organisation.name, Organisation.address).where(
                    Organisation.id.in_(missing_orgs)
                )
            )
            self.orgs.update({row.id: Party(row.id, row.name, row.address) for row in rows})
        missing = {i for i in facility_ids if i is not None and i not in self.facilities}
        if missing:
            rows = self.session.execute(
                select(Facility.id, Facility.name, Facility.address).where(Facility.id.in_(missing))
            )
            self.facilities.update({row.id: Party(row.id, row.name, row.address) for row in rows})

    def org_name(self, org_id: int | None) -> str | None:
        party = self.orgs.get(org_id) if org_id is not None else None
        return party.name if party else None

    def party(self, org_id: int | None, facility_id: int | None) -> tuple[str | None, str | None]:
        """Name "Org (Facility)" and the facility's address, or the organisation's."""
        org = self.orgs.get(org_id) if org_id is not None else None
        place = self.facilities.get(facility_id) if facility_id is not None else None
        if org is None:
            return (place.name, place.address) if place else (None, None)
        if place is None:
            return org.name, org.address
        return f"{org.name} ({place.name})", place.address or org.address


def corrections_in_scope(
    directory: Directory, scope: LedgerScope, kinds: Sequence[str]
) -> dict[int, list[int]]:
    """For each entry of the ledger's kinds in the scope, the entries correcting it, in order.

    One query per read (corrections are rare), made on first use and kept on the directory.
    """
    if directory.corrected_by is None:
        original = original_alias()
        query = (
            select(LedgerEntry.corrects_entry_id, LedgerEntry.id)
            .join(original, original.id == LedgerEntry.corrects_entry_id)
            .where(
                LedgerEntry.kind == CORRECTION,
                original.kind.in_(kinds),
                scope.actor_clause(original),
                original.occurred_at >= scope.start,
                original.occurred_at < scope.end,
            )
        )
        directory.corrected_by = group_ids(directory.session.execute(query))
    return directory.corrected_by


def group_ids(pairs: Iterable[Any]) -> dict[int, list[int]]:
    """(original, corrector) pairs as {original: [correctors in id order]}."""
    found: dict[int, list[int]] = {}
    for original, corrector in sorted(pairs, key=lambda pair: pair[1]):
        found.setdefault(original, []).append(corrector)
    return found


def original_alias() -> Any:
    """The corrected entry, joined to a correcting one."""
    return aliased(LedgerEntry, name="original")


def entry_columns(entry: Any) -> tuple[Any, ...]:
    """The columns `entry_fields` reads, for a ledger's select list."""
    return (
        entry.id,
        entry.kind,
        entry.occurred_at,
        entry.details,
        entry.corrects_entry_id,
        entry.reason,
    )


def entry_fields(row: Any, corrected_by: dict[int, list[int]]) -> dict[str, Any]:
    """The identity and correction columns every ledger-entry row carries."""
    correction = row.kind == CORRECTION
    return {
        "entry_id": row.id,
        "row_type": CORRECTION if correction else "entry",
        "kind": row.kind,
        "occurred_at": row.occurred_at,
        "corrects_entry_id": row.corrects_entry_id if correction else None,
        "correction_reason": row.reason if correction else None,
        "correction_details": correction_details(row.details) if correction else None,
        "corrected_by": corrected_by.get(row.id, []),
    }


def correction_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a correction states beyond its reason (an empty anomaly list says nothing)."""
    shown = {key: value for key, value in (details or {}).items() if value not in (None, [], {})}
    return shown or None
