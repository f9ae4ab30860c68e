"""Reports of suspect cylinders from the public, queued for inspectors."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from traceability.db import utcnow
from traceability.permissions import Permission
from traceability.verification.reports import (
    MAX_CONTACT,
    MAX_TEXT,
    REPORT_REASONS,
    NewReport,
    submit_report,
)
from traceability.web.security import get_db, requires
from verify_api import report_limit, scan_context

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="Public reports of suspect cylinders (rate limited per IP).",
)


class ReportSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.OneOf(REPORT_REASONS))
    token = ma.fields.String(
        validate=ma.validate.Length(1, 600),
        metadata={"description": "The scanned token or label URL, if any"},
    )
    text = ma.fields.String(validate=ma.validate.Length(0, MAX_TEXT))
    contact = ma.fields.String(
        validate=ma.validate.Length(0, MAX_CONTACT),
        metadata={"description": "Optional; stored encrypted, shown only to inspectors"},
    )
    latitude = ma.fields.Float(validate=ma.validate.Range(-90, 90))
    longitude = ma.fields.Float(validate=ma.validate.Range(-180, 180))


class ReportReceiptSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()


def file_report(fields: dict[str, Any]) -> int:
    """Shared by the JSON endpoint and the page form."""
    report = NewReport(**{key: fields.get(key) for key in NewReport.__slots__})  # type: ignore[attr-defined]
    return submit_report(
        get_db(),
        current_app.extensions["lpg_keyring"],
        report,
        client_hash=scan_context().client_hash,
        now=utcnow(),
    )


@blp.route("")
class Reports(MethodView):
    decorators = [report_limit]

    @requires(Permission.PUBLIC)
    @blp.arguments(ReportSchema)
    @blp.response(201, ReportReceiptSchema)
    @blp.alt_response(429, description="Too many reports from this address")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Report a suspect cylinder; the contact, if given, is sealed and never shown publicly."""
        return {"id": file_report(body), "status": "open"}
