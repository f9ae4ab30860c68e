"""The three Decree 87 ledgers: paginated JSON, and XLSX, CSV, PDF or XML exports."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

import marshmallow as ma
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from traceability.ledger.exports.layout import LAYOUTS, Column, LedgerLayout
from traceability.ledger.exports.xml import schema_text
from traceability.ledger.views import (
    FORMATS,
    ExportLimits,
    LedgerPage,
    export_ledger,
    ledger_page,
)
from traceability.ledger.views_common import LedgerFilters
from traceability.permissions import Permission
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "ledgers",
    __name__,
    url_prefix="/api/v1/ledgers",
    description="Decree 87 ledgers: 1 importers/wholesalers, 2 filling stations, 3 retail shops",
)
MAX_PER_PAGE = 500
MAX_ID = 2**63 - 1  # larger ids cannot exist (BIGINT), and SQLite cannot even bind them
LEDGER_NUMBER = "<int(min=1, max=3):number>"


class LedgerQuerySchema(ma.Schema):
    organisation_id = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Whose ledger; defaults to the caller's own organisation"},
    )
    facility_id = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "One station (ledger 2), shop (ledger 3) or warehouse (1)"},
    )
    date_from = ma.fields.Date(
        data_key="from", metadata={"description": "First day (Vietnam time); default: 1st"}
    )
    date_to = ma.fields.Date(
        data_key="to", metadata={"description": "Last day, inclusive; default: today"}
    )


class LedgerPageQuerySchema(LedgerQuerySchema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(
        load_default=50, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE)
    )


class PartySchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    address = ma.fields.String(allow_none=True)


_FIELD_TYPES = {"text": ma.fields.String, "date": ma.fields.Date, "int": ma.fields.Integer}


def _field(column: Column) -> ma.fields.Field:
    return _FIELD_TYPES[column.kind](allow_none=True, metadata={"description": column.header_vi})


def _row_schema(layout: LedgerLayout) -> type[ma.Schema]:
    """The JSON row: the ledger's columns (English keys) plus identity and correction markers."""
    fields: dict[str, ma.fields.Field] = {
        "entry_id": ma.fields.Integer(allow_none=True),
        "fill_id": ma.fields.Integer(allow_none=True),
        "row_type": ma.fields.String(metadata={"description": "entry or correction"}),
        "kind": ma.fields.String(),
        "occurred_at": ma.fields.DateTime(),
        "corrects_entry_id": ma.fields.Integer(allow_none=True),
        "correction_reason": ma.fields.String(allow_none=True),
        "correction_details": ma.fields.Dict(allow_none=True),
        "corrected_by": ma.fields.List(
            ma.fields.Integer(), metadata={"description": "Entries that correct this row"}
        ),
    }
    fields.update({column.key: _field(column) for column in layout.columns})
    name = {1: "WholesaleLedgerRow", 2: "FillingLedgerRow", 3: "RetailLedgerRow"}[layout.number]
    return ma.Schema.from_dict(fields, name=name)


ROW_SCHEMAS = {number: _row_schema(layout) for number, layout in LAYOUTS.items()}
SummaryLineSchema = ma.Schema.from_dict(
    {column.key: _field(column) for column in LAYOUTS[2].summary_columns},
    name="FillingSummaryLine",
)


class LedgerPageSchema(ma.Schema):
    ledger = ma.fields.Integer()
    title = ma.fields.String()
    organisation = ma.fields.Nested(PartySchema)
    facility = ma.fields.Nested(PartySchema, allow_none=True)
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()
    personal_data_visible = ma.fields.Boolean()
    items = ma.fields.Method("dump_items")
    summary = ma.fields.List(
        ma.fields.Nested(SummaryLineSchema),
        allow_none=True,
        metadata={"description": "Ledger 2: cylinders filled and delivered per day, owner, type"},
    )

    def dump_items(self, page: dict[str, Any]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = ROW_SCHEMAS[page["ledger"]](many=True).dump(page["items"])
        return result


def _filters(args: dict[str, Any]) -> LedgerFilters:
    return LedgerFilters(
        organisation_id=args.get("organisation_id"),
        facility_id=args.get("facility_id"),
        date_from=args.get("date_from"),
        date_to=args.get("date_to"),
    )


def _limits() -> ExportLimits:
    config = current_app.config
    return ExportLimits(
        max_days=config["LEDGER_MAX_DAYS"],
        pdf_rows=config["LEDGER_PDF_MAX_ROWS"],
        file_rows=config["LEDGER_EXPORT_MAX_ROWS"],
    )


def _page_body(result: LedgerPage) -> dict[str, Any]:
    scope = result.scope
    return {
        "ledger": scope.number,
        "title": LAYOUTS[scope.number].title_vi,
        "organisation": scope.organisation,
        "facility": scope.facility,
        "date_from": scope.date_from,
        "date_to": scope.date_to,
        "page": result.page,
        "per_page": result.per_page,
        "total": result.total,
        "personal_data_visible": result.personal_data_visible,
        "items": result.items,
        "summary": result.summary,
    }


_ERRORS = (
    (404, "Unknown ledger, or another organisation's organisation/facility"),
    (422, "Invalid filters (`ledger_scope_required`, `ledger_period_invalid`, ...)"),
)


@blp.route(f"/{LEDGER_NUMBER}")
class Ledger(MethodView):
    @requires(Permission.LEDGER_READ)
    @blp.arguments(LedgerPageQuerySchema, location="query", unknown=ma.RAISE)
    @blp.response(200, LedgerPageSchema)
    @blp.alt_response(404, description=_ERRORS[0][1])
    @blp.alt_response(422, description=_ERRORS[1][1])
    def get(self, args: dict[str, Any], number: int) -> dict[str, Any]:
        """One page of ledger 1, 2 or 3 in its Decree 87 layout, oldest first.

        Traders, stations and shops read their own organisation's ledgers; admins and
        inspectors give `organisation_id` or `facility_id`. Corrections are rows of their own
        (`row_type` = correction, `corrects_entry_id`); the rows they correct list them in
        `corrected_by`. Ledger 3 customer name and address are shown only with the
        personal-data permission (otherwise `***`), and each such read is audited.
        """
        result = ledger_page(
            get_db(),
            current_principal(),
            current_app.extensions["lpg_keyring"],
            number,
            _filters(args),
            page=args["page"],
            per_page=args["per_page"],
            max_days=current_app.config["LEDGER_MAX_DAYS"],
        )
        return _page_body(result)


@blp.route(f"/{LEDGER_NUMBER}/export.<any(xlsx, csv, pdf, xml):fmt>")
class LedgerExport(MethodView):
    @requires(Permission.LEDGER_READ)
    @blp.arguments(LedgerQuerySchema, location="query", unknown=ma.RAISE)
    @blp.doc(
        responses={
            "200": {
                "description": "The ledger file (XLSX, CSV with BOM, A4 landscape PDF, or XML "
                "valid against /api/v1/ledgers/schema.xsd)",
                "content": {mime.split(";")[0]: {} for mime in FORMATS.values()},
            }
        }
    )
    @blp.alt_response(404, description=_ERRORS[0][1])
    @blp.alt_response(
        422, description="Invalid filters, or too many rows (`ledger_export_too_large`)"
    )
    def get(self, args: dict[str, Any], number: int, fmt: str) -> Response:
        """Download a whole ledger for the period; the same filters and rules as the JSON.

        Caps: PDF at LEDGER_PDF_MAX_ROWS (10,000) rows, other formats at
        LEDGER_EXPORT_MAX_ROWS. Every export is written to the audit log.
        """
        out = tempfile.TemporaryFile()  # noqa: SIM115  (send_file closes it after sending)
        try:
            result = export_ledger(
                get_db(),
                current_principal(),
                current_app.extensions["lpg_keyring"],
                number,
                _filters(args),
                fmt,
                out,
                _limits(),
            )
        except BaseException:
            out.close()
            raise
        size = out.seek(0, 2)
        out.seek(0)
        headers = {
            "Content-Disposition": f'attachment; filename="{result.filename}"',
            "Content-Length": str(size),
            "X-Ledger-Rows": str(result.rows),
            "Cache-Control": "no-store",
        }
        return Response(_stream(out), mimetype=result.mimetype, headers=headers)


def _stream(out: IO[bytes], chunk: int = 256 * 1024) -> Iterator[bytes]:
    """Send the spooled export and delete it once sent (or when the client goes away)."""
    try:
        while data := out.read(chunk):
            yield data
    finally:
        out.close()


@blp.route("/schema.xsd")
class LedgerSchema(MethodView):
    @requires(Permission.LEDGER_READ)
    @blp.doc(responses={"200": {"description": "XSD", "content": {"application/xml": {}}}})
    def get(self) -> Response:
        """The XML schema the XML exports follow (also in the source: ledgers.xsd)."""
        return Response(schema_text(), mimetype="application/xml")
