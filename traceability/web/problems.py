"""One error shape for the whole API: RFC 9457 problem details, bilingual, mapped in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from traceability.errors import DomainError

log = logging.getLogger("lpgtrace.errors")

PROBLEM_TYPE_BASE = "https://lpgtrace.example/problems/"

HTTP_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Yêu cầu không hợp lệ.", "The request is malformed."),
    401: ("unauthenticated", "Cần đăng nhập.", "Authentication is required."),
    403: (
        "forbidden",
        "Bạn không có quyền thực hiện thao tác này.",
        "You are not allowed to do this.",
    ),
    404: ("not_found", "Không tìm thấy.", "Not found."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ.", "Method not allowed."),
    409: ("conflict", "Xung đột với dữ liệu đã có.", "This conflicts with existing data."),
    412: (
        "precondition_failed",
        "Dữ liệu đã thay đổi; hãy tải lại.",
        "The resource changed; reload.",
    ),
    413: ("payload_too_large", "Dữ liệu gửi lên quá lớn.", "The request body is too large."),
    415: (
        "unsupported_media_type",
        "Định dạng dữ liệu không được hỗ trợ (cần application/json).",
        "Unsupported content type (send application/json).",
    ),
    422: ("validation_failed", "Dữ liệu gửi lên không hợp lệ.", "The submitted data is not valid."),
    428: ("precondition_required", "Cần gửi kèm If-Match.", "An If-Match header is required."),
    429: (
        "rate_limited",
        "Quá nhiều yêu cầu. Vui lòng thử lại sau.",
        "Too many requests. Please try again later.",
    ),
    500: (
        "internal_error",
        "Lỗi hệ thống. Chúng tôi đã ghi nhận.",
        "Internal error; it has been logged.",
    ),
    503: ("unavailable", "Dịch vụ tạm thời không sẵn sàng.", "Service temporarily unavailable."),
}


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details with a stable code and a Vietnamese and English message."""

    type = ma.fields.String(metadata={"description": "URI naming the problem type"})
    title = ma.fields.String(metadata={"description": "Short English summary"})
    status = ma.fields.Integer(metadata={"description": "HTTP status"})
    code = ma.fields.String(metadata={"description": "Stable machine-readable error code"})
    message = ma.fields.Dict(metadata={"description": "{'vi': ..., 'en': ...} for people"})
    detail = ma.fields.String(metadata={"description": "What exactly went wrong"})
    errors = ma.fields.Dict(metadata={"description": "Field-level validation messages"})
    request_id = ma.fields.String()


def problem_body(status: int, code: str, vi: str, en: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": en,
        "status": status,
        "code": code,
        "message": {"vi": vi, "en": en},
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    body["request_id"] = g.get("request_id")
    return body


HtmlRenderer = Callable[[dict[str, Any]], ResponseReturnValue]


def _respond(body: dict[str, Any], headers: dict[str, str] | None = None) -> ResponseReturnValue:
    renderer: HtmlRenderer | None = current_app.extensions.get("lpg_html_error")
    if renderer is not None and _wants_html():
        response = current_app.make_response(renderer(body))
    else:
        response = jsonify(body)
        response.mimetype = "application/problem+json"
    response.status_code = body["status"]
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _wants_html() -> bool:
    """Consumer pages get a friendly page; everything under /api or /.well-known gets JSON."""
    path = request.path
    if path.startswith(("/api/", "/.well-known/", "/healthz", "/readyz")):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def handle_domain_error(error: DomainError) -> ResponseReturnValue:
    body = problem_body(error.status, error.code, error.message_vi, error.message_en)
    body.update(error.to_dict())
    headers = {}
    if "retry_after" in error.extra:
        headers["Retry-After"] = str(error.extra["retry_after"])
    return _respond(body, headers)


def handle_http_exception(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    code, vi, en = HTTP_MESSAGES.get(status, (f"http_{status}", error.name, error.name))
    data = getattr(error, "data", None) or {}
    errors = data.get("messages") or data.get("errors")
    if isinstance(errors, dict) and set(errors) <= {
        "json",
        "query",
        "form",
        "files",
        "headers",
        "view_args",
        "path",
    }:
        errors = errors.get("json") or errors.get("query") or errors
    detail = data.get("message") or (error.description if status not in (404, 422, 500) else None)
    if status == 429:
        detail = None
    body = problem_body(status, code, vi, en, detail=detail, errors=errors)
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return _respond(body, headers)


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    """Last resort: log with the request id, answer in the same shape, leak nothing."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception(
        "unhandled error on %s %s [%s]", request.method, request.path, g.get("request_id")
    )
    code, vi, en = HTTP_MESSAGES[500]
    return _respond(problem_body(500, code, vi, en))


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
