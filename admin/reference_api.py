"""Reference data: administrative units (a dated hierarchy), cylinder types and brands."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import Code, Id, PageArgs, QueryId, Text, checked_id, page_of
from traceability.paging import Page
from traceability.permissions import Permission
from traceability.registry import reference as service
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "reference",
    __name__,
    url_prefix="/api/v1",
    description="Administrative units, cylinder types and brands",
)

CODE = r"^[A-Z0-9][A-Z0-9._-]*$"
LEVEL = r"^[a-z][a-z_]{1,31}$"


class AdminUnitIn(ma.Schema):
    code = Code(CODE, 32, required=True)
    name = Text(255, required=True)
    level = Text(
        32,
        required=True,
        pattern=LEVEL,
        error="lower-case word, e.g. province, commune",
        metadata={"description": "Free vocabulary: province, district, commune, ward…"},
    )
    parent_id = Id(allow_none=True)
    valid_from = ma.fields.Date(allow_none=True)
    valid_to = ma.fields.Date(allow_none=True, metadata={"description": "Last day it exists"})


class AdminUnitPatch(AdminUnitIn):
    """Any subset of the fields (used with partial=True)."""


class AdminUnitOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()
    parent_id = ma.fields.Integer(allow_none=True)
    valid_from = ma.fields.Date(allow_none=True)
    valid_to = ma.fields.Date(allow_none=True)
    open_today = ma.fields.Boolean()


class AdminUnitDetail(AdminUnitOut):
    parents = ma.fields.List(
        ma.fields.Nested(AdminUnitOut), metadata={"description": "Nearest parent first"}
    )


class AdminUnitQuery(PageArgs):
    parent_id = QueryId()
    level = Text(32, pattern=LEVEL)
    q = Text(100, min_length=0)
    include_closed = ma.fields.Boolean(load_default=False)


class CylinderTypeIn(ma.Schema):
    code = Code(CODE, 16, required=True)
    name = Text(128, required=True)
    nominal_kg = ma.fields.Decimal(
        required=True,
        places=2,
        validate=ma.validate.Range(0, 100, min_inclusive=False),
        metadata={"description": "Nominal LPG mass, 0 < kg ≤ 100"},
    )
    water_capacity_l = ma.fields.Decimal(
        allow_none=True, places=2, validate=ma.validate.Range(0, 1000, min_inclusive=False)
    )
    standard = Text(128, allow_none=True)


class CylinderTypeOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    nominal_kg = ma.fields.Decimal(as_string=True)
    water_capacity_l = ma.fields.Decimal(as_string=True, allow_none=True)
    standard = ma.fields.String(allow_none=True)


class BrandIn(ma.Schema):
    organisation_id = Id(required=True)
    code = Code(
        r"^[A-Z0-9][A-Z0-9-]+$", 16, required=True, metadata={"description": "A-Z 0-9 -, 2..16"}
    )
    name = Text(128, required=True)


class BrandOut(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    organisation_name = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()


class BrandQuery(ma.Schema):
    organisation_id = QueryId()


AdminUnitPage = page_of(AdminUnitOut, "AdminUnitPage")


@blp.route("/admin-units")
class AdminUnits(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.arguments(AdminUnitQuery, location="query")
    @blp.response(200, AdminUnitPage)
    def get(self, args: dict[str, Any]) -> Page:
        """Units by parent, level or name; abolished units only with include_closed=true."""
        return service.list_admin_units(get_db(), current_principal(), **args)

    @requires(Permission.REGISTRY_MANAGE)
    @blp.arguments(AdminUnitIn)
    @blp.response(201, AdminUnitOut)
    @blp.alt_response(409, description="`admin_unit_code_taken`")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a unit, e.g. one created by an administrative reform."""
        return service.create_admin_unit(get_db(), current_principal(), body)


@blp.route("/admin-units/<int:unit_id>")
class AdminUnitItem(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.response(200, AdminUnitDetail)
    def get(self, unit_id: int) -> dict[str, Any]:
        """One unit with its chain of parents."""
        unit_id = checked_id(unit_id, "administrative unit")
        return service.get_admin_unit(get_db(), current_principal(), unit_id)

    @requires(Permission.REGISTRY_MANAGE)
    @blp.arguments(AdminUnitPatch(partial=True))
    @blp.response(200, AdminUnitOut)
    @blp.alt_response(422, description="`admin_unit_cycle`, `admin_unit_has_open_children`")
    def patch(self, body: dict[str, Any], unit_id: int) -> dict[str, Any]:
        """Rename, re-parent, or close (valid_to) a unit after its children have moved."""
        unit_id = checked_id(unit_id, "administrative unit")
        return service.update_admin_unit(get_db(), current_principal(), unit_id, body)


@blp.route("/cylinder-types")
class CylinderTypes(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.response(200, CylinderTypeOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every cylinder type, smallest first."""
        return service.list_cylinder_types(get_db(), current_principal())

    @requires(Permission.REGISTRY_MANAGE)
    @blp.arguments(CylinderTypeIn)
    @blp.response(201, CylinderTypeOut)
    @blp.alt_response(409, description="`cylinder_type_code_taken`")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register a cylinder type (department administrators)."""
        return service.create_cylinder_type(get_db(), current_principal(), body)


@blp.route("/brands")
class Brands(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.arguments(BrandQuery, location="query")
    @blp.response(200, BrandOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Brands by code; traders, stations and shops see their own organisation's."""
        return service.list_brands(get_db(), current_principal(), **args)

    @requires(Permission.REGISTRY_MANAGE)
    @blp.arguments(BrandIn)
    @blp.response(201, BrandOut)
    @blp.alt_response(409, description="`brand_code_taken`")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register a brand of an organisation (department administrators)."""
        return service.create_brand(get_db(), current_principal(), body)
