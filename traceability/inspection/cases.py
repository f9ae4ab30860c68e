"""The inspectors' work queue: consumer reports and anomalies, open → investigating → closed.

Every change is audited. A report's contact details stay sealed in the queue; opening them is a
separate, audited read.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from traceability import audit
from traceability.crypto import Keyring
from traceability.db import Database, utcnow
from traceability.errors import Conflict, NotFound, ValidationFailed
from traceability.models import Anomaly, Brand, ConsumerReport, Cylinder, User
from traceability.models.enums import CaseStatus
from traceability.paging import MAX_PER_PAGE, Page
from traceability.permissions import Permission, Principal
from traceability.verification.reports import open_contact

KINDS = {"report": ConsumerReport, "anomaly": Anomaly}
ENTITY = {"report": "consumer_report", "anomaly": "anomaly"}
MAX_RESOLUTION = 255


class CaseClosed(Conflict):
    code = "case_closed"
    message_vi = "Vụ việc đã đóng."
    message_en = "The case is already closed."


class ResolutionRequired(ValidationFailed):
    code = "resolution_required"
    message_vi = "Cần ghi kết quả xử lý khi đóng vụ việc."
    message_en = "Closing a case needs a resolution text."


class ContactUnreadable(NotFound):
    code = "contact_unreadable"
    message_vi = "Không giải mã được thông tin liên hệ của phản ánh này."
    message_en = "The contact details of this report cannot be decrypted."


def _queue_ids(kind: str | None, status: str | None):
    parts = []
    for name, model in KINDS.items():
        if kind and kind != name:
            continue
        stmt = select(literal(name).label("kind"), model.id, model.created_at)
        if status:
            stmt = stmt.where(model.status == status)
        parts.append(stmt)
    return parts


def _count(session: Session, kind: str | None, status: str | None) -> int:
    total = 0
    for name, model in KINDS.items():
        if kind and kind != name:
            continue
        stmt = select(func.count()).select_from(model)
        if status:
            stmt = stmt.where(model.status == status)
        total += session.scalar(stmt) or 0
    return total


def _describe(kind: str, row: Any, users: dict, cylinders: dict) -> dict[str, Any]:
    handler = users.get(row.handled_by_id)
    cylinder = cylinders.get(row.cylinder_id)
    item = {
        "kind": kind,
        "id": row.id,
        "created_at": row.created_at,
        "status": row.status,
        "cylinder_id": row.cylinder_id,
        "cylinder": {"serial": cylinder[0], "brand": cylinder[1]} if cylinder else None,
        "label_id": row.label_id,
        "handled_by": {"user_id": handler[0], "name": handler[1]} if handler else None,
        "handled_at": row.handled_at,
        "resolution": row.resolution,
    }
    if kind == "report":
        item.update(reason=row.reason, text=row.text, has_contact=row.sealed_contact is not None)
    else:
        item.update(
            reason=row.kind,
            detail=row.detail,
            entry_id=row.entry_id,
            occurrences=row.occurrences,
            last_seen_at=row.last_seen_at,
        )
    return item


def list_cases(
    db: Database,
    principal: Principal,
    *,
    status: str | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[dict[str, Any]]:
    """Reports and anomalies merged, newest first; contact details never appear here."""
    principal.require(Permission.CASE_MANAGE)
    page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
    with db.read() as session:
        merged = union_all(*_queue_ids(kind, status)).subquery()
        keys = session.execute(
            select(merged.c.kind, merged.c.id)
            .order_by(merged.c.created_at.desc(), merged.c.kind, merged.c.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        rows = {}
        for name, model in KINDS.items():
            ids = [row_id for k, row_id in keys if k == name]
            if ids:
                rows.update(
                    {
                        (name, r.id): r
                        for r in session.scalars(select(model).where(model.id.in_(ids)))
                    }
                )
        found = [(k, rows[(k, i)]) for k, i in keys if (k, i) in rows]
        users = _users(session, {row.handled_by_id for _, row in found})
        cylinders = _cylinders(session, {row.cylinder_id for _, row in found})
        items = [_describe(k, row, users, cylinders) for k, row in found]
        return Page(items, page, per_page, _count(session, kind, status))


def _users(session: Session, ids: set[int | None]) -> dict[int, tuple[int, str]]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: (row.id, row.display_name) for row in rows}


def _cylinders(session: Session, ids: set[int | None]) -> dict[int, tuple[str, str]]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(Cylinder.id, Cylinder.serial, Brand.code)
        .join(Brand, Brand.id == Cylinder.brand_id)
        .where(Cylinder.id.in_(ids))
    )
    return {row.id: (row.serial, row.code) for row in rows}


def _locked(session: Session, kind: str, case_id: int) -> Any:
    model = KINDS.get(kind)
    row = session.get(model, case_id, with_for_update=True) if model else None
    if row is None:
        raise NotFound(f"{kind} {case_id} not found")
    return row


def _transition(
    db: Database, principal: Principal, kind: str, case_id: int, action: str, values: dict
) -> dict[str, Any]:
    principal.require(Permission.CASE_MANAGE)
    with db.transaction() as session:
        row = _locked(session, kind, case_id)
        if row.status == CaseStatus.CLOSED:
            raise CaseClosed(f"{kind} {case_id}")
        changes = audit.apply_changes(
            row, {**values, "handled_by_id": principal.user_id, "handled_at": utcnow()}
        )
        audit.record(session, principal, f"case.{action}", ENTITY[kind], row.id, changes)
        session.flush()
        users = _users(session, {row.handled_by_id})
        return _describe(kind, row, users, _cylinders(session, {row.cylinder_id}))


def assign_case(db: Database, principal: Principal, kind: str, case_id: int) -> dict[str, Any]:
    """Take a case: it becomes `investigating`, handled by the caller (taking over is audited)."""
    return _transition(db, principal, kind, case_id, "assign", {"status": CaseStatus.INVESTIGATING})


def close_case(
    db: Database, principal: Principal, kind: str, case_id: int, resolution: str
) -> dict[str, Any]:
    """Close a case with what was found or done."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ResolutionRequired()
    if len(resolution) > MAX_RESOLUTION:
        raise ResolutionRequired(f"at most {MAX_RESOLUTION} characters")
    return _transition(
        db,
        principal,
        kind,
        case_id,
        "close",
        {"status": CaseStatus.CLOSED, "resolution": resolution},
    )


def read_report_contact(
    db: Database, keyring: Keyring, principal: Principal, report_id: int
) -> dict[str, Any]:
    """Decrypt a report's contact details for an inspector, and audit that they were read."""
    principal.require(Permission.CASE_MANAGE)
    principal.require(Permission.PERSONAL_DATA_READ)
    with db.transaction() as session:
        report = session.get(ConsumerReport, report_id)
        if report is None:
            raise NotFound(f"report {report_id} not found")
        contact: dict[str, Any] = {}
        if report.sealed_contact is not None:
            try:
                opened = open_contact(keyring, report.id, report.sealed_contact)
            except (InvalidTag, ValueError):
                raise ContactUnreadable(f"report {report_id}") from None
            contact = {"contact": opened.decode("utf-8")}
        audit.record(
            session,
            principal,
            "case.contact_read",
            ENTITY["report"],
            report.id,
            {"contact_opened": {"old": None, "new": bool(contact)}},
        )
        return {"report_id": report.id, "contact": contact or None}
