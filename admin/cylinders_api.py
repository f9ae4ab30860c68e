"""Cylinders: list, register, read and edit one by one, and import many from CSV or XLSX."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from admin.schemas_registry import (
    PRECONDITION_DOCS,
    Id,
    PageArgs,
    QueryId,
    Text,
    if_match,
    page_of,
    with_etag,
)
from traceability.models.enums import CylinderStatus
from traceability.permissions import Permission
from traceability.registry.cylinder_import import ImportMode, import_cylinders
from traceability.registry.cylinder_import_files import MAX_FILE_BYTES
from traceability.registry.cylinders import (
    get_cylinder,
    list_cylinders,
    register_cylinder,
    update_cylinder,
)
from traceability.web.security import accepts, current_principal, get_db, requires

blp = Blueprint(
    "cylinders",
    __name__,
    url_prefix="/api/v1/cylinders",
    description="Cylinders: registration, bulk import (CSV/XLSX), reading and editing.",
)

MULTIPART_SLACK = 64 * 1024


class CylinderOut(ma.Schema):
    id = ma.fields.Integer()
    owner_id = ma.fields.Integer()
    brand_id = ma.fields.Integer()
    brand_code = ma.fields.String()
    type_id = ma.fields.Integer()
    type_code = ma.fields.String()
    serial = ma.fields.String(metadata={"description": "As stamped on the collar"})
    manufacturer = ma.fields.String(allow_none=True)
    manufactured_on = ma.fields.Date(allow_none=True)
    tare_kg = ma.fields.Decimal(as_string=True, places=2)
    last_inspected_on = ma.fields.Date(allow_none=True)
    inspection_due = ma.fields.Date()
    status = ma.fields.String(metadata={"description": "in_service, quarantined, scrapped, …"})
    holder_org_id = ma.fields.Integer(allow_none=True)
    holder_facility_id = ma.fields.Integer(allow_none=True)
    current_label_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    version = ma.fields.Integer(metadata={"description": 'Also the ETag (`"v<version>"`)'})


class _CylinderTechnicalData(ma.Schema):
    manufacturer = Text(128, allow_none=True)
    manufactured_on = ma.fields.Date(allow_none=True)
    tare_kg = ma.fields.Decimal(metadata={"description": "1 to 200 kg, at most 2 decimals"})
    last_inspected_on = ma.fields.Date(allow_none=True)
    inspection_due = ma.fields.Date()


class CylinderIn(_CylinderTechnicalData):
    owner_id = Id(metadata={"description": "Administrators only; traders: own"})
    brand_id = Id(required=True)
    type_id = Id(required=True)
    serial = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 64),
        metadata={"description": "1–32 letters, digits, '-', '.', '/'; unique per owner"},
    )
    tare_kg = ma.fields.Decimal(required=True)
    inspection_due = ma.fields.Date(required=True)


class CylinderPatch(_CylinderTechnicalData):
    status = ma.fields.String(
        validate=ma.validate.OneOf([status.value for status in CylinderStatus]),
        metadata={"description": "Administrators only, with status_reason (audited)"},
    )
    status_reason = Text(500)


class CylinderListArgs(PageArgs):
    owner_id = QueryId()
    brand_id = QueryId()
    brand = Text(32, metadata={"description": "Brand code"})
    type = Text(16, metadata={"description": "Cylinder type code"})
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in CylinderStatus]))
    serial = Text(64, metadata={"description": "Case- and accent-insensitive serial search"})
    serial_match = ma.fields.String(
        load_default="contains", validate=ma.validate.OneOf(["contains", "prefix", "exact"])
    )
    inspection_due_before = ma.fields.Date()


class CylinderImportForm(ma.Schema):
    mode = ma.fields.String(
        load_default=ImportMode.ALL_OR_NOTHING.value,
        validate=ma.validate.OneOf([mode.value for mode in ImportMode]),
    )
    dry_run = ma.fields.Boolean(load_default=False)
    owner_id = QueryId(metadata={"description": "Administrators only"})


class CylinderImportFile(ma.Schema):
    file = Upload(required=True, metadata={"description": "CSV (UTF-8) or XLSX, ≤ 10 MB"})


class CylinderImportUpload(CylinderImportForm, CylinderImportFile):
    """Documents the whole multipart body (form fields and the file are parsed separately)."""


class CylinderImportRowError(ma.Schema):
    row = ma.fields.Integer(metadata={"description": "Spreadsheet row number (header is 1)"})
    field = ma.fields.String()
    code = ma.fields.String()
    message = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class CylinderImportReport(ma.Schema):
    mode = ma.fields.String()
    dry_run = ma.fields.Boolean()
    owner_id = ma.fields.Integer()
    total_rows = ma.fields.Integer()
    valid_rows = ma.fields.Integer()
    rejected_rows = ma.fields.Integer()
    imported = ma.fields.Integer()
    bad_rows = ma.fields.List(ma.fields.Integer())
    row_errors = ma.fields.List(ma.fields.Nested(CylinderImportRowError))
    row_errors_truncated = ma.fields.Boolean()


def allow_upload(limit: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Raise this request's body limit (the app default is for JSON) before the form is parsed."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request.max_content_length = limit + MULTIPART_SLACK
            return view(*args, **kwargs)

        return wrapper

    return decorate


@blp.route("")
class Cylinders(MethodView):
    @requires(Permission.CYLINDER_READ)
    @blp.arguments(CylinderListArgs, location="query")
    @blp.response(200, page_of(CylinderOut, "CylinderPage"))
    def get(self, args: dict[str, Any]) -> Any:
        """List cylinders: the caller's organisation's own, or all for the department."""
        args["type_code"] = args.pop("type", None)
        return list_cylinders(get_db(), current_principal(), **args)

    @requires(Permission.CYLINDER_WRITE)
    @blp.arguments(CylinderIn)
    @blp.response(201, CylinderOut)
    @blp.alt_response(
        409, description="Serial already registered for the owner (`duplicate_serial`)"
    )
    @blp.alt_response(422, description="Invalid fields, brand not the owner's (`invalid_cylinder`)")
    def post(self, body: dict[str, Any]) -> Any:
        """Register one cylinder (a trader for its own organisation; an admin for any)."""
        body, status, headers = with_etag(
            register_cylinder(get_db(), current_principal(), body), 201
        )
        headers["Location"] = url_for(".Cylinder", cylinder_id=body["id"])
        return body, status, headers


@blp.route("/<int:cylinder_id>")
class Cylinder(MethodView):
    @requires(Permission.CYLINDER_READ)
    @blp.response(200, CylinderOut)
    @blp.alt_response(404, description="No such cylinder, or another organisation's")
    def get(self, cylinder_id: int) -> Any:
        """One cylinder, with its ETag for a later PATCH."""
        return with_etag(get_cylinder(get_db(), current_principal(), cylinder_id))

    @requires(Permission.CYLINDER_WRITE)
    @blp.doc(**PRECONDITION_DOCS)
    @blp.arguments(CylinderPatch)
    @blp.response(200, CylinderOut)
    @blp.alt_response(412, description="The cylinder changed since it was read")
    @blp.alt_response(428, description="If-Match missing")
    def patch(self, body: dict[str, Any], cylinder_id: int) -> Any:
        """Edit technical data (owner and serial never change); admins may override status."""
        accepted = if_match()
        return with_etag(
            update_cylinder(get_db(), current_principal(), cylinder_id, accepted, body)
        )


@blp.route("/import")
class CylinderImport(MethodView):
    @requires(Permission.CYLINDER_WRITE)
    @accepts("multipart/form-data")
    @allow_upload(MAX_FILE_BYTES)
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"multipart/form-data": {"schema": CylinderImportUpload}},
        }
    )
    @blp.arguments(CylinderImportForm, location="form")
    @blp.arguments(CylinderImportFile, location="files")
    @blp.response(201, CylinderImportReport)
    @blp.alt_response(200, schema=CylinderImportReport, description="Dry run: what would happen")
    @blp.alt_response(413, description="More than 10 MB or 20,000 rows (`import_too_large`)")
    @blp.alt_response(
        422, description="Bad rows (`import_rejected`, with the same report) or an unreadable file"
    )
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> Any:
        """Register many cylinders from a CSV or XLSX file; see docs/cylinder-import.md.

        Every row is validated. `all_or_nothing` (default) imports nothing if any row is bad
        (422 with every bad row's errors); `good_rows_only` imports the good rows and reports
        the bad ones. `dry_run=true` validates and answers as the real call would, writing nothing.
        """
        upload = files["file"]
        try:
            raw = upload.read(MAX_FILE_BYTES + 1)
        finally:
            upload.close()  # large uploads are spooled to a temporary file
        report = import_cylinders(
            get_db(),
            current_principal(),
            raw,
            filename=upload.filename or "",
            mode=ImportMode(form["mode"]),
            dry_run=form["dry_run"],
            owner_id=form.get("owner_id"),
        )
        return report.as_dict(), 200 if report.dry_run else 201
