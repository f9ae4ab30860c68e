"""Request guards run before any view: request ids, body content type and JSON well-formedness."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from flask import Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
JSON_TYPES = frozenset({"application/json"})
MAX_JSON_DEPTH = 32


def _view_accepts() -> frozenset[str]:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, request.method.lower(), view)
    accepted: frozenset[str] = getattr(view, "__lpg_accepts__", JSON_TYPES)
    return accepted


def _depth(value: Any, limit: int) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def assign_request_id() -> None:
    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex


def check_body() -> None:
    """415 for a body of the wrong type, 400 for JSON that is not UTF-8, not JSON, or too deep."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.path.startswith("/api/"):
        return
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return
    if request.endpoint is None:
        return
    accepted = _view_accepts()
    if request.mimetype not in accepted:
        raise UnsupportedMediaType(f"send one of: {', '.join(sorted(accepted))}")
    if request.mimetype in JSON_TYPES:
        raw = request.get_data(cache=True)
        try:
            parsed = json.loads(raw.decode("utf-8"))
            # JSON may escape what no database stores: lone surrogates (\ud800) and NUL.
            canonical = json.dumps(parsed, ensure_ascii=False)
            canonical.encode("utf-8")  # UnicodeEncodeError on a lone surrogate
            if "\\u0000" in canonical:
                raise BadRequest("the body contains a NUL character")
        except UnicodeError:
            raise BadRequest("the body is not valid UTF-8 (or escapes a lone surrogate)") from None
        except RecursionError:
            raise BadRequest(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        except ValueError as exc:
            raise BadRequest(f"the body is not valid JSON: {exc}") from None
        if _depth(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise BadRequest(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


def add_headers(response: Any) -> ResponseReturnValue:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.before_request(assign_request_id)
    app.before_request(check_body)
    app.after_request(add_headers)
