"""Domain errors: small named classes, each with a stable code, an HTTP status and two languages.

The web layer maps every subclass of `DomainError` to one RFC 9457 problem response in one place
(`traceability.web.problems`); nothing else decides status codes.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every refusal the domain can give; never a bug, always the caller's to fix."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message_vi: ClassVar[str] = "Yêu cầu không hợp lệ."
    message_en: ClassVar[str] = "The request is not valid."

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.message_en)
        self.detail = detail
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        """The problem body fields this error contributes (status/title are added by the web)."""
        body: dict[str, Any] = {
            "code": self.code,
            "message": {"vi": self.message_vi, "en": self.message_en},
        }
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        return body


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message_vi = "Không tìm thấy."
    message_en = "Not found."


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    message_vi = "Cần đăng nhập hoặc thông tin xác thực không hợp lệ."
    message_en = "Authentication is required or the credentials are not valid."


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    message_vi = "Tên đăng nhập hoặc mật khẩu không đúng."
    message_en = "Wrong username or password."


class AccountLocked(DomainError):
    status = 429
    code = "account_locked"
    message_vi = "Tài khoản tạm khoá do đăng nhập sai nhiều lần. Vui lòng thử lại sau."
    message_en = "Too many failed logins; the account is locked for a while. Try again later."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message_vi = "Bạn không có quyền thực hiện thao tác này."
    message_en = "You are not allowed to do this."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message_vi = "Xung đột với dữ liệu đã có."
    message_en = "This conflicts with existing data."


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"
    message_vi = "Dữ liệu đã bị thay đổi bởi người khác; hãy tải lại."
    message_en = "The resource changed since you read it; reload and retry."


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"
    message_vi = "Dữ liệu gửi lên không hợp lệ."
    message_en = "The submitted data is not valid."


class BusinessRuleViolation(DomainError):
    """A well-formed request that the regulation forbids; subclasses name the rule."""

    status = 422
    code = "rule_violation"
