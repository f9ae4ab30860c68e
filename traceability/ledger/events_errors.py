"""Why a custody event is refused: only what is certainly wrong, each with a code and vi/en text."""

from __future__ import annotations

from traceability.errors import (
    BusinessRuleViolation,
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
)


class UnknownCylinder(NotFound):
    code = "unknown_cylinder"
    message_vi = "Không tìm thấy bình gas này trong sổ đăng ký."
    message_en = "No such cylinder in the registry."


class UnknownLabel(NotFound):
    code = "unknown_label"
    message_vi = "Tem không do hệ thống cấp; không xác định được bình."
    message_en = "This label was not issued by the registry; the cylinder cannot be identified."


class UnknownCounterparty(NotFound):
    code = "unknown_counterparty"
    message_vi = "Không tìm thấy thương nhân hoặc cơ sở nhận bình."
    message_en = "The receiving organisation or facility does not exist or is inactive."


class UnknownOriginalEntry(NotFound):
    code = "unknown_original_entry"
    message_vi = "Không tìm thấy bút toán cần điều chỉnh."
    message_en = "The entry to correct was not found."


class WrongRoleForKind(Forbidden):
    code = "wrong_role_for_kind"
    message_vi = "Vai trò của bạn không được ghi loại sự kiện này."
    message_en = "Your role may not record this kind of event."


class NotOwner(Forbidden):
    code = "not_owner"
    message_vi = "Chỉ chủ sở hữu bình hoặc cơ quan quản lý được ghi sự kiện này."
    message_en = "Only the cylinder's owner or the authority may record this event."


class NotAParty(Forbidden):
    code = "not_a_party"
    message_vi = "Tổ chức của bạn chưa từng sở hữu hay giữ bình này."
    message_en = "Your organisation has never owned or held this cylinder."


class MissingField(ValidationFailed):
    code = "missing_field"
    message_vi = "Thiếu thông tin bắt buộc cho loại sự kiện này."
    message_en = "A field this kind of event requires is missing."


class CounterpartyIsSelf(BusinessRuleViolation):
    code = "counterparty_is_self"
    message_vi = "Không thể bán bình cho chính tổ chức của mình."
    message_en = "A sale must be to another organisation."


class OccurredInFuture(BusinessRuleViolation):
    code = "occurred_in_future"
    message_vi = "Thời điểm xảy ra nằm ở tương lai."
    message_en = "The event's time is in the future."


class NoFacility(BusinessRuleViolation):
    code = "no_facility"
    message_vi = "Tài khoản hoặc thiết bị này không gắn với cơ sở nào."
    message_en = "This account or device is not attached to a facility."


class EntryUuidReused(Conflict):
    code = "entry_uuid_reused"
    message_vi = "Mã bút toán (entry_uuid) đã được dùng cho một nội dung khác."
    message_en = "This entry_uuid was already used for different content."


class BatchTooLarge(ValidationFailed):
    code = "batch_too_large"
    message_vi = "Mỗi lô tối đa 500 sự kiện."
    message_en = "A batch holds at most 500 events."
