"""Reading an uploaded cylinder list (CSV or XLSX) into a header map and raw rows, safely.

Limits protect the server: 10 MB per file, 20,000 data rows, a bounded XLSX expansion (zip
bombs), no XML entity tricks (defusedxml), and at most 256 characters per cell.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from traceability.errors import DomainError, ValidationFailed
from traceability.text import fold

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 40
MAX_CELL_CHARS = 256
MAX_XLSX_EXPANDED_BYTES = 256 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"

# Canonical column → accepted headers, compared folded with everything but a-z0-9 removed.
COLUMNS: dict[str, tuple[str, ...]] = {
    "serial": ("serial", "serial number", "serial no", "số sê-ri", "số seri", "số serial", "seri"),
    "brand_code": ("brand", "brand code", "thương hiệu", "mã thương hiệu", "nhãn hiệu"),
    "type_code": ("type", "type code", "cylinder type", "loại bình", "mã loại bình", "loại"),
    "tare_kg": ("tare", "tare kg", "tare (kg)", "khối lượng vỏ", "khối lượng vỏ (kg)"),
    "manufacturer": ("manufacturer", "nhà sản xuất", "hãng sản xuất"),
    "manufactured_on": (
        "manufactured on",
        "manufacture date",
        "date of manufacture",
        "ngày sản xuất",
    ),
    "last_inspected_on": (
        "last inspected on",
        "last inspection",
        "ngày kiểm định",
        "ngày kiểm định gần nhất",
    ),
    "inspection_due": (
        "inspection due",
        "next inspection",
        "hạn kiểm định",
        "ngày hết hạn kiểm định",
    ),
}
REQUIRED_COLUMNS = ("serial", "brand_code", "type_code", "tare_kg", "inspection_due")


def header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


HEADER_ALIASES = {header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
HEADER_ALIASES.update({header_key(name): name for name in COLUMNS})


class ImportFileTooLarge(DomainError):
    status = 413
    code = "import_too_large"
    message_vi = "Tệp quá lớn: tối đa 10 MB và 20.000 dòng mỗi lần nhập."
    message_en = "The file is too large: at most 10 MB and 20,000 rows per import."


class UnreadableFile(ValidationFailed):
    code = "unreadable_file"
    message_vi = (
        "Không đọc được tệp: cần CSV (UTF-8, phân cách bằng dấu phẩy hoặc chấm phẩy) hoặc XLSX."
    )
    message_en = "The file cannot be read: send CSV (UTF-8, comma or semicolon separated) or XLSX."


class BadColumns(ValidationFailed):
    code = "bad_columns"
    message_vi = "Tiêu đề cột không đúng mẫu: thiếu cột bắt buộc, cột lạ hoặc cột lặp."
    message_en = "The header row does not match the layout: a required, unknown or repeated column."


class EmptyFile(ValidationFailed):
    code = "empty_file"
    message_vi = "Tệp không có dòng dữ liệu nào."
    message_en = "The file has no data rows."


@dataclass
class RawRow:
    """One data row as read: its spreadsheet row number and cells by canonical column."""

    number: int
    cells: dict[str, Any]


def _columns(header: list[Any]) -> dict[int, str]:
    """Map header positions to canonical columns, refusing unknown, repeated or missing ones."""
    positions: dict[int, str] = {}
    unknown, repeated = [], []
    for index, title in enumerate(header):
        if title is None or str(title).strip() == "":
            continue
        name = HEADER_ALIASES.get(header_key(str(title)[:MAX_CELL_CHARS]))
        if name is None:
            unknown.append(str(title)[:64])
        elif name in positions.values():
            repeated.append(name)
        else:
            positions[index] = name
    missing = [name for name in REQUIRED_COLUMNS if name not in positions.values()]
    if unknown or repeated or missing:
        raise BadColumns(
            unknown=unknown,
            repeated=repeated,
            missing=missing,
            accepted={name: list(aliases) for name, aliases in COLUMNS.items()},
        )
    return positions


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value[: MAX_CELL_CHARS + 1] or None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _read_rows(header: list[Any], rows: Iterator[list[Any]], first_number: int) -> list[RawRow]:
    positions = _columns(header)
    result: list[RawRow] = []
    for number, values in enumerate(rows, start=first_number):
        cells = {
            name: _cell(values[i]) if i < len(values) else None for i, name in positions.items()
        }
        if all(value is None for value in cells.values()):
            continue
        if len(result) >= MAX_ROWS:
            raise ImportFileTooLarge(f"more than {MAX_ROWS} data rows")
        result.append(RawRow(number, cells))
    if not result:
        raise EmptyFile()
    return result


def _csv_rows(raw: bytes) -> list[RawRow]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("the CSV is not UTF-8: save it as 'CSV UTF-8'") from None
    if "\x00" in text:
        raise UnreadableFile("the CSV contains NUL bytes")
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise EmptyFile()
        return _read_rows(header, (row[:MAX_COLUMNS] for row in reader), 2)
    except csv.Error as exc:
        raise UnreadableFile(f"CSV error at line {reader.line_num}: {exc}") from None


def _xlsx_rows(raw: bytes) -> list[RawRow]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            if expanded > MAX_XLSX_EXPANDED_BYTES or len(archive.infolist()) > 10_000:
                raise ImportFileTooLarge("the XLSX expands to too much data")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style/extension warnings from office suites
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
                header = list(next(rows, None) or [])
                if not header:
                    raise EmptyFile()
                return _read_rows(header, (list(row) for row in rows), 2)
            finally:
                book.close()
    except DomainError:
        raise
    except Exception as exc:  # openpyxl and the XML parsers fail on bad files with many types
        raise UnreadableFile(f"not a readable XLSX workbook ({type(exc).__name__})") from None


def read_table(raw: bytes, filename: str = "") -> list[RawRow]:
    """The data rows of an uploaded CSV or XLSX file, by canonical column name."""
    if len(raw) > MAX_FILE_BYTES:
        raise ImportFileTooLarge(f"the file has {len(raw)} bytes; the limit is {MAX_FILE_BYTES}")
    if raw.startswith(XLSX_MAGIC):
        return _xlsx_rows(raw)
    if filename.lower().endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        raise UnreadableFile("this is not an XLSX workbook: save it as .xlsx or CSV UTF-8")
    return _csv_rows(raw)
