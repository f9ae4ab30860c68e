"""Reading the audit log: administrators ask who did what, to which entity, and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from traceability.db import Database
from traceability.models import AuditEntry
from traceability.permissions import Permission, Principal
from traceability.registry.search import Page, paginate


def describe_entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "actor_user_id": entry.actor_user_id,
        "actor_device_id": entry.actor_device_id,
        "actor_name": entry.actor_name,
        "organisation_id": entry.organisation_id,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "changes": entry.changes,
        "client_ip": entry.client_ip,
        "request_id": entry.request_id,
    }


def query_audit_log(
    db: Database,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = 50,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_user_id: int | None = None,
    actor_device_id: int | None = None,
    organisation_id: int | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Page:
    """Entries matching every given filter, newest first; `until` is exclusive."""
    principal.require(Permission.AUDIT_READ)
    conditions = [
        column == value
        for column, value in (
            (AuditEntry.entity, entity),
            (AuditEntry.entity_id, entity_id),
            (AuditEntry.actor_user_id, actor_user_id),
            (AuditEntry.actor_device_id, actor_device_id),
            (AuditEntry.organisation_id, organisation_id),
            (AuditEntry.action, action),
        )
        if value is not None
    ]
    if since is not None:
        conditions.append(AuditEntry.at >= since)
    if until is not None:
        conditions.append(AuditEntry.at < until)
    stmt = (
        select(AuditEntry).where(*conditions).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    with db.read() as session:
        return paginate(session, stmt, page, per_page, describe_entry)
