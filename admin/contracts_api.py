"""Filling contracts: owners authorising other organisations' stations to fill their cylinders."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import Id, PageArgs, QueryId, Text, checked_id, page_of
from traceability.models.enums import ContractStatus
from traceability.paging import Page
from traceability.permissions import Permission
from traceability.registry import contracts as service
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "filling_contracts", __name__, url_prefix="/api/v1", description="Filling contracts"
)


class ContractIn(ma.Schema):
    owner_id = Id(metadata={"description": "Defaults to the caller's organisation"})
    station_id = Id(required=True, metadata={"description": "A filling station of another org"})
    valid_from = ma.fields.Date(required=True)
    valid_to = ma.fields.Date(required=True, metadata={"description": "Last day, inclusive"})
    reference = Text(64, allow_none=True, metadata={"description": "Contract number on paper"})


class TerminateIn(ma.Schema):
    reason = Text(255)


class ContractOut(ma.Schema):
    id = ma.fields.Integer()
    owner_id = ma.fields.Integer()
    owner_name = ma.fields.String()
    station_id = ma.fields.Integer()
    station_name = ma.fields.String()
    station_code = ma.fields.String()
    station_organisation_id = ma.fields.Integer()
    station_organisation_name = ma.fields.String()
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date()
    status = ma.fields.String()
    reference = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    in_force_today = ma.fields.Boolean()


class ContractQuery(PageArgs):
    owner_id = QueryId()
    station_id = QueryId()
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in ContractStatus]))
    in_force_on = ma.fields.Date()


ContractPage = page_of(ContractOut, "ContractPage")


@blp.route("/filling-contracts")
class Contracts(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.arguments(ContractQuery, location="query")
    @blp.response(200, ContractPage)
    def get(self, args: dict[str, Any]) -> Page:
        """Contracts the caller's organisation is party to (all, for the department)."""
        return service.list_contracts(get_db(), current_principal(), **args)

    @requires(Permission.CONTRACT_MANAGE)
    @blp.arguments(ContractIn)
    @blp.response(201, ContractOut)
    @blp.alt_response(409, description="`contract_overlaps`")
    @blp.alt_response(
        422,
        description="`invalid_period`, `contract_station_invalid`, `contract_own_station`, "
        "`contract_owner_not_cylinder_owner`, `contract_already_ended`",
    )
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Authorise a station of another organisation to fill the owner's cylinders."""
        return service.create_contract(get_db(), current_principal(), body)


@blp.route("/filling-contracts/<int:contract_id>/terminate")
class Terminate(MethodView):
    @requires(Permission.CONTRACT_MANAGE)
    @blp.arguments(TerminateIn)
    @blp.response(200, ContractOut)
    @blp.alt_response(409, description="`contract_already_terminated`")
    def post(self, body: dict[str, Any], contract_id: int) -> dict[str, Any]:
        """End a contract now (the owner or an administrator); the station stops filling."""
        contract_id = checked_id(contract_id, "filling contract")
        return service.terminate_contract(
            get_db(), current_principal(), contract_id, body.get("reason")
        )
