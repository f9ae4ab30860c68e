"""Plain Vietnamese and English sentences for verdicts and reasons (JSON answers and the page)."""

from __future__ import annotations

VERDICT_TEXT: dict[str, dict[str, str]] = {
    "genuine": {
        "vi": "Tem thật. Đây là tem mới nhất của bình gas đã đăng ký.",
        "en": "Genuine. This is the current label of a registered cylinder.",
    },
    "superseded": {
        "vi": "Tem cũ: bình này đã được nạp lại sau lần nạp ghi trên tem. Bình còn đầy với tem cũ là dấu hiệu sang chiết trái phép.",
        "en": "Old label: this cylinder was filled again after the fill on this label. A full cylinder with an old label is a sign of illegal refilling.",
    },
    "inspection_expired": {
        "vi": "Bình đã quá hạn kiểm định. Không sử dụng.",
        "en": "The cylinder's safety inspection has expired. Do not use it.",
    },
    "cylinder_flagged": {
        "vi": "Bình đã bị báo mất, bị trộm, bị thu giữ, bị huỷ hoặc đang bị cách ly. Không sử dụng.",
        "en": "This cylinder is reported lost, stolen, seized, scrapped or quarantined. Do not use it.",
    },
    "key_revoked": {
        "vi": "Tem được ký bằng khoá của trạm chiết đã bị thu hồi. Không tin cậy.",
        "en": "The label was signed with a filling station key that has been revoked. Do not trust it.",
    },
    "not_genuine": {
        "vi": "Tem không hợp lệ hoặc giả. Không sử dụng bình này.",
        "en": "The label is invalid or forged. Do not use this cylinder.",
    },
    "suspected_copy": {
        "vi": "Nghi tem bị sao chép: tem thật nhưng được quét theo cách một bình không thể tạo ra.",
        "en": "Suspected copy: a genuine label scanned in a pattern no single cylinder can produce.",
    },
}

REASON_TEXT: dict[str, dict[str, str]] = {
    "empty": {"vi": "Không có mã tem.", "en": "No label code was given."},
    "malformed": {"vi": "Mã tem sai định dạng.", "en": "The label code is malformed."},
    "too_long": {"vi": "Mã tem quá dài.", "en": "The label code is too long."},
    "unsupported_version": {
        "vi": "Phiên bản tem không được hỗ trợ.",
        "en": "Unsupported label version.",
    },
    "bad_check": {
        "vi": "Mã nhập tay có ký tự kiểm tra sai.",
        "en": "The manual code's check character is wrong.",
    },
    "unknown_key": {
        "vi": "Khoá ký không thuộc trạm chiết nào đã đăng ký.",
        "en": "The signing key belongs to no registered station.",
    },
    "bad_signature": {
        "vi": "Chữ ký số không khớp: tem bị sửa hoặc làm giả.",
        "en": "The digital signature does not match: the label was altered or forged.",
    },
    "not_in_registry": {
        "vi": "Chữ ký đúng nhưng lần nạp này không có trong sổ đăng ký; đã báo cơ quan quản lý.",
        "en": "The signature holds but this fill is not in the registry; the authorities have been alerted.",
    },
    "signed_outside_key_validity": {
        "vi": "Tem được ký ngoài thời gian hiệu lực của khoá.",
        "en": "The label was signed outside its key's validity period.",
    },
    "manual_code_not_found": {
        "vi": "Không tìm thấy tem với mã và số sê-ri này.",
        "en": "No label matches this code and serial.",
    },
    "key_revoked": {
        "vi": "Khoá ký đã bị thu hồi trước thời điểm nạp ghi trên tem.",
        "en": "The signing key was revoked before the fill time on the label.",
    },
    "key_revoked_later": {
        "vi": "Khoá ký của trạm đã bị thu hồi sau lần nạp này; nên kiểm tra kỹ.",
        "en": "The station's key was revoked after this fill; check carefully.",
    },
    "cylinder_quarantined": {"vi": "Bình đang bị cách ly.", "en": "The cylinder is quarantined."},
    "cylinder_scrapped": {"vi": "Bình đã bị huỷ.", "en": "The cylinder was scrapped."},
    "cylinder_lost": {"vi": "Bình đã bị báo mất.", "en": "The cylinder was reported lost."},
    "cylinder_stolen": {"vi": "Bình đã bị báo trộm.", "en": "The cylinder was reported stolen."},
    "cylinder_seized": {"vi": "Bình đã bị thu giữ.", "en": "The cylinder was seized."},
    "superseded": {
        "vi": "Bình đã được nạp lại sau tem này.",
        "en": "The cylinder was filled again after this label.",
    },
    "inspection_expired": {
        "vi": "Đã quá hạn kiểm định.",
        "en": "The inspection due date has passed.",
    },
    "inspection_due_soon": {
        "vi": "Sắp đến hạn kiểm định.",
        "en": "The inspection is due soon.",
    },
    "many_devices": {
        "vi": "Tem này được nhiều thiết bị khác nhau quét trong thời gian ngắn.",
        "en": "Many different devices scanned this label within a short time.",
    },
    "holder_elsewhere": {
        "vi": "Sổ theo dõi ghi nhận bình này đang ở một cửa hàng khác.",
        "en": "The ledger places this cylinder at another shop.",
    },
}


def verdict_message(verdict: str) -> dict[str, str]:
    return VERDICT_TEXT[verdict]


def reason_messages(reasons: list[str]) -> list[dict[str, str]]:
    fallback = REASON_TEXT["malformed"]
    return [{"code": reason, **REASON_TEXT.get(reason, fallback)} for reason in reasons]


VERDICT_TITLE: dict[str, dict[str, str]] = {
    "genuine": {"vi": "Tem thật", "en": "Genuine"},
    "superseded": {"vi": "Tem cũ", "en": "Old label"},
    "inspection_expired": {"vi": "Quá hạn kiểm định", "en": "Inspection expired"},
    "cylinder_flagged": {"vi": "Bình bị báo động", "en": "Cylinder flagged"},
    "key_revoked": {"vi": "Khoá ký bị thu hồi", "en": "Revoked key"},
    "not_genuine": {"vi": "Tem không hợp lệ", "en": "Not genuine"},
    "suspected_copy": {"vi": "Nghi tem sao chép", "en": "Suspected copy"},
}

# Words of the consumer page, by language.
UI: dict[str, dict[str, str]] = {
    "vi": {
        "site": "Tra cứu bình gas LPG",
        "switch": "English",
        "brand": "Thương hiệu",
        "owner": "Chủ sở hữu bình",
        "type": "Loại bình",
        "serial": "Số sê-ri",
        "tare": "Khối lượng vỏ",
        "inspection_due": "Hạn kiểm định",
        "days_left": "còn {days} ngày",
        "due_soon": "Sắp đến hạn kiểm định: bình phải được kiểm định lại trước ngày này.",
        "last_fill": "Lần nạp ghi trên tem",
        "latest_fill": "Lần nạp mới nhất",
        "station": "Trạm chiết nạp",
        "filled_at": "Ngày nạp",
        "net": "Khối lượng gas",
        "custody": "Hiện ở",
        "since": "từ",
        "status": "Tình trạng",
        "checks": "Hãy tự kiểm tra",
        "check_serial": "Số sê-ri trên cổ bình phải là {serial}.",
        "check_seal": "Niêm phong van còn nguyên, không rách, không dán lại.",
        "check_gross": "Cân cả bình: khoảng {gross} kg (vỏ {tare} kg + gas {net} kg, sai số ±{tol} kg).",
        "reasons": "Lý do",
        "report_title": "Báo cáo bình đáng ngờ",
        "report_reason": "Lý do",
        "report_text": "Mô tả (không bắt buộc, tối đa 1000 ký tự)",
        "report_contact": "Số điện thoại hoặc email để cán bộ liên hệ (không bắt buộc)",
        "report_location": "Vị trí gần đúng (không bắt buộc): vĩ độ, kinh độ",
        "report_consent": "Thông tin liên hệ được mã hoá, chỉ cán bộ thanh tra xem được và chỉ dùng để xử lý báo cáo này. Vị trí được làm tròn khoảng 1 km. Không điền nếu bạn không muốn.",
        "report_send": "Gửi báo cáo",
        "report_thanks": "Cảm ơn bạn. Báo cáo đã được chuyển tới cán bộ thanh tra.",
        "back": "Quay lại",
        "manual_title": "Nhập mã tem bằng tay",
        "manual_help": "Khi không quét được mã QR: nhập mã in dưới mã QR và số sê-ri trên cổ bình.",
        "manual_code": "Mã tem (ví dụ 028T-5CY4-TQKF-FA)",
        "manual_serial": "Số sê-ri trên cổ bình",
        "manual_send": "Tra cứu",
        "manual_link": "Nhập mã bằng tay",
        "privacy": "Trang này không thu thập thông tin cá nhân.",
        "error_title": "Có lỗi xảy ra",
        "retry": "Vui lòng thử lại sau ít phút.",
        "status_in_service": "Đang sử dụng",
        "status_quarantined": "Đang cách ly",
        "status_scrapped": "Đã huỷ",
        "status_lost": "Báo mất",
        "status_stolen": "Báo trộm",
        "status_seized": "Bị thu giữ",
        "reason_serial_mismatch": "Số sê-ri không khớp",
        "reason_seal_broken": "Niêm phong bị rách hoặc dán lại",
        "reason_underweight": "Thiếu cân",
        "reason_leak_or_damage": "Rò rỉ hoặc hư hỏng",
        "reason_label_suspect": "Tem đáng ngờ",
        "reason_illegal_refill": "Nghi sang chiết trái phép",
        "reason_other": "Khác",
    },
    "en": {
        "site": "LPG cylinder check",
        "switch": "Tiếng Việt",
        "brand": "Brand",
        "owner": "Cylinder owner",
        "type": "Cylinder type",
        "serial": "Serial number",
        "tare": "Tare mass",
        "inspection_due": "Inspection due",
        "days_left": "{days} days left",
        "due_soon": "Inspection due soon: the cylinder must be re-inspected before this date.",
        "last_fill": "Fill on this label",
        "latest_fill": "Latest fill",
        "station": "Filling station",
        "filled_at": "Filled on",
        "net": "Gas mass",
        "custody": "Now at",
        "since": "since",
        "status": "Status",
        "checks": "Check for yourself",
        "check_serial": "The serial on the collar must read {serial}.",
        "check_seal": "The valve seal is intact: not torn, not re-glued.",
        "check_gross": "Weigh the cylinder: about {gross} kg (tare {tare} kg + gas {net} kg, ±{tol} kg).",
        "reasons": "Reasons",
        "report_title": "Report this cylinder",
        "report_reason": "Reason",
        "report_text": "Description (optional, up to 1000 characters)",
        "report_contact": "Phone or email so an inspector can reach you (optional)",
        "report_location": "Approximate location (optional): latitude, longitude",
        "report_consent": "Contact details are encrypted, seen only by inspectors and used only for this report. Location is rounded to about 1 km. Leave them empty if you prefer.",
        "report_send": "Send report",
        "report_thanks": "Thank you. Your report has been passed to the inspectors.",
        "back": "Back",
        "manual_title": "Enter the label code by hand",
        "manual_help": "If the QR code cannot be scanned: enter the code printed under it and the serial on the collar.",
        "manual_code": "Label code (e.g. 028T-5CY4-TQKF-FA)",
        "manual_serial": "Serial on the collar",
        "manual_send": "Check",
        "manual_link": "Enter a code by hand",
        "privacy": "This page collects no personal data.",
        "error_title": "Something went wrong",
        "retry": "Please try again in a few minutes.",
        "status_in_service": "In service",
        "status_quarantined": "Quarantined",
        "status_scrapped": "Scrapped",
        "status_lost": "Reported lost",
        "status_stolen": "Reported stolen",
        "status_seized": "Seized",
        "reason_serial_mismatch": "Serial does not match",
        "reason_seal_broken": "Seal torn or re-glued",
        "reason_underweight": "Underweight",
        "reason_leak_or_damage": "Leak or damage",
        "reason_label_suspect": "Suspicious label",
        "reason_illegal_refill": "Suspected illegal refilling",
        "reason_other": "Other",
    },
}
