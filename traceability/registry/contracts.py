"""Filling contracts: a cylinder owner authorises another organisation's station to fill its
cylinders for a period. `contract_in_force` is the rule the fill check reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from traceability import audit
from traceability.db import Database
from traceability.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound
from traceability.models import Facility, FillingContract, Organisation
from traceability.models.enums import ContractStatus, FacilityKind, Role, TradeRole
from traceability.paging import Page, fetch_page
from traceability.permissions import Permission, Principal
from traceability.registry import ensure_period, province_today

CONTRACT_FIELDS = ("owner_id", "station_id", "valid_from", "valid_to", "status", "reference")


class ContractStationInvalid(BusinessRuleViolation):
    code = "contract_station_invalid"
    message_vi = "Cơ sở được chọn không phải là trạm chiết nạp đang hoạt động."
    message_en = "The chosen facility is not an active filling station."


class ContractWithOwnStation(BusinessRuleViolation):
    code = "contract_own_station"
    message_vi = "Trạm chiết của chính tổ chức không cần hợp đồng chiết nạp."
    message_en = "A station of the owner's own organisation needs no filling contract."


class ContractOwnerNotCylinderOwner(BusinessRuleViolation):
    code = "contract_owner_not_cylinder_owner"
    message_vi = "Chỉ thương nhân sở hữu chai mới ký hợp đồng chiết nạp."
    message_en = "Only a cylinder-owning trader can make a filling contract."


class ContractAlreadyEnded(BusinessRuleViolation):
    code = "contract_already_ended"
    message_vi = "Hợp đồng có ngày kết thúc đã qua."
    message_en = "The contract period has already ended."


class ContractOverlaps(Conflict):
    code = "contract_overlaps"
    message_vi = "Đã có hợp đồng còn hiệu lực giữa chủ sở hữu và trạm này trong thời gian đó."
    message_en = "An active contract between this owner and station already covers that period."


class ContractAlreadyTerminated(Conflict):
    code = "contract_already_terminated"
    message_vi = "Hợp đồng đã chấm dứt."
    message_en = "The contract is already terminated."


def contract_in_force(session: Session, owner_id: int, station_id: int, day: dt.date) -> bool:
    """Whether the owner has authorised that station to fill its cylinders on that day."""
    found = session.scalar(
        select(FillingContract.id)
        .where(
            FillingContract.owner_id == owner_id,
            FillingContract.station_id == station_id,
            FillingContract.status == ContractStatus.ACTIVE,
            FillingContract.valid_from <= day,
            FillingContract.valid_to >= day,
        )
        .limit(1)
    )
    return found is not None


def describe_contracts(session: Session, contracts: list[FillingContract]) -> list[dict[str, Any]]:
    """Contracts with the names of both parties, loaded in two queries for the whole list."""
    stations = {
        item.id: item
        for item in session.scalars(
            select(Facility).where(Facility.id.in_({c.station_id for c in contracts}))
        )
    }
    org_ids = {c.owner_id for c in contracts} | {s.organisation_id for s in stations.values()}
    names = {
        org_id: name
        for org_id, name in session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
        )
    }
    day = province_today()
    described = []
    for contract in contracts:
        station = stations[contract.station_id]
        described.append(
            {field: getattr(contract, field) for field in ("id", *CONTRACT_FIELDS)}
            | {
                "owner_name": names[contract.owner_id],
                "station_name": station.name,
                "station_code": station.code,
                "station_organisation_id": station.organisation_id,
                "station_organisation_name": names[station.organisation_id],
                "created_at": contract.created_at,
                "in_force_today": contract.in_force_on(day),
            }
        )
    return described


def list_contracts(
    db: Database,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = 50,
    owner_id: int | None = None,
    station_id: int | None = None,
    status: str | None = None,
    in_force_on: dt.date | None = None,
) -> Page[dict[str, Any]]:
    """Contracts the caller is party to (as owner or station operator); all for authorities."""
    principal.require(Permission.REGISTRY_READ)
    stmt = select(FillingContract).join(Facility, Facility.id == FillingContract.station_id)
    if not principal.is_authority:
        mine = principal.organisation_id
        stmt = stmt.where(or_(FillingContract.owner_id == mine, Facility.organisation_id == mine))
    if owner_id is not None:
        stmt = stmt.where(FillingContract.owner_id == owner_id)
    if station_id is not None:
        stmt = stmt.where(FillingContract.station_id == station_id)
    if status:
        stmt = stmt.where(FillingContract.status == status)
    if in_force_on is not None:
        stmt = stmt.where(
            FillingContract.status == ContractStatus.ACTIVE,
            FillingContract.valid_from <= in_force_on,
            FillingContract.valid_to >= in_force_on,
        )
    stmt = stmt.order_by(FillingContract.valid_from.desc(), FillingContract.id.desc())
    with db.read() as session:
        result = fetch_page(session, stmt, page, per_page)
        items = describe_contracts(session, result.items)
        return Page(items, result.page, result.per_page, result.total)


def create_contract(db: Database, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Authorise another organisation's station to fill the owner's cylinders for a period."""
    principal.require(Permission.CONTRACT_MANAGE)  # trader accounts and administrators
    owner_id = data.get("owner_id", principal.organisation_id)
    principal.ensure_write_org(owner_id, "organisation")
    ensure_period(data["valid_from"], data["valid_to"])
    if data["valid_to"] < province_today():
        raise ContractAlreadyEnded(f"valid_to {data['valid_to'].isoformat()} is past")
    with db.transaction() as session:
        owner = session.get(Organisation, owner_id)
        if owner is None:
            raise NotFound("organisation not found")
        if TradeRole.CYLINDER_OWNER not in owner.trade_roles or not owner.active:
            raise ContractOwnerNotCylinderOwner(f"{owner.name} does not own cylinders")
        station = session.get(Facility, data["station_id"], with_for_update=True)
        if station is None or station.kind != FacilityKind.FILLING_STATION or not station.active:
            raise ContractStationInvalid(f"facility {data['station_id']}")
        if station.organisation_id == owner.id:
            raise ContractWithOwnStation(f"{station.name} belongs to {owner.name}")
        _ensure_no_overlap(session, owner.id, station.id, data["valid_from"], data["valid_to"])
        contract = FillingContract(
            owner_id=owner.id,
            station_id=station.id,
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            reference=data.get("reference"),
            status=ContractStatus.ACTIVE,
        )
        session.add(contract)
        session.flush()
        audit.record(
            session,
            principal,
            "create",
            "filling_contract",
            contract.id,
            audit.snapshot(contract, CONTRACT_FIELDS),
            organisation_id=owner.id,
        )
        return describe_contracts(session, [contract])[0]


def _ensure_no_overlap(
    session: Session, owner_id: int, station_id: int, start: dt.date, end: dt.date
) -> None:
    """One active contract per owner and station at a time, so termination is unambiguous."""
    overlapping = session.scalar(
        select(FillingContract.id)
        .where(
            FillingContract.owner_id == owner_id,
            FillingContract.station_id == station_id,
            FillingContract.status == ContractStatus.ACTIVE,
            FillingContract.valid_from <= end,
            FillingContract.valid_to >= start,
        )
        .limit(1)
    )
    if overlapping is not None:
        raise ContractOverlaps(f"contract {overlapping} covers part of the period")


def terminate_contract(
    db: Database, principal: Principal, contract_id: int, reason: str | None = None
) -> dict[str, Any]:
    """End a contract now: the station may no longer fill the owner's cylinders."""
    principal.require(Permission.CONTRACT_MANAGE)
    with db.transaction() as session:
        contract = session.get(FillingContract, contract_id, with_for_update=True)
        if contract is None:
            raise NotFound("filling contract not found")
        station_org = session.scalar(
            select(Facility.organisation_id).where(Facility.id == contract.station_id)
        )
        if not (principal.can_read_org(contract.owner_id) or principal.can_read_org(station_org)):
            raise NotFound("filling contract not found")
        if principal.role != Role.ADMIN and principal.organisation_id != contract.owner_id:
            raise Forbidden("only the cylinder owner or an administrator ends a contract")
        if contract.status == ContractStatus.TERMINATED:
            raise ContractAlreadyTerminated(f"contract {contract.id}")
        changed = audit.apply_changes(contract, {"status": ContractStatus.TERMINATED})
        audit.record(
            session,
            principal,
            "terminate",
            "filling_contract",
            contract.id,
            changed | ({"reason": reason} if reason else {}),
            organisation_id=contract.owner_id,
        )
        return describe_contracts(session, [contract])[0]
