"""The audit log, for administrators: who did what to which entity, when and from where."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import PageArgs, QueryId, Text, page_of
from traceability.audit_query import query_audit_log
from traceability.permissions import Permission
from traceability.registry.search import Page
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log")


class AuditEntryOut(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    actor_user_id = ma.fields.Integer(allow_none=True)
    actor_device_id = ma.fields.Integer(allow_none=True)
    actor_name = ma.fields.String(allow_none=True)
    organisation_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String()
    entity = ma.fields.String()
    entity_id = ma.fields.String(allow_none=True)
    changes = ma.fields.Dict(metadata={"description": "{field: {old, new}}; personal data masked"})
    client_ip = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)


class AuditQueryArgs(PageArgs):
    entity = Text(32)
    entity_id = Text(64)
    actor_user_id = QueryId()
    actor_device_id = QueryId()
    organisation_id = QueryId()
    action = Text(64)
    since = ma.fields.AwareDateTime(
        default_timezone=dt.UTC, metadata={"description": "ISO 8601; UTC if no offset"}
    )
    until = ma.fields.AwareDateTime(
        default_timezone=dt.UTC, metadata={"description": "Exclusive; UTC if no offset"}
    )


@blp.route("")
class AuditLog(MethodView):
    @requires(Permission.AUDIT_READ)
    @blp.arguments(AuditQueryArgs, location="query")
    @blp.response(200, page_of(AuditEntryOut, "AuditEntryPage"))
    def get(self, args: dict[str, Any]) -> Page:
        """Audit entries matching every filter, newest first."""
        return query_audit_log(get_db(), current_principal(), **args)
