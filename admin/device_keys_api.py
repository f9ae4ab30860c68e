"""API keys for station and shop devices (scales, scanners): issue, list, revoke."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import Id, PageArgs, QueryId, Text, page_of
from traceability.accounts import device_keys as service
from traceability.permissions import Permission
from traceability.registry.search import Page
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "device_keys",
    __name__,
    url_prefix="/api/v1/device-keys",
    description="Device API keys (`Authorization: ApiKey lpg_<prefix>.<secret>`)",
)


class DeviceKeyOut(ma.Schema):
    id = ma.fields.Integer()
    prefix = ma.fields.String(metadata={"description": "Public part, to recognise a key"})
    name = ma.fields.String()
    role = ma.fields.String(metadata={"description": "station or shop, from the facility"})
    organisation_id = ma.fields.Integer()
    facility_id = ma.fields.Integer()
    created_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    last_used_at = ma.fields.AwareDateTime(allow_none=True)
    revoked = ma.fields.Boolean()
    revoked_at = ma.fields.AwareDateTime(allow_none=True)


class DeviceKeyIssued(DeviceKeyOut):
    key = ma.fields.String(metadata={"description": "The full secret: shown this once only"})


class DeviceKeyIn(ma.Schema):
    name = Text(128, required=True)
    facility_id = Id(required=True)


class DeviceKeyListArgs(PageArgs):
    organisation_id = QueryId()
    facility_id = QueryId()
    revoked = ma.fields.Boolean()


@blp.route("")
class DeviceKeys(MethodView):
    @requires(Permission.DEVICE_KEY_MANAGE)
    @blp.arguments(DeviceKeyListArgs, location="query")
    @blp.response(200, page_of(DeviceKeyOut, "DeviceKeyPage"))
    def get(self, args: dict[str, Any]) -> Page:
        """Keys of your organisation (all for administrators), newest first; never secrets."""
        return service.list_keys(get_db(), current_principal(), **args)

    @requires(Permission.DEVICE_KEY_MANAGE)
    @blp.arguments(DeviceKeyIn)
    @blp.response(201, DeviceKeyIssued)
    @blp.alt_response(404, description="No such facility, or another organisation's")
    @blp.alt_response(422, description="Not a filling station or retail shop")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Issue a key for a filling station or shop device; store the `key` now, it is not kept."""
        return service.issue_key(get_db(), current_principal(), body["name"], body["facility_id"])


@blp.route("/<int:key_id>/revoke")
class DeviceKeyRevoke(MethodView):
    @requires(Permission.DEVICE_KEY_MANAGE)
    @blp.response(200, DeviceKeyOut)
    @blp.alt_response(404, description="No such key, or another organisation's")
    def post(self, key_id: int) -> dict[str, Any]:
        """Revoke a key at once (lost or replaced device); revoking again is harmless."""
        return service.revoke_key(get_db(), current_principal(), key_id)
