"""JSON verification for mobile apps: by scanned token, or by manual code plus collar serial."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from traceability.permissions import Permission
from traceability.verification.model import Verdict
from traceability.web.security import requires
from verify_api import scan_context, verifier, verify_limit

blp = Blueprint(
    "verify",
    __name__,
    url_prefix="/api/v1/verify",
    description="Public verification of cylinder labels (no authentication; rate limited per IP).",
)

_VERDICT_DOC = (
    "Verdicts, most severe first (the first that applies wins): "
    + ", ".join(f"`{verdict.value}`" for verdict in Verdict)
    + ". See docs/verification.md."
)


class LocationQuerySchema(ma.Schema):
    lat = ma.fields.Float(
        validate=ma.validate.Range(-90, 90),
        metadata={"description": "Volunteered latitude; stored rounded to 0.01°"},
    )
    lon = ma.fields.Float(
        validate=ma.validate.Range(-180, 180),
        metadata={"description": "Volunteered longitude; stored rounded to 0.01°"},
    )


class ManualSchema(ma.Schema):
    manual_code = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 32),
        metadata={"description": "Code printed under the QR, e.g. 028T-5CY4-TQKF-FA"},
    )
    serial = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 64),
        metadata={"description": "Serial stamped on the cylinder collar"},
    )
    latitude = ma.fields.Float(validate=ma.validate.Range(-90, 90))
    longitude = ma.fields.Float(validate=ma.validate.Range(-180, 180))


class TextSchema(ma.Schema):
    vi = ma.fields.String()
    en = ma.fields.String()


class ReasonSchema(TextSchema):
    code = ma.fields.String()


class LabelFactsSchema(ma.Schema):
    manual_code = ma.fields.String()
    issued_at = ma.fields.DateTime()
    current = ma.fields.Boolean()
    superseded_at = ma.fields.DateTime(allow_none=True)


class CylinderFactsSchema(ma.Schema):
    serial = ma.fields.String()
    brand_code = ma.fields.String()
    brand_name = ma.fields.String()
    owner = ma.fields.String(metadata={"description": "Owning trader (a business)"})
    type_code = ma.fields.String()
    type_name = ma.fields.String()
    nominal_kg = ma.fields.Float()
    tare_kg = ma.fields.Float()
    inspection_due = ma.fields.Date()
    inspection_days_left = ma.fields.Integer()
    inspection_warning = ma.fields.Boolean(metadata={"description": "Due within 30 days"})
    status = ma.fields.String()


class FillFactsSchema(ma.Schema):
    filled_at = ma.fields.DateTime()
    net_kg = ma.fields.Float()
    station_name = ma.fields.String()
    station_address = ma.fields.String(allow_none=True)


class CustodySchema(ma.Schema):
    holder = ma.fields.String(metadata={"description": "Business currently holding the cylinder"})
    holder_kind = ma.fields.String(allow_none=True)
    since = ma.fields.DateTime(allow_none=True)


class ChecksSchema(ma.Schema):
    serial = ma.fields.String(metadata={"description": "Must match the collar"})
    seal_intact = ma.fields.Boolean(metadata={"description": "Check the valve seal is intact"})
    expected_gross_kg = ma.fields.Float(metadata={"description": "tare + net"})
    tolerance_kg = ma.fields.Float()


class VerificationSchema(ma.Schema):
    verdict = ma.fields.String(
        metadata={"enum": [verdict.value for verdict in Verdict], "description": _VERDICT_DOC}
    )
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))
    message = ma.fields.Nested(TextSchema)
    checked_at = ma.fields.DateTime()
    label = ma.fields.Nested(LabelFactsSchema, allow_none=True)
    cylinder = ma.fields.Nested(CylinderFactsSchema, allow_none=True)
    fill = ma.fields.Nested(FillFactsSchema, allow_none=True)
    latest_fill = ma.fields.Nested(
        FillFactsSchema, allow_none=True, metadata={"description": "For superseded labels"}
    )
    custody = ma.fields.Nested(CustodySchema, allow_none=True)
    checks = ma.fields.Nested(ChecksSchema, allow_none=True)


def _answer(public: dict[str, Any]) -> Response:
    """Already JSON-shaped facts: skip schema dumping on the hot path (the schema documents it)."""
    return jsonify(public)


@blp.route("/<string:token>")
class VerifyToken(MethodView):
    decorators = [verify_limit]

    @requires(Permission.PUBLIC)
    @blp.arguments(LocationQuerySchema, location="query")
    @blp.response(200, VerificationSchema)
    @blp.alt_response(429, description="Too many verifications from this address")
    def get(self, query: dict[str, float], token: str) -> Response:
        """Verify a scanned label token (or the last path segment of its URL)."""
        context = scan_context(query.get("lat"), query.get("lon"))
        return _answer(verifier().verify(token, context).public)


@blp.route("/manual")
class VerifyManual(MethodView):
    decorators = [verify_limit]

    @requires(Permission.PUBLIC)
    @blp.arguments(ManualSchema)
    @blp.response(200, VerificationSchema)
    @blp.alt_response(429, description="Too many verifications from this address")
    def post(self, body: dict[str, Any]) -> Response:
        """Verify by the manual code printed under the QR plus the serial on the collar."""
        context = scan_context(body.get("latitude"), body.get("longitude"))
        result = verifier().verify_manual(body["manual_code"], body["serial"], context)
        return _answer(result.public)
