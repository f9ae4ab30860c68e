"""Department administrators manage station signing keys: create, rotate, retire, revoke."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from label_service import keys, keys_public
from label_service.keys import MAX_ID
from traceability.models.enums import KeyStatus
from traceability.permissions import Permission
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "signing_keys",
    __name__,
    url_prefix="/api/v1/signing-keys",
    description="Station Ed25519 signing keys (public halves only; private keys never leave)",
)


class SigningKeySchema(ma.Schema):
    id = ma.fields.Integer()
    kid = ma.fields.String(metadata={"description": "RFC 7638 thumbprint, as in the JWKS"})
    key_id = ma.fields.String(
        metadata={"description": "First 8 bytes of the thumbprint (hex), as in tokens"}
    )
    station_id = ma.fields.Integer()
    station_name = ma.fields.String()
    x = ma.fields.String(metadata={"description": "Public key, base64url"})
    status = ma.fields.String(metadata={"description": "active, retired or revoked"})
    created_at = ma.fields.DateTime()
    valid_from = ma.fields.DateTime()
    retired_at = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)
    compromised_at = ma.fields.DateTime(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class SigningKeyPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SigningKeySchema))
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()


class SigningKeyListArgsSchema(ma.Schema):
    station_id = ma.fields.Integer(validate=ma.validate.Range(1, MAX_ID))
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in KeyStatus]))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))


class SigningKeyCreateSchema(ma.Schema):
    station_id = ma.fields.Integer(required=True, validate=ma.validate.Range(1, MAX_ID))
    valid_from = ma.fields.AwareDateTime(
        metadata={"description": "Default now; earlier only to cover fills still being delivered"}
    )


class SigningKeyRotateSchema(ma.Schema):
    station_id = ma.fields.Integer(required=True, validate=ma.validate.Range(1, MAX_ID))


class SigningKeyRevokeSchema(ma.Schema):
    compromised_at = ma.fields.AwareDateTime(
        metadata={"description": "Labels signed from this instant on are rejected (default now)"}
    )
    reason = ma.fields.String(validate=ma.validate.Length(1, 255))
    replace = ma.fields.Boolean(
        load_default=False, metadata={"description": "Also give the station a new active key"}
    )


class SigningKeyRevokeResultSchema(ma.Schema):
    revoked = ma.fields.Nested(SigningKeySchema)
    successor = ma.fields.Nested(SigningKeySchema, allow_none=True)


def _keyring() -> Any:
    return current_app.extensions["lpg_keyring"]


@blp.route("")
class SigningKeys(MethodView):
    @requires(Permission.SIGNING_KEY_MANAGE)
    @blp.arguments(SigningKeyListArgsSchema, location="query")
    @blp.response(200, SigningKeyPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Keys, newest first; filter by station or status."""
        page = keys_public.list_keys(get_db(), current_principal(), **args)
        return {
            "items": [keys_public.public_view(key) for key in page.items],
            "page": page.page,
            "per_page": page.per_page,
            "total": page.total,
        }

    @requires(Permission.SIGNING_KEY_MANAGE)
    @blp.arguments(SigningKeyCreateSchema)
    @blp.response(201, SigningKeySchema)
    @blp.alt_response(
        409, description="The station has an active key (`signing_key_active_exists`)"
    )
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a station's active key (its first, or the next one after a revocation)."""
        key = keys.create_key(get_db(), _keyring(), current_principal(), **body)
        return keys_public.public_view(key)


@blp.route("/rotate")
class RotateKey(MethodView):
    @requires(Permission.SIGNING_KEY_MANAGE)
    @blp.arguments(SigningKeyRotateSchema)
    @blp.response(201, SigningKeySchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Retire the station's active key and create its successor (returned)."""
        key = keys.rotate_key(get_db(), _keyring(), current_principal(), body["station_id"])
        return keys_public.public_view(key)


@blp.route("/<int:key_pk>")
class SigningKeyItem(MethodView):
    @requires(Permission.SIGNING_KEY_MANAGE)
    @blp.response(200, SigningKeySchema)
    def get(self, key_pk: int) -> dict[str, Any]:
        """One key's public half and life cycle."""
        return keys_public.public_view(keys_public.get_key(get_db(), current_principal(), key_pk))


@blp.route("/<int:key_pk>/retire")
class RetireKey(MethodView):
    @requires(Permission.SIGNING_KEY_MANAGE)
    @blp.response(200, SigningKeySchema)
    @blp.alt_response(409, description="The key is not active (`signing_key_not_active`)")
    def post(self, key_pk: int) -> dict[str, Any]:
        """Stop the key signing; labels it signed before stay valid. The station needs a new key."""
        key = keys.retire_key(get_db(), current_principal(), key_pk)
        return keys_public.public_view(keys_public.get_key(get_db(), current_principal(), key.id))


@blp.route("/<int:key_pk>/revoke")
class RevokeKey(MethodView):
    @requires(Permission.SIGNING_KEY_MANAGE)
    @blp.arguments(SigningKeyRevokeSchema)
    @blp.response(200, SigningKeyRevokeResultSchema)
    @blp.alt_response(409, description="Already revoked (`signing_key_already_revoked`)")
    @blp.alt_response(422, description="compromised_at in the future")
    def post(self, body: dict[str, Any], key_pk: int) -> dict[str, Any]:
        """Revoke a compromised key: labels signed at or after `compromised_at` are rejected."""
        revoked, successor = keys.revoke_key(
            get_db(), _keyring(), current_principal(), key_pk, **body
        )
        db, principal = get_db(), current_principal()
        return {
            "revoked": keys_public.public_view(keys_public.get_key(db, principal, revoked.id)),
            "successor": keys_public.public_view(keys_public.get_key(db, principal, successor.id))
            if successor
            else None,
        }
