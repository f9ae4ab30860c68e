"""Organisations (gas traders) and their licences: the department's register of who may trade."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import (
    ETAG_HEADER,
    PRECONDITION_DOCS,
    Id,
    PageArgs,
    QueryId,
    Text,
    checked_id,
    if_match,
    page_of,
    with_etag,
)
from traceability.models.enums import LicenceStatus, TradeRole
from traceability.paging import Page
from traceability.permissions import Permission
from traceability.registry import organisations as service
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "organisations",
    __name__,
    url_prefix="/api/v1",
    description="Organisations (gas traders) and their licences",
)

TRADE_ROLES = [role.value for role in TradeRole if role != TradeRole.AUTHORITY]
TAX_CODE = r"^[0-9]{10}(-[0-9]{3})?$"


def _distinct(values: list[str]) -> None:
    if len(set(values)) != len(values):
        raise ma.ValidationError("Each trade role may appear once.")


class OrganisationIn(ma.Schema):
    name = Text(255, required=True)
    short_name = Text(128, allow_none=True)
    tax_code = Text(
        14, allow_none=True, pattern=TAX_CODE, error="10 digits, optionally -3 digits (branch)"
    )
    trade_roles = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(TRADE_ROLES)),
        required=True,
        validate=[ma.validate.Length(1, len(TRADE_ROLES)), _distinct],
    )
    address = Text(512, allow_none=True)
    admin_unit_id = Id(allow_none=True)


class OrganisationPatch(OrganisationIn):
    active = ma.fields.Boolean()


class LicenceIn(ma.Schema):
    number = Text(64, required=True)
    kind = Text(64, required=True)
    issuer = Text(255, required=True)
    issued_on = ma.fields.Date(required=True)
    expires_on = ma.fields.Date(required=True)
    facility_id = Id(allow_none=True, metadata={"description": "For a licence of one facility"})


class LicencePatch(ma.Schema):
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in LicenceStatus]))
    reason = Text(255, metadata={"description": "Required to suspend or revoke"})
    expires_on = ma.fields.Date()


class LicenceOut(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    facility_id = ma.fields.Integer(allow_none=True)
    number = ma.fields.String()
    kind = ma.fields.String()
    issuer = ma.fields.String()
    issued_on = ma.fields.Date()
    expires_on = ma.fields.Date()
    status = ma.fields.String(metadata={"description": "As the department set it"})
    state = ma.fields.String(
        metadata={"description": "valid, expired, suspended, revoked or not_yet_valid today"}
    )
    revoked_at = ma.fields.DateTime(allow_none=True)
    status_reason = ma.fields.String(allow_none=True)


class OrganisationOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    short_name = ma.fields.String(allow_none=True)
    tax_code = ma.fields.String(allow_none=True)
    trade_roles = ma.fields.List(ma.fields.String())
    address = ma.fields.String(allow_none=True)
    admin_unit_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    is_authority = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    version = ma.fields.Integer()
    licences = ma.fields.List(ma.fields.Nested(LicenceOut))
    licence_status = ma.fields.String(
        metadata={"description": "none, valid, expired, suspended, revoked or not_yet_valid"}
    )
    licensed_today = ma.fields.Boolean()


class OrganisationQuery(PageArgs):
    q = Text(
        100,
        min_length=0,
        metadata={"description": "Words of the name, tax code or address (no accents needed)"},
    )
    trade_role = ma.fields.String(validate=ma.validate.OneOf([r.value for r in TradeRole]))
    admin_unit_id = QueryId()
    active = ma.fields.Boolean()


OrganisationPage = page_of(OrganisationOut, "OrganisationPage")


@blp.route("/organisations")
class Organisations(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.arguments(OrganisationQuery, location="query")
    @blp.response(200, OrganisationPage)
    def get(self, args: dict[str, Any]) -> Page:
        """List organisations; traders, stations and shops see only their own."""
        return service.list_organisations(get_db(), current_principal(), **args)

    @requires(Permission.REGISTRY_MANAGE)
    @blp.arguments(OrganisationIn)
    @blp.response(201, OrganisationOut, headers=ETAG_HEADER)
    @blp.alt_response(409, description="`tax_code_taken`")
    def post(self, body: dict[str, Any]) -> Any:
        """Register an organisation (department administrators)."""
        return with_etag(service.create_organisation(get_db(), current_principal(), body), 201)


@blp.route("/organisations/<int:org_id>")
class OrganisationItem(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.response(200, OrganisationOut, headers=ETAG_HEADER)
    @blp.alt_response(404, description="Unknown, or another organisation's")
    def get(self, org_id: int) -> Any:
        """One organisation with its licences and licence standing; the ETag is for PATCH."""
        org_id = checked_id(org_id, "organisation")
        return with_etag(service.get_organisation(get_db(), current_principal(), org_id))

    @requires(Permission.REGISTRY_MANAGE)
    @blp.doc(**PRECONDITION_DOCS)
    @blp.arguments(OrganisationPatch(partial=True))
    @blp.response(200, OrganisationOut, headers=ETAG_HEADER)
    @blp.alt_response(412, description="Changed since read (`precondition_failed`)")
    @blp.alt_response(428, description="If-Match missing (`precondition_required`)")
    @blp.alt_response(409, description="`tax_code_taken`")
    def patch(self, body: dict[str, Any], org_id: int) -> Any:
        """Change master data; send If-Match with the ETag you read."""
        org_id = checked_id(org_id, "organisation")
        versions = if_match()
        return with_etag(
            service.update_organisation(get_db(), current_principal(), org_id, body, versions)
        )


@blp.route("/organisations/<int:org_id>/licences")
class Licences(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.response(200, LicenceOut(many=True))
    def get(self, org_id: int) -> list[dict[str, Any]]:
        """An organisation's licences with their state today."""
        org_id = checked_id(org_id, "organisation")
        return service.list_licences(get_db(), current_principal(), org_id)

    @requires(Permission.REGISTRY_MANAGE)
    @blp.arguments(LicenceIn)
    @blp.response(201, LicenceOut)
    @blp.alt_response(409, description="`licence_number_taken`")
    def post(self, body: dict[str, Any], org_id: int) -> dict[str, Any]:
        """Record a licence issued to the organisation or to one of its facilities."""
        org_id = checked_id(org_id, "organisation")
        return service.add_licence(get_db(), current_principal(), org_id, body)


@blp.route("/licences/<int:licence_id>")
class LicenceItem(MethodView):
    @requires(Permission.REGISTRY_MANAGE)
    @blp.arguments(LicencePatch)
    @blp.response(200, LicenceOut)
    @blp.alt_response(409, description="`licence_revoked_final`")
    @blp.alt_response(422, description="`reason_required`, `invalid_period`")
    def patch(self, body: dict[str, Any], licence_id: int) -> dict[str, Any]:
        """Suspend, reinstate or revoke (final) a licence with a reason, or correct its expiry."""
        licence_id = checked_id(licence_id, "licence")
        return service.change_licence(get_db(), current_principal(), licence_id, body)
