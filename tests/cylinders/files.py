"""Build import files (CSV with or without BOM, semicolon or comma; XLSX) inside the tests."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl

ENGLISH = [
    "serial",
    "brand_code",
    "type_code",
    "tare_kg",
    "manufacturer",
    "manufactured_on",
    "last_inspected_on",
    "inspection_due",
]
VIETNAMESE = [
    "Số sê-ri",
    "Thương hiệu",
    "Loại bình",
    "Khối lượng vỏ (kg)",
    "Nhà sản xuất",
    "Ngày sản xuất",
    "Ngày kiểm định",
    "Hạn kiểm định",
]


def good_row(serial: str, brand: str = "DPGAS", kind: str = "12") -> list[Any]:
    return [serial, brand, kind, "14.2", "Gas Việt", "2021-03-15", "2024-03-15", "2029-03-15"]


def csv_bytes(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] = ENGLISH,
    *,
    delimiter: str = ",",
    bom: bool = False,
) -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(str(cell) for cell in row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = VIETNAMESE) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_typed_row(serial: str) -> list[Any]:
    """A row as a spreadsheet stores it: numbers and real date cells."""
    return [
        serial,
        "DPGAS",
        12,
        14.5,
        "Gas Việt",
        dt.datetime(2021, 3, 15),
        dt.date(2024, 3, 15),
        dt.date(2029, 3, 15),
    ]
