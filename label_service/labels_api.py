"""Issued labels: the record, and printable PNG/SVG/PDF/ZPL files and A4 sheets."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from label_service import render
from label_service.fills_api import FillOutSchema, LabelOutSchema
from label_service.issuance_labels import label_record_view, printable, read_labels
from traceability.permissions import Permission
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "labels",
    __name__,
    url_prefix="/api/v1/labels",
    description="Signed cylinder labels. `label_id` in URLs is the label's 16-hex public id.",
)

MAX_SHEET = 500
FORMATS: dict[str, tuple[str, Any]] = {
    "png": ("image/png", render.render_png),
    "svg": ("image/svg+xml", render.render_svg),
    "pdf": ("application/pdf", render.render_pdf),
    "zpl": ("application/x-zpl", render.render_zpl),
}
_LABEL_ID = ma.validate.Regexp(r"^[0-9a-fA-F]{16}$", error="a label id is 16 hex characters")


class LabelFieldsSchema(ma.Schema):
    serial = ma.fields.String()
    brand_code = ma.fields.String()
    type_code = ma.fields.String()
    tare_kg = ma.fields.String()
    net_kg = ma.fields.String()
    inspection_due = ma.fields.String()
    filled_at = ma.fields.String()


class LabelRecordSchema(LabelOutSchema):
    fill = ma.fields.Nested(FillOutSchema)
    fields = ma.fields.Nested(LabelFieldsSchema, metadata={"description": "As signed in the token"})
    station = ma.fields.Dict()
    signing_key = ma.fields.Dict()


class LabelSheetInSchema(ma.Schema):
    label_ids = ma.fields.List(
        ma.fields.String(validate=_LABEL_ID),
        required=True,
        validate=ma.validate.Length(1, MAX_SHEET),
    )


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


@blp.route("/<string:label_id>")
class LabelRecord(MethodView):
    @requires(Permission.LABEL_READ)
    @blp.response(200, LabelRecordSchema)
    @blp.alt_response(404, description="Unknown, or not yours (`label_not_found`)")
    def get(self, label_id: str) -> dict[str, Any]:
        """A label: ids, verification URL, manual code, signed fields, supersession."""
        (record,) = read_labels(get_db(), current_principal(), [label_id])
        return label_record_view(record, _base_url())


@blp.route("/<string:label_id>.<any(png, svg, pdf, zpl):fmt>")
class LabelFile(MethodView):
    @requires(Permission.LABEL_READ)
    @blp.response(
        200,
        content_type="image/png",
        description="50 × 30 mm label: PNG (300 dpi), SVG, PDF or ZPL (Zebra), by the suffix",
    )
    @blp.alt_response(404, description="Unknown, or not yours (`label_not_found`)")
    def get(self, label_id: str, fmt: str) -> Response:
        """The printable label as .png, .svg, .pdf or .zpl."""
        (record,) = read_labels(get_db(), current_principal(), [label_id])
        content_type, renderer = FORMATS[fmt]
        body = renderer(printable(record, _base_url()))
        response = Response(body, content_type=content_type)
        response.headers["Content-Disposition"] = (
            f'inline; filename="label-{label_id.lower()}.{fmt}"'
        )
        return response


@blp.route("/sheet")
class LabelSheet(MethodView):
    @requires(Permission.LABEL_READ)
    @blp.arguments(LabelSheetInSchema)
    @blp.response(200, content_type="application/pdf", description="A4 sheet, 27 labels a page")
    @blp.alt_response(404, description="A label is unknown or not yours (`label_not_found`)")
    def post(self, body: dict[str, Any]) -> Response:
        """An A4 PDF of up to 500 labels, in the order given (e.g. a batch just filled)."""
        records = read_labels(get_db(), current_principal(), body["label_ids"])
        base_url = _base_url()
        pdf = render.render_sheet_pdf([printable(record, base_url) for record in records])
        response = Response(pdf, content_type="application/pdf")
        response.headers["Content-Disposition"] = 'inline; filename="labels.pdf"'
        return response
