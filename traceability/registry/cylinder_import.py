"""Bulk registration of cylinders from a CSV or XLSX file: validate every row, then import.

`all_or_nothing` (default) imports nothing when any row is bad; `good_rows_only` imports the
good rows and reports the bad ones. Either way every bad row is reported with its reasons, the
whole import is one transaction, and a dry run answers exactly as the real call would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from traceability import audit
from traceability.db import Database
from traceability.errors import ValidationFailed
from traceability.models import Brand, Cylinder, CylinderType, Organisation
from traceability.models.enums import CylinderStatus
from traceability.permissions import Principal
from traceability.registry import province_today
from traceability.registry.cylinder_import_files import MAX_CELL_CHARS, RawRow, read_table
from traceability.registry.cylinder_rules import CylinderFields, FieldProblem, check_fields
from traceability.registry.cylinders import DuplicateSerial, resolve_owner, taken_serials
from traceability.text import fold

MAX_REPORTED_ERRORS = 5_000
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


class ImportMode(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    GOOD_ROWS_ONLY = "good_rows_only"


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    code: str
    message: dict[str, str]


@dataclass
class ImportReport:
    """What happened to each row; `imported` is 0 on a dry run or a rejected file."""

    mode: str
    dry_run: bool
    owner_id: int
    total_rows: int = 0
    valid_rows: int = 0
    imported: int = 0
    bad_rows: list[int] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)
    row_errors_truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "dry_run": self.dry_run,
            "owner_id": self.owner_id,
            "total_rows": self.total_rows,
            "valid_rows": self.valid_rows,
            "rejected_rows": len(self.bad_rows),
            "imported": self.imported,
            "bad_rows": self.bad_rows,
            "row_errors": [error.__dict__ for error in self.row_errors],
            "row_errors_truncated": self.row_errors_truncated,
        }


class ImportRejected(ValidationFailed):
    code = "import_rejected"
    message_vi = "Tệp có dòng không hợp lệ nên không nhập bình nào; xem danh sách lỗi từng dòng."
    message_en = "The file has invalid rows, so nothing was imported; see the per-row errors."


@dataclass
class _Row:
    number: int
    fields: CylinderFields
    brand_code: str | None
    type_code: str | None


def _text(row: CylinderFields, name: str, value: Any) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if len(text) > MAX_CELL_CHARS:
        row.problems.append(FieldProblem(name, "too_long", other=MAX_CELL_CHARS))
        return None
    return text


def _date(row: CylinderFields, name: str, value: Any) -> dt.date | None:
    """ISO dates, Vietnamese day-first dates (DD/MM/YYYY), or a spreadsheet's date cell."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    text = str(value)
    match = _ISO.fullmatch(text) or _DAY_FIRST.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        first, second, third = (int(part) for part in match.groups())
        return dt.date(first, second, third) if match.re is _ISO else dt.date(third, second, first)
    except ValueError:
        row.problems.append(FieldProblem(name, "invalid_date", text))
        return None


def _decimal(row: CylinderFields, name: str, value: Any) -> Decimal | None:
    """A number; a decimal comma (14,2) is accepted as Vietnamese spreadsheets write it."""
    if value is None:
        return None
    text = str(value)
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text) if not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        row.problems.append(FieldProblem(name, "invalid_number", text))
    return number


def parse_row(raw: RawRow) -> _Row:
    """Turn one raw row into typed fields, collecting every parse problem."""
    fields = CylinderFields()
    cells = raw.cells
    fields.serial = _text(fields, "serial", cells["serial"])
    fields.manufacturer = _text(fields, "manufacturer", cells.get("manufacturer"))
    fields.tare_kg = _decimal(fields, "tare_kg", cells["tare_kg"])
    for name in ("manufactured_on", "last_inspected_on", "inspection_due"):
        setattr(fields, name, _date(fields, name, cells.get(name)))
    brand_code = _text(fields, "brand_code", cells["brand_code"])
    type_code = _text(fields, "type_code", cells["type_code"])
    for name, code in (("brand_code", brand_code), ("type_code", type_code)):
        if code is None and not any(problem.field == name for problem in fields.problems):
            fields.problems.append(FieldProblem(name, "required"))
    return _Row(raw.number, fields, brand_code, type_code)


def _lookup_problems(
    row: _Row, owner: Organisation, brands: dict[str, Brand], types: dict[str, CylinderType]
) -> list[FieldProblem]:
    problems = []
    if row.brand_code is not None:
        brand = brands.get(row.brand_code.upper())
        if brand is None:
            problems.append(FieldProblem("brand_code", "unknown_brand", row.brand_code))
        elif brand.organisation_id != owner.id:
            problems.append(FieldProblem("brand_code", "brand_not_owned", row.brand_code))
    if row.type_code is not None and row.type_code.upper() not in types:
        problems.append(FieldProblem("type_code", "unknown_type", row.type_code))
    return problems


def validate_rows(
    session: Session, owner: Organisation, raw_rows: list[RawRow], today: dt.date
) -> tuple[list[_Row], dict[int, list[FieldProblem]]]:
    """Every row checked: fields, brand ownership, type, duplicates in the file and the registry."""
    rows = [parse_row(raw) for raw in raw_rows]
    codes = {row.brand_code.upper() for row in rows if row.brand_code}
    brands = {
        brand.code.upper(): brand
        for brand in session.scalars(select(Brand).where(func.upper(Brand.code).in_(codes)))
    }
    types = {kind.code.upper(): kind for kind in session.scalars(select(CylinderType))}
    first_row: dict[str, int] = {}
    folded = {row.number: fold(row.fields.serial) for row in rows if row.fields.serial}
    taken = taken_serials(session, owner.id, folded.values())
    problems: dict[int, list[FieldProblem]] = {}
    for row in rows:
        found = check_fields(row.fields, today) + _lookup_problems(row, owner, brands, types)
        key = folded.get(row.number)
        if key and not any(problem.field == "serial" for problem in found):
            if key in first_row:
                found.append(
                    FieldProblem("serial", "duplicate_in_file", row.fields.serial, first_row[key])
                )
            elif key in taken:
                found.append(FieldProblem("serial", "duplicate_serial", row.fields.serial))
            first_row.setdefault(key, row.number)
        if found:
            problems[row.number] = found
    return rows, {number: found for number, found in problems.items()}


def _report(
    report: ImportReport, rows: list[_Row], problems: dict[int, list[FieldProblem]]
) -> None:
    report.total_rows = len(rows)
    report.valid_rows = len(rows) - len(problems)
    report.bad_rows = sorted(problems)
    for number in report.bad_rows:
        for problem in problems[number]:
            if len(report.row_errors) >= MAX_REPORTED_ERRORS:
                report.row_errors_truncated = True
                return
            report.row_errors.append(
                RowError(number, problem.field, problem.code, problem.message())
            )


def _insert(
    session: Session,
    owner: Organisation,
    rows: list[_Row],
    brands: dict[str, int],
    types: dict[str, int],
) -> list[int]:
    values = [
        {
            "owner_id": owner.id,
            "holder_org_id": owner.id,
            "brand_id": brands[row.brand_code.upper()],  # type: ignore[union-attr]
            "type_id": types[row.type_code.upper()],  # type: ignore[union-attr]
            "serial": row.fields.serial,
            "serial_search": fold(row.fields.serial),
            "manufacturer": row.fields.manufacturer,
            "manufactured_on": row.fields.manufactured_on,
            "tare_kg": row.fields.tare_kg,
            "last_inspected_on": row.fields.last_inspected_on,
            "inspection_due": row.fields.inspection_due,
            "status": CylinderStatus.IN_SERVICE,
        }
        for row in rows
    ]
    try:
        return list(session.scalars(insert(Cylinder).returning(Cylinder.id), values))
    except IntegrityError:  # a concurrent registration took one of these serials meanwhile
        raise DuplicateSerial("another import or registration took one of these serials") from None


def import_cylinders(
    db: Database,
    principal: Principal,
    raw: bytes,
    *,
    filename: str = "",
    mode: ImportMode = ImportMode.ALL_OR_NOTHING,
    dry_run: bool = False,
    owner_id: int | None = None,
) -> ImportReport:
    """Validate every row of the file and import per `mode`, in one transaction."""
    raw_rows = read_table(raw, filename)
    with db.transaction() as session:
        owner = resolve_owner(session, principal, owner_id)
        report = ImportReport(mode=mode.value, dry_run=dry_run, owner_id=owner.id)
        rows, problems = validate_rows(session, owner, raw_rows, province_today())
        _report(report, rows, problems)
        good = [row for row in rows if row.number not in problems]
        if (problems and mode is ImportMode.ALL_OR_NOTHING) or not good:
            raise ImportRejected(**report.as_dict())
        if dry_run:
            return report
        brand_ids = {
            code.upper(): brand_id
            for code, brand_id in session.execute(
                select(Brand.code, Brand.id).where(Brand.organisation_id == owner.id)
            )
        }
        type_ids = {
            code.upper(): type_id
            for code, type_id in session.execute(select(CylinderType.code, CylinderType.id))
        }
        ids = _insert(session, owner, good, brand_ids, type_ids)
        report.imported = len(ids)
        audit.record(
            session,
            principal,
            "import",
            "cylinder",
            None,
            {
                "file_name": filename[:128],
                "file_sha256": hashlib.sha256(raw).hexdigest(),
                "mode": mode.value,
                "imported": len(ids),
                "first_id": min(ids),
                "last_id": max(ids),
                "rejected_rows": len(problems),
            },
            organisation_id=owner.id,
        )
        return report
