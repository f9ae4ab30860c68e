"""Inspectors: a cylinder's full history, and field checks with their photos."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from admin.cylinders_api import allow_upload
from admin.schemas_registry import PageArgs, QueryId, Text, checked_id, page_of
from traceability.inspection.field_checks import (
    MAX_NOTES,
    RESULTS,
    VIOLATIONS,
    FieldCheckInput,
    get_field_check,
    list_field_checks,
    record_field_check,
)
from traceability.inspection.history import DEFAULT_LIMIT, MAX_LIMIT, cylinder_history
from traceability.inspection.photos import MAX_PHOTO_BYTES, attach_photo, read_photo
from traceability.permissions import Permission
from traceability.web.security import accepts, current_principal, get_db, requires

blp = Blueprint(
    "inspections",
    __name__,
    url_prefix="/api/v1",
    description="Inspectors: cylinder history (timeline) and field checks. Search cylinders "
    "with GET /api/v1/cylinders?serial=&brand=&owner_id= (the registry listing).",
)


class HistoryArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, MAX_LIMIT))
    cursor = ma.fields.String(
        validate=ma.validate.Length(1, 120),
        metadata={"description": "`next_cursor` of the previous page"},
    )


class HistoryOut(ma.Schema):
    cylinder = ma.fields.Dict(metadata={"description": "Registry facts, owner and holder names"})
    scans = ma.fields.Dict(metadata={"description": "Scans of all its labels: by verdict, last"})
    items = ma.fields.List(
        ma.fields.Dict(),
        metadata={
            "description": "Timeline, newest first: `source` is event, label, field_check, "
            "report or anomaly; `at` is when it happened; actors are organisations/facilities"
        },
    )
    next_cursor = ma.fields.String(allow_none=True)
    order = ma.fields.String()
    scope = ma.fields.String(metadata={"description": "`full` (authorities) or `owner`"})


class FieldCheckIn(ma.Schema):
    entry_uuid = ma.fields.UUID(required=True, metadata={"description": "Client id; retry-safe"})
    cylinder_id = ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 2**63 - 1))
    brand_code = Text(32)
    serial = Text(64)
    label = Text(600, metadata={"description": "Label URL, bare token"})
    checked_at = ma.fields.AwareDateTime(required=True)
    place = Text(255, required=True)
    latitude = ma.fields.Float(validate=ma.validate.Range(-90, 90), allow_none=True)
    longitude = ma.fields.Float(validate=ma.validate.Range(-180, 180), allow_none=True)
    result = ma.fields.String(required=True, validate=ma.validate.OneOf(RESULTS))
    violations = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(VIOLATIONS)),
        load_default=list,
        validate=ma.validate.Length(max=len(VIOLATIONS)),
    )
    notes = ma.fields.String(validate=ma.validate.Length(max=MAX_NOTES), allow_none=True)


class FieldCheckOut(ma.Schema):
    id = ma.fields.Integer()
    entry_uuid = ma.fields.String()
    cylinder_id = ma.fields.Integer()
    inspector_id = ma.fields.Integer()
    checked_at = ma.fields.AwareDateTime()
    place = ma.fields.String()
    latitude = ma.fields.Float(allow_none=True, metadata={"description": "Rounded to ~100 m"})
    longitude = ma.fields.Float(allow_none=True)
    result = ma.fields.String()
    violations = ma.fields.List(ma.fields.String())
    notes = ma.fields.String(allow_none=True)
    has_photo = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()


class FieldCheckListArgs(PageArgs):
    cylinder_id = QueryId()
    inspector_id = QueryId()
    result = ma.fields.String(validate=ma.validate.OneOf(RESULTS))
    violation = ma.fields.String(validate=ma.validate.OneOf(VIOLATIONS))
    since = ma.fields.AwareDateTime()
    until = ma.fields.AwareDateTime()


class PhotoFile(ma.Schema):
    photo = Upload(required=True, metadata={"description": "JPEG or PNG, ≤ 5 MB"})


@blp.route("/cylinders/<int:cylinder_id>/history")
class CylinderHistory(MethodView):
    @requires(Permission.CYLINDER_READ)
    @blp.arguments(HistoryArgs, location="query")
    @blp.response(200, HistoryOut)
    @blp.alt_response(403, description="Stations and shops")
    @blp.alt_response(404, description="No such cylinder, or (for a trader) not its own")
    def get(self, args: dict[str, Any], cylinder_id: int) -> Any:
        """Full history of a cylinder: events, labels and their scans, checks, reports, anomalies.

        Inspectors and administrators (cylinder:history) see everything; the owner trader sees
        its own cylinder's events, labels, scans and field-check results (no reports, anomalies
        or inspectors' notes). No personal data appears: customers' details have their own
        audited endpoint. Page with `next_cursor`.
        """
        checked_id(cylinder_id, "cylinder")
        return cylinder_history(get_db(), current_principal(), cylinder_id, **args)


@blp.route("/field-checks")
class FieldChecks(MethodView):
    @requires(Permission.CYLINDER_HISTORY)
    @blp.arguments(FieldCheckListArgs, location="query")
    @blp.response(200, page_of(FieldCheckOut, "FieldCheckPage"))
    def get(self, args: dict[str, Any]) -> Any:
        """Field checks, newest first, by cylinder, inspector, result, violation and time."""
        return list_field_checks(get_db(), current_principal(), **args)

    @requires(Permission.FIELD_CHECK_RECORD)
    @blp.arguments(FieldCheckIn)
    @blp.response(201, FieldCheckOut)
    @blp.alt_response(200, schema=FieldCheckOut, description="Replay of the same entry_uuid")
    @blp.alt_response(404, description="Cylinder or label unknown")
    @blp.alt_response(409, description="entry_uuid already used for a different check")
    @blp.alt_response(422, description="Invalid result/violations combination")
    def post(self, body: dict[str, Any]) -> Any:
        """Record a field check; appropriated_cylinder/suspected_illegal_refill open an anomaly.

        Name the cylinder by `cylinder_id`, `brand_code` + `serial`, or `label` (URL/token).
        Coordinates are stored rounded to 3 decimals (~100 m).
        """
        body["entry_uuid"] = str(body["entry_uuid"])
        check, created = record_field_check(get_db(), current_principal(), FieldCheckInput(**body))
        location = url_for(".FieldCheck", check_id=check["id"])
        return check, 201 if created else 200, {"Location": location}


@blp.route("/field-checks/<int:check_id>")
class FieldCheck(MethodView):
    @requires(Permission.CYLINDER_HISTORY)
    @blp.response(200, FieldCheckOut)
    def get(self, check_id: int) -> Any:
        """One field check."""
        return get_field_check(get_db(), current_principal(), checked_id(check_id, "check"))


@blp.route("/field-checks/<int:check_id>/photo")
class FieldCheckPhoto(MethodView):
    @requires(Permission.FIELD_CHECK_RECORD)
    @accepts("multipart/form-data")
    @allow_upload(MAX_PHOTO_BYTES)
    @blp.arguments(PhotoFile, location="files")
    @blp.response(200, FieldCheckOut)
    @blp.alt_response(413, description="Larger than 5 MB (`photo_too_large`)")
    @blp.alt_response(415, description="Not a decodable JPEG or PNG (`unsupported_photo`)")
    def post(self, files: dict[str, Any], check_id: int) -> Any:
        """Attach (or replace) the check's photo; it is re-encoded, dropping EXIF/GPS metadata."""
        data = files["photo"].read(MAX_PHOTO_BYTES + 1)
        return attach_photo(get_db(), current_principal(), checked_id(check_id, "check"), data)

    @requires(Permission.CYLINDER_HISTORY)
    @blp.response(200, description="The photo (image/jpeg or image/png)")
    def get(self, check_id: int) -> Any:
        """The check's photo as stored (metadata already stripped)."""
        data, mimetype = read_photo(get_db(), current_principal(), checked_id(check_id, "check"))
        return Response(data, mimetype=mimetype, headers={"Cache-Control": "private, no-store"})
