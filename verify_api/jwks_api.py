"""The public keys of every station, as a JWK Set anyone may fetch and keep for offline checks."""

from __future__ import annotations

import json

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from label_service.keys_public import jwks_document
from traceability.crypto import sha256_hex
from traceability.permissions import Permission
from traceability.web.security import get_db, requires

blp = Blueprint("jwks", __name__, url_prefix="/.well-known", description="Published signing keys")

MAX_AGE_SECONDS = 300


@blp.route("/jwks.json")
class Jwks(MethodView):
    @requires(Permission.PUBLIC)
    @blp.response(200, content_type="application/json")
    @blp.alt_response(304, description="Unchanged since the ETag sent in If-None-Match")
    def get(self) -> Response:
        """Every station key (active, retired and revoked) with its status and validity window.

        Members beyond RFC 7517/8037: lpg_status, lpg_valid_from, lpg_retired_at,
        lpg_compromised_at, lpg_station (see docs/label-format.md §5). Cacheable for 5 minutes.
        """
        body = json.dumps(jwks_document(get_db()), separators=(",", ":"), ensure_ascii=False)
        etag = sha256_hex(body)[:32]
        response = Response(body, content_type="application/json")
        response.set_etag(etag)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_SECONDS}"
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag"
        if etag in request.if_none_match:
            response.status_code = 304
            response.set_data(b"")
            response.headers.pop("Content-Type", None)
        return response
