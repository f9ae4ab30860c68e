"""Field rules of a cylinder record, shared by one-by-one registration, edits and bulk import."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from traceability.errors import ValidationFailed

SERIAL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]{0,31}")
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TARE_MIN = Decimal(1)
TARE_MAX = Decimal(200)
EARLIEST = dt.date(1950, 1, 1)
MAX_DUE_YEARS = 10
MANUFACTURER_MAX = 128

# code → (Vietnamese, English); `{value}`/`{other}` are filled from the problem's params.
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("Bắt buộc nhập.", "This field is required."),
    "serial_format": (
        "Số sê-ri gồm 1–32 ký tự: chữ cái, chữ số, '-', '.', '/', bắt đầu bằng chữ cái hoặc số.",
        "The serial must be 1–32 letters, digits, '-', '.' or '/', starting with a letter or digit.",
    ),
    "control_characters": ("Có ký tự điều khiển không hợp lệ.", "Contains control characters."),
    "too_long": ("Quá dài (tối đa {other} ký tự).", "Too long (at most {other} characters)."),
    "invalid_number": ("Không phải là số: {value}.", "Not a number: {value}."),
    "tare_out_of_range": (
        "Khối lượng vỏ phải từ 1 đến 200 kg, tối đa 2 chữ số thập phân.",
        "The tare mass must be 1 to 200 kg with at most 2 decimals.",
    ),
    "invalid_date": (
        "Ngày không hợp lệ: {value} (dùng YYYY-MM-DD hoặc DD/MM/YYYY).",
        "Not a valid date: {value} (use YYYY-MM-DD or DD/MM/YYYY).",
    ),
    "date_out_of_range": (
        "Ngày nằm ngoài khoảng cho phép ({other}).",
        "The date is outside the allowed range ({other}).",
    ),
    "date_order": ("Ngày phải không sớm hơn {other}.", "The date must not be before {other}."),
    "unknown_brand": (
        "Không có thương hiệu mã {value}.",
        "There is no brand with code {value}.",
    ),
    "brand_not_owned": (
        "Thương hiệu {value} không thuộc tổ chức sở hữu bình.",
        "Brand {value} does not belong to the cylinder's owner.",
    ),
    "unknown_type": (
        "Không có loại bình mã {value}.",
        "There is no cylinder type with code {value}.",
    ),
    "duplicate_in_file": (
        "Số sê-ri {value} lặp lại dòng {other} trong tệp.",
        "Serial {value} repeats row {other} of the file.",
    ),
    "duplicate_serial": (
        "Số sê-ri {value} đã được đăng ký cho chủ sở hữu này.",
        "Serial {value} is already registered for this owner.",
    ),
}


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field, with a stable code."""

    field: str
    code: str
    value: Any = None
    other: Any = None

    def message(self) -> dict[str, str]:
        vi, en = MESSAGES[self.code]
        value = "" if self.value is None else str(self.value)[:64]
        return {
            "vi": vi.format(value=value, other=self.other),
            "en": en.format(value=value, other=self.other),
        }


@dataclass
class CylinderFields:
    """The checkable attributes of a cylinder, before it is stored."""

    serial: str | None = None
    tare_kg: Decimal | None = None
    inspection_due: dt.date | None = None
    manufacturer: str | None = None
    manufactured_on: dt.date | None = None
    last_inspected_on: dt.date | None = None
    problems: list[FieldProblem] = field(default_factory=list)


class InvalidCylinder(ValidationFailed):
    code = "invalid_cylinder"
    message_vi = "Thông tin bình không hợp lệ."
    message_en = "The cylinder's data is not valid."

    @classmethod
    def of(cls, problems: list[FieldProblem]) -> InvalidCylinder:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.field, []).append(problem.message()["en"])
        codes = {problem.field: problem.code for problem in problems}
        return cls(errors=errors, field_codes=codes)


def check_serial(serial: str | None) -> list[FieldProblem]:
    if not serial:
        return [FieldProblem("serial", "required")]
    if CONTROL_CHARS.search(serial):
        return [FieldProblem("serial", "control_characters")]
    if not SERIAL_PATTERN.fullmatch(serial):
        return [FieldProblem("serial", "serial_format", serial)]
    return []


def check_text(name: str, value: str | None, limit: int) -> list[FieldProblem]:
    if value is None:
        return []
    if CONTROL_CHARS.search(value):
        return [FieldProblem(name, "control_characters")]
    if len(value) > limit:
        return [FieldProblem(name, "too_long", other=limit)]
    return []


def check_tare(tare: Decimal | None) -> list[FieldProblem]:
    if tare is None:
        return [FieldProblem("tare_kg", "required")]
    exponent = tare.as_tuple().exponent
    if (
        not tare.is_finite()
        or not isinstance(exponent, int)
        or exponent < -2
        or not TARE_MIN <= tare <= TARE_MAX
    ):
        return [FieldProblem("tare_kg", "tare_out_of_range", tare)]
    return []


def _in_range(name: str, day: dt.date, latest: dt.date) -> list[FieldProblem]:
    if EARLIEST <= day <= latest:
        return []
    return [FieldProblem(name, "date_out_of_range", day, f"{EARLIEST}..{latest}")]


def check_dates(fields: CylinderFields, today: dt.date) -> list[FieldProblem]:
    """Dates in sane ranges and in life order: made ≤ inspected ≤ today, due ≥ both."""
    problems: list[FieldProblem] = []
    made, inspected, due = fields.manufactured_on, fields.last_inspected_on, fields.inspection_due
    if made is not None:
        problems += _in_range("manufactured_on", made, today)
    if inspected is not None:
        problems += _in_range("last_inspected_on", inspected, today)
        if made is not None and inspected < made:
            problems.append(
                FieldProblem("last_inspected_on", "date_order", inspected, "manufactured_on")
            )
    if due is None:
        return [*problems, FieldProblem("inspection_due", "required")]
    latest_due = (
        today.replace(year=today.year + MAX_DUE_YEARS)
        if today.month != 2 or today.day != 29
        else today + dt.timedelta(days=365 * MAX_DUE_YEARS)
    )
    problems += _in_range("inspection_due", due, latest_due)
    for name, earlier in (("manufactured_on", made), ("last_inspected_on", inspected)):
        if earlier is not None and due < earlier:
            problems.append(FieldProblem("inspection_due", "date_order", due, name))
    return problems


def check_fields(fields: CylinderFields, today: dt.date) -> list[FieldProblem]:
    """Every field-level problem of a record (not lookups: brand, type and duplicates)."""
    return [
        *fields.problems,
        *check_serial(fields.serial),
        *check_tare(fields.tare_kg),
        *check_text("manufacturer", fields.manufacturer, MANUFACTURER_MAX),
        *check_dates(fields, today),
    ]
