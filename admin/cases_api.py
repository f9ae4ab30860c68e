"""The inspectors' work queue: consumer reports and anomalies, assigned and closed (audited)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import PageArgs, Text, checked_id, page_of
from traceability.errors import NotFound
from traceability.inspection.cases import (
    KINDS,
    MAX_RESOLUTION,
    assign_case,
    close_case,
    list_cases,
    read_report_contact,
)
from traceability.models.enums import CaseStatus
from traceability.permissions import Permission
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "cases",
    __name__,
    url_prefix="/api/v1/cases",
    description="Work queue of consumer reports and anomalies (open → investigating → closed).",
)

KIND_VALUES = list(KINDS)


class CaseListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in CaseStatus]))
    kind = ma.fields.String(validate=ma.validate.OneOf(KIND_VALUES))


class Handler(ma.Schema):
    user_id = ma.fields.Integer()
    name = ma.fields.String()


class CaseOut(ma.Schema):
    kind = ma.fields.String(metadata={"description": "report or anomaly"})
    id = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()
    status = ma.fields.String()
    reason = ma.fields.String(metadata={"description": "Report reason or anomaly kind"})
    text = ma.fields.String(allow_none=True, metadata={"description": "Report text"})
    detail = ma.fields.Dict(allow_none=True, metadata={"description": "Anomaly detail"})
    entry_id = ma.fields.Integer(allow_none=True)
    occurrences = ma.fields.Integer(
        metadata={"description": "Anomaly: times seen while this case was not closed"}
    )
    last_seen_at = ma.fields.AwareDateTime(allow_none=True)
    has_contact = ma.fields.Boolean(
        metadata={"description": "Contact left (read via /cases/report/{id}/contact)"}
    )
    cylinder_id = ma.fields.Integer(allow_none=True)
    cylinder = ma.fields.Dict(allow_none=True)
    label_id = ma.fields.Integer(allow_none=True)
    handled_by = ma.fields.Nested(Handler, allow_none=True)
    handled_at = ma.fields.AwareDateTime(allow_none=True)
    resolution = ma.fields.String(allow_none=True)


class CloseIn(ma.Schema):
    resolution = Text(MAX_RESOLUTION, required=True)


class ContactOut(ma.Schema):
    report_id = ma.fields.Integer()
    contact = ma.fields.Dict(allow_none=True)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"no case kind {kind!r}")
    return kind


@blp.route("")
class Cases(MethodView):
    @requires(Permission.CASE_MANAGE)
    @blp.arguments(CaseListArgs, location="query")
    @blp.response(200, page_of(CaseOut, "CasePage"))
    def get(self, args: dict[str, Any]) -> Any:
        """Reports and anomalies merged, newest first; contact details are never listed."""
        return list_cases(get_db(), current_principal(), **args)


@blp.route("/<kind>/<int:case_id>/assign")
class AssignCase(MethodView):
    @requires(Permission.CASE_MANAGE)
    @blp.response(200, CaseOut)
    @blp.alt_response(404, description="No such case")
    @blp.alt_response(409, description="Already closed (`case_closed`)")
    def post(self, kind: str, case_id: int) -> Any:
        """Take the case: status `investigating`, handled by the caller (audited)."""
        return assign_case(get_db(), current_principal(), _kind(kind), checked_id(case_id, kind))


@blp.route("/<kind>/<int:case_id>/close")
class CloseCase(MethodView):
    @requires(Permission.CASE_MANAGE)
    @blp.arguments(CloseIn)
    @blp.response(200, CaseOut)
    @blp.alt_response(404, description="No such case")
    @blp.alt_response(409, description="Already closed (`case_closed`)")
    def post(self, body: dict[str, Any], kind: str, case_id: int) -> Any:
        """Close the case with a resolution (required; audited)."""
        return close_case(
            get_db(),
            current_principal(),
            _kind(kind),
            checked_id(case_id, kind),
            body["resolution"],
        )


@blp.route("/report/<int:report_id>/contact")
class ReportContact(MethodView):
    @requires(Permission.PERSONAL_DATA_READ)
    @blp.response(200, ContactOut)
    @blp.alt_response(403, description="Needs case:manage too (inspectors and administrators)")
    def get(self, report_id: int) -> Any:
        """Decrypt the contact the reporter left; every read is written to the audit log."""
        return read_report_contact(
            get_db(),
            current_app.extensions["lpg_keyring"],
            current_principal(),
            checked_id(report_id, "report"),
        )
