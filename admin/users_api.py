"""User accounts (admins: all; traders: their organisation's trader/station/shop accounts) and
each person's own password change."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import Id, PageArgs, QueryId, Text, page_of
from traceability.accounts import users as service
from traceability.models.enums import Role
from traceability.passwords import MAX_LENGTH, MIN_LENGTH
from traceability.permissions import Permission
from traceability.registry import etag
from traceability.registry.search import Page
from traceability.web.limits import limiter
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="User accounts and passwords")

ROLES = [role.value for role in Role]
PASSWORD_HELP = f"{MIN_LENGTH}–{MAX_LENGTH} characters, no composition rules"


def _password(**kwargs: Any) -> ma.fields.String:
    # The schema only bounds the size; the policy (and its own error code) is the domain's.
    return ma.fields.String(
        load_only=True,
        validate=ma.validate.Length(1, 1024),
        metadata={"description": PASSWORD_HELP},
        **kwargs,
    )


class UserOut(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    role = ma.fields.String()
    organisation_id = ma.fields.Integer()
    facility_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    locked = ma.fields.Boolean(metadata={"description": "Temporarily locked by failed logins"})
    last_login_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    version = ma.fields.Integer()


class UserIn(ma.Schema):
    username = ma.fields.String(
        required=True,
        validate=ma.validate.Length(3, 64),
        metadata={"description": "Lower-case letters, digits, '.', '_', '@', '-'"},
    )
    display_name = Text(128, required=True)
    email = ma.fields.Email(allow_none=True, validate=ma.validate.Length(max=255))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    organisation_id = Id(metadata={"description": "Default: the caller's organisation"})
    facility_id = Id(allow_none=True, metadata={"description": "Required for station/shop"})
    password = _password(required=True)


class UserPatch(ma.Schema):
    display_name = Text(128)
    email = ma.fields.Email(allow_none=True, validate=ma.validate.Length(max=255))
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    facility_id = Id(allow_none=True)
    active = ma.fields.Boolean(
        metadata={"description": "false ends all the user's sessions at once"}
    )


class UserListArgs(PageArgs):
    organisation_id = QueryId()
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    active = ma.fields.Boolean()
    q = Text(64, metadata={"description": "Part of the username"})


class PasswordReset(ma.Schema):
    password = _password(required=True)


class PasswordChange(ma.Schema):
    current_password = _password(required=True)
    new_password = _password(required=True)


@blp.route("/users")
class Users(MethodView):
    @requires(Permission.USER_MANAGE)
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, page_of(UserOut, "UserPage"))
    def get(self, args: dict[str, Any]) -> Page:
        """Accounts the caller manages (never password hashes)."""
        return service.list_users(get_db(), current_principal(), **args)

    @requires(Permission.USER_MANAGE)
    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    @blp.alt_response(409, description="Username taken (`username_taken`)")
    @blp.alt_response(422, description="Weak password, wrong facility for the role, …")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Open an account; traders only for their organisation, as trader, station or shop."""
        return service.create_user(get_db(), current_principal(), body)


@blp.route("/users/<int:user_id>")
class UserItem(MethodView):
    @requires(Permission.USER_MANAGE)
    @blp.response(200, UserOut)
    def get(self, user_id: int) -> Any:
        """One account, with its ETag."""
        body = service.get_user(get_db(), current_principal(), user_id)
        return body, 200, {"ETag": etag.etag_of_version(body["version"])}

    @requires(Permission.USER_MANAGE)
    @blp.arguments(UserPatch)
    @blp.response(200, UserOut)
    @blp.alt_response(412, description="If-Match sent and stale")
    def patch(self, body: dict[str, Any], user_id: int) -> Any:
        """Change name, e-mail, role, facility or active flag (If-Match optional but checked)."""
        header = request.headers.get("If-Match")
        accepted = etag.expected_versions(header) if header else None
        result = service.update_user(get_db(), current_principal(), user_id, body, accepted)
        return result, 200, {"ETag": etag.etag_of_version(result["version"])}


@blp.route("/users/<int:user_id>/password")
class UserPassword(MethodView):
    @requires(Permission.USER_MANAGE)
    @blp.arguments(PasswordReset)
    @blp.response(204)
    def post(self, body: dict[str, str], user_id: int) -> None:
        """Set a new password for someone (forgotten password); all its sessions end."""
        service.reset_password(get_db(), current_principal(), user_id, body["password"])


@blp.route("/auth/password")
class OwnPassword(MethodView):
    decorators = [limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"])]

    @requires(Permission.AUTHENTICATED)
    @blp.doc(tags=["auth"])
    @blp.arguments(PasswordChange)
    @blp.response(204)
    @blp.alt_response(422, description="Wrong current password or weak new password")
    def post(self, body: dict[str, str]) -> None:
        """Change your own password; your other sessions end, this one stays."""
        service.change_own_password(
            get_db(), current_principal(), body["current_password"], body["new_password"]
        )
