"""Facilities: filling stations, retail shops, depots and warehouses."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import (
    ETAG_HEADER,
    PRECONDITION_DOCS,
    Code,
    Id,
    PageArgs,
    QueryId,
    Text,
    checked_id,
    if_match,
    page_of,
    with_etag,
)
from traceability.models.enums import FacilityKind
from traceability.paging import Page
from traceability.permissions import Permission
from traceability.registry import facilities as service
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "facilities", __name__, url_prefix="/api/v1", description="Stations, shops, depots, warehouses"
)

KINDS = [kind.value for kind in FacilityKind]
FACILITY_CODE = r"^[A-Z0-9][A-Z0-9._-]*$"


class FacilityIn(ma.Schema):
    organisation_id = Id(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    code = Code(FACILITY_CODE, 32, required=True, metadata={"description": "A-Z 0-9 . _ -"})
    name = Text(255, required=True)
    address = Text(512, allow_none=True)
    admin_unit_id = Id(allow_none=True)


class FacilityPatch(ma.Schema):
    """Owner and kind are fixed: a transfer or conversion is a new facility."""

    code = Code(FACILITY_CODE, 32)
    name = Text(255)
    address = Text(512, allow_none=True)
    admin_unit_id = Id(allow_none=True)
    active = ma.fields.Boolean()


class FacilityOut(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    organisation_name = ma.fields.String()
    kind = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()
    address = ma.fields.String(allow_none=True)
    admin_unit_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    version = ma.fields.Integer()
    licence_status = ma.fields.String(
        metadata={"description": "From the facility's own licences if any, else its owner's"}
    )
    licensed_today = ma.fields.Boolean()


class FacilityQuery(PageArgs):
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))
    organisation_id = QueryId()
    admin_unit_id = QueryId()
    q = Text(
        100,
        min_length=0,
        metadata={"description": "Words of the name, code or address (no accents needed)"},
    )
    active = ma.fields.Boolean()


FacilityPage = page_of(FacilityOut, "FacilityPage")


@blp.route("/facilities")
class Facilities(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.arguments(FacilityQuery, location="query")
    @blp.response(200, FacilityPage)
    def get(self, args: dict[str, Any]) -> Page:
        """List facilities; traders, stations and shops see only their organisation's."""
        return service.list_facilities(get_db(), current_principal(), **args)

    @requires(Permission.REGISTRY_MANAGE)
    @blp.arguments(FacilityIn)
    @blp.response(201, FacilityOut, headers=ETAG_HEADER)
    @blp.alt_response(409, description="`facility_code_taken`")
    def post(self, body: dict[str, Any]) -> Any:
        """Register a facility of an organisation (department administrators)."""
        return with_etag(service.create_facility(get_db(), current_principal(), body), 201)


@blp.route("/facilities/<int:facility_id>")
class FacilityItem(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.response(200, FacilityOut, headers=ETAG_HEADER)
    @blp.alt_response(404, description="Unknown, or another organisation's")
    def get(self, facility_id: int) -> Any:
        """One facility with its licence standing; the ETag is for PATCH."""
        facility_id = checked_id(facility_id, "facility")
        return with_etag(service.get_facility(get_db(), current_principal(), facility_id))

    @requires(Permission.REGISTRY_MANAGE)
    @blp.doc(**PRECONDITION_DOCS)
    @blp.arguments(FacilityPatch)
    @blp.response(200, FacilityOut, headers=ETAG_HEADER)
    @blp.alt_response(412, description="Changed since read (`precondition_failed`)")
    @blp.alt_response(428, description="If-Match missing (`precondition_required`)")
    @blp.alt_response(409, description="`facility_code_taken`")
    def patch(self, body: dict[str, Any], facility_id: int) -> Any:
        """Change a facility; send If-Match with the ETag you read."""
        facility_id = checked_id(facility_id, "facility")
        versions = if_match()
        return with_etag(
            service.update_facility(get_db(), current_principal(), facility_id, body, versions)
        )
