"""Login, token refresh and logout."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from traceability import auth
from traceability.models.enums import Role
from traceability.permissions import Permission, Principal
from traceability.web.limits import limiter
from traceability.web.security import (
    auth_settings,
    current_principal,
    get_db,
    request_context,
    requires,
)

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Authentication")


class LoginSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))
    password = ma.fields.String(required=True, validate=ma.validate.Length(1, 1024), load_only=True)


class RefreshSchema(ma.Schema):
    refresh_token = ma.fields.String(required=True, validate=ma.validate.Length(1, 256))


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "Access token lifetime in seconds"})


class MeSchema(ma.Schema):
    user_id = ma.fields.Integer(allow_none=True)
    device_id = ma.fields.Integer(allow_none=True)
    role = ma.fields.String()
    organisation_id = ma.fields.Integer()
    facility_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()
    permissions = ma.fields.List(ma.fields.String())


def _login_username() -> str:
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return f"login-user:{str(username)[:64].lower()}"


def _failed(response: Any) -> bool:
    return bool(response.status_code == 401)


def _anonymous() -> Principal:
    """Audit context for requests made before anyone is authenticated."""
    return Principal(role=Role.SHOP, organisation_id=0, name="anonymous", **request_context())


@blp.route("/token")
class Token(MethodView):
    decorators = [
        limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"]),
        limiter.limit(
            lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
            key_func=_login_username,
            deduct_when=_failed,
        ),
    ]

    @requires(Permission.PUBLIC)
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Wrong username or password (`invalid_credentials`)")
    @blp.alt_response(429, description="Too many attempts (`account_locked`, `rate_limited`)")
    def post(self, body: dict[str, str]) -> auth.TokenPair:
        """Exchange username and password for an access token (15 min) and a refresh token."""
        return auth.login(
            get_db(), auth_settings(), body["username"], body["password"], _anonymous()
        )


@blp.route("/refresh")
class Refresh(MethodView):
    decorators = [limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"])]

    @requires(Permission.PUBLIC)
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Refresh token unknown, expired, reused or revoked")
    def post(self, body: dict[str, str]) -> auth.TokenPair:
        """Rotate a refresh token; a reused one revokes the whole login session."""
        return auth.refresh(get_db(), auth_settings(), body["refresh_token"])


@blp.route("/logout")
class Logout(MethodView):
    @requires(Permission.AUTHENTICATED)
    @blp.response(204)
    def post(self) -> None:
        """End this login session: its access and refresh tokens stop working."""
        auth.logout(get_db(), current_principal())


@blp.route("/me")
class Me(MethodView):
    @requires(Permission.AUTHENTICATED)
    @blp.response(200, MeSchema)
    def get(self) -> dict[str, Any]:
        """Who the credentials belong to and what they may do."""
        principal = current_principal()
        from traceability.permissions import ROLE_PERMISSIONS

        return {
            "user_id": principal.user_id,
            "device_id": principal.device_id,
            "role": principal.role,
            "organisation_id": principal.organisation_id,
            "facility_id": principal.facility_id,
            "name": principal.name,
            "permissions": sorted(p.value for p in ROLE_PERMISSIONS[principal.role]),
        }
