"""The import validator in the domain: file reading, row parsing and every row's problems."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest

from tests.cylinders.files import (
    ENGLISH,
    VIETNAMESE,
    csv_bytes,
    good_row,
    xlsx_bytes,
    xlsx_typed_row,
)
from traceability.models import Organisation
from traceability.registry import cylinder_import_files as files_module
from traceability.registry.cylinder_import import parse_row, validate_rows
from traceability.registry.cylinder_import_files import (
    MAX_ROWS,
    BadColumns,
    EmptyFile,
    ImportFileTooLarge,
    UnreadableFile,
    read_table,
)

TODAY = dt.date(2026, 12, 4)


def codes(problems):
    return sorted((problem.field, problem.code) for problem in problems)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [False, True])
def test_csv_is_read_with_any_delimiter_and_bom(delimiter, bom):
    rows = read_table(csv_bytes([good_row("A-1"), good_row("A-2")], delimiter=delimiter, bom=bom))
    assert [row.number for row in rows] == [2, 3]
    assert rows[0].cells["serial"] == "A-1" and rows[0].cells["tare_kg"] == "14.2"


def test_vietnamese_headers_and_xlsx_cells_are_understood():
    rows = read_table(xlsx_bytes([xlsx_typed_row("X-1")]), "danh-sach.xlsx")
    parsed = parse_row(rows[0])
    assert parsed.fields.problems == []
    assert parsed.fields.tare_kg == Decimal("14.5") and parsed.type_code == "12"
    assert parsed.fields.manufactured_on == dt.date(2021, 3, 15)
    assert parsed.fields.inspection_due == dt.date(2029, 3, 15)


def test_blank_rows_are_skipped_but_row_numbers_stay_true():
    rows = read_table(
        csv_bytes([good_row("A-1"), ["", "", "", "", "", "", "", ""], good_row("A-3")])
    )
    assert [row.number for row in rows] == [2, 4]


def test_header_problems_are_named():
    header = ["serial", "brand", "thương hiệu", "tare", "hạn kiểm đinh X"]
    with pytest.raises(BadColumns) as caught:
        read_table(csv_bytes([], header=header))
    assert caught.value.extra["unknown"] == ["hạn kiểm đinh X"]
    assert caught.value.extra["repeated"] == ["brand_code"]
    assert caught.value.extra["missing"] == ["type_code", "inspection_due"]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", EmptyFile),
        (csv_bytes([]), EmptyFile),
        ("serial;brand\n".encode("utf-16"), UnreadableFile),
        (b"serial,brand\x00\n", UnreadableFile),
        (b"PK\x03\x04 not really a zip", UnreadableFile),
        (b"\xd0\xcf\x11\xe0 old excel", UnreadableFile),
    ],
)
def test_unreadable_or_empty_files_are_refused(raw, error):
    with pytest.raises(error):
        read_table(raw, "x.xls" if raw.startswith(b"\xd0") else "x.csv")


def test_limits_on_rows_bytes_and_zip_bombs(monkeypatch):
    with pytest.raises(ImportFileTooLarge):
        read_table(csv_bytes([good_row(f"S-{n}") for n in range(MAX_ROWS + 1)]))
    with pytest.raises(ImportFileTooLarge):
        read_table(b"serial\n" + b"x" * (10 * 1024 * 1024))
    monkeypatch.setattr(files_module, "MAX_XLSX_EXPANDED_BYTES", 1024 * 1024)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (2 * 1024 * 1024))
    with pytest.raises(ImportFileTooLarge):
        read_table(bomb.getvalue(), "bomb.xlsx")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"serial": "DP 1"}, [("serial", "serial_format")]),
        ({"serial": ""}, [("serial", "required")]),
        ({"serial": "=HYPERLINK(1)"}, [("serial", "serial_format")]),
        ({"brand_code": ""}, [("brand_code", "required")]),
        ({"tare_kg": "abc"}, [("tare_kg", "invalid_number"), ("tare_kg", "required")]),
        ({"tare_kg": "14,25"}, []),
        ({"tare_kg": "250"}, [("tare_kg", "tare_out_of_range")]),
        (
            {"inspection_due": "31/02/2030"},
            [("inspection_due", "invalid_date"), ("inspection_due", "required")],
        ),
        ({"inspection_due": "15/03/2029"}, []),
        (
            {"inspection_due": "03-15-2029"},
            [("inspection_due", "invalid_date"), ("inspection_due", "required")],
        ),
        (
            {"manufactured_on": "2030-01-01"},
            [
                ("inspection_due", "date_order"),
                ("last_inspected_on", "date_order"),
                ("manufactured_on", "date_out_of_range"),
            ],
        ),
        ({"last_inspected_on": "2020-01-01"}, [("last_inspected_on", "date_order")]),
        ({"manufacturer": "x" * 300}, [("manufacturer", "too_long")]),
    ],
)
def test_each_field_problem_has_its_code(cells, expected):
    from traceability.registry.cylinder_import_files import RawRow
    from traceability.registry.cylinder_rules import check_fields

    base = dict(zip(ENGLISH, good_row("DP-9"), strict=True))
    base.update({key: value or None for key, value in cells.items()})
    parsed = parse_row(RawRow(2, base))
    assert codes(check_fields(parsed.fields, TODAY)) == sorted(expected)


def test_validate_rows_reports_lookups_and_duplicates(db, world):
    raw = read_table(
        csv_bytes(
            [
                good_row("N-1"),  # 2 good
                good_row("n-1"),  # 3 repeats row 2 (case-insensitive)
                good_row("DP-000001"),  # 4 already registered
                good_row("N-4", brand="BHGAS"),  # 5 another owner's brand
                good_row("N-5", brand="NOPE"),  # 6 unknown brand
                good_row("N-6", kind="99"),  # 7 unknown type
                good_row("N-7", brand="dpgas"),  # 8 good: brand codes are case-insensitive
            ]
        )
    )
    with db.read() as session:
        owner = session.get(Organisation, world.org_a.id)
        rows, problems = validate_rows(session, owner, raw, TODAY)
    assert len(rows) == 7
    assert {number: codes(found) for number, found in problems.items()} == {
        3: [("serial", "duplicate_in_file")],
        4: [("serial", "duplicate_serial")],
        5: [("brand_code", "brand_not_owned")],
        6: [("brand_code", "unknown_brand")],
        7: [("type_code", "unknown_type")],
    }
    assert problems[3][0].message()["en"] == "Serial n-1 repeats row 2 of the file."


def test_headers_of_the_documented_layout_are_all_accepted():
    for header in (ENGLISH, VIETNAMESE):
        assert len(read_table(csv_bytes([good_row("Q-1")], header=header))) == 1
