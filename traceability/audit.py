"""The system log of who did what: written in the same transaction as the change it describes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from traceability.models import AuditEntry
from traceability.permissions import Principal

PERSONAL_FIELDS = frozenset(
    {
        "password",
        "password_hash",
        "secret",
        "secret_hash",
        "customer_name",
        "customer_address",
        "customer_phone",
        "contact",
        "phone",
        "email",
        "sealed_private_key",
        "wrapped_data_key",
    }
)
MASK = "***"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def mask(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Replace personal or secret values so the audit log never holds them."""
    return {
        key: (MASK if key in PERSONAL_FIELDS and value not in (None, {}) else _plain_tree(value))
        for key, value in changes.items()
    }


def _plain_tree(value: Any) -> Any:
    if isinstance(value, Mapping):
        return mask(value)
    if isinstance(value, list | tuple):
        return [_plain_tree(item) for item in value]
    return _plain(value)


def apply_changes(entity: Any, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Set attributes and return {field: {old, new}} for those that actually changed."""
    changed: dict[str, dict[str, Any]] = {}
    for field, new in values.items():
        old = getattr(entity, field)
        if old != new:
            setattr(entity, field, new)
            changed[field] = {"old": old, "new": new}
    return changed


def snapshot(entity: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The created entity's fields, as the `new` side of an audit record."""
    return {field: {"old": None, "new": getattr(entity, field)} for field in fields}


def record(
    session: Session,
    principal: Principal | None,
    action: str,
    entity: str,
    entity_id: Any = None,
    changes: Mapping[str, Any] | None = None,
    organisation_id: int | None = None,
) -> AuditEntry:
    """Append one audit entry in the caller's transaction, masking personal data."""
    entry = AuditEntry(
        actor_user_id=principal.user_id if principal else None,
        actor_device_id=principal.device_id if principal else None,
        actor_name=principal.name if principal else "system",
        organisation_id=organisation_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        changes=mask(changes or {}),
        client_ip=principal.client_ip if principal else None,
        request_id=principal.request_id if principal else None,
    )
    session.add(entry)
    return entry
