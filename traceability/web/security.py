"""Authentication of requests and the per-endpoint permission declaration."""

from __future__ import annotations

import functools
from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_smorest.utils import deepupdate

from traceability.auth import AuthSettings, principal_from_access_token, principal_from_api_key
from traceability.db import Database
from traceability.errors import Unauthenticated
from traceability.permissions import Permission, Principal

F = TypeVar("F", bound=Callable[..., Any])

PERMISSION_ATTR = "__lpg_permission__"
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Access token from POST /api/v1/auth/token (15 minutes).",
    },
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Device key of a station or shop: `ApiKey lpg_<prefix>.<secret>`.",
    },
}


def get_db() -> Database:
    db: Database = current_app.extensions["lpg_db"]
    return db


def auth_settings() -> AuthSettings:
    settings: AuthSettings = current_app.extensions["lpg_auth"]
    return settings


def request_context() -> dict[str, str | None]:
    """Where the request came from, for the audit log (IP already resolved by ProxyFix)."""
    return {"client_ip": request.remote_addr, "request_id": g.get("request_id")}


def authenticate_request() -> Principal:
    """Resolve the Authorization header: `Bearer <jwt>` for people, `ApiKey <key>` for devices."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if not credentials:
        raise Unauthenticated("send Authorization: Bearer <token> or ApiKey <key>")
    with get_db().read() as session:
        if scheme.lower() == "bearer":
            return principal_from_access_token(
                session, auth_settings(), credentials, **request_context()
            )
        if scheme.lower() == "apikey":
            return principal_from_api_key(session, credentials, **request_context())
    raise Unauthenticated("unsupported authorization scheme")


def current_principal() -> Principal:
    principal: Principal = g.principal
    return principal


def requires(permission: Permission) -> Callable[[F], F]:
    """Declare and enforce the permission an endpoint needs; also documents it in OpenAPI."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if permission is not Permission.PUBLIC:
                principal = authenticate_request()
                principal.require(permission)
                g.principal = principal
            return view(*args, **kwargs)

        setattr(wrapper, PERMISSION_ATTR, permission)
        if permission is not Permission.PUBLIC:
            doc = {
                "security": [{"bearerAuth": []}, {"apiKeyAuth": []}],
                "x-permission": permission.value,
            }
            wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))  # type: ignore[attr-defined]
            wrapper._apidoc["manual_doc"] = deepupdate(  # type: ignore[attr-defined]
                deepcopy(wrapper._apidoc.get("manual_doc", {})),
                doc,  # type: ignore[attr-defined]
            )
        return wrapper  # type: ignore[return-value]

    return decorate


def accepts(*mimetypes: str) -> Callable[[F], F]:
    """Allow request bodies other than JSON (uploads) on one endpoint."""

    def decorate(view: F) -> F:
        view.__lpg_accepts__ = frozenset(mimetypes)  # type: ignore[attr-defined]
        return view

    return decorate
