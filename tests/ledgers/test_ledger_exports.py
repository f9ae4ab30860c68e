"""Exports opened and checked: openpyxl reads the XLSX, the CSV parses, the XML validates, the
PDF has the rows with their Vietnamese diacritics."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from tests.ledgers.conftest import CUSTOMER, PERIOD, add_entry, utc
from traceability.ledger.exports import xlsx
from traceability.ledger.exports.layout import FILLING, RETAIL, WHOLESALE, Heading
from traceability.ledger.exports.xml import load_schema
from traceability.models import AuditEntry


def _export(client, auth, user, number, fmt, **params):
    return client.get(
        f"/api/v1/ledgers/{number}/export.{fmt}",
        query_string={**PERIOD, **params},
        headers=auth.headers(user),
    )


def _sheet_rows(data: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return rows


def test_xlsx_has_vietnamese_bold_headers_dates_and_rows(client, auth, scenario):
    w = scenario
    response = _export(client, auth, w.station_user_a, 2, "xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Ledger-Rows"] == "3"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert sheet.title == "Sổ 2"
    assert sheet["A1"].value == FILLING.title_vi
    assert sheet["A3"].value == "Cơ sở: Trạm chiết Đại Phát" or "Tổ chức" in sheet["A2"].value
    header_row = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "STT")
    headers = [c.value for c in sheet[header_row]]
    assert headers[1:9] == [c.header_vi for c in FILLING.columns]
    assert all(c.font.b for c in sheet[header_row])
    first = [c for c in sheet[header_row + 1]]
    assert first[4].value == "DP-000001"
    assert first[6].value == dt.datetime(2026, 11, 2)  # a real date cell, not text
    assert first[6].number_format == "dd/mm/yyyy"
    assert sheet.column_dimensions["B"].width > 20
    assert sheet.freeze_panes == f"A{header_row + 1}"
    notes = [sheet.cell(header_row + i, len(headers)).value for i in (1, 3)]
    assert "Đã được điều chỉnh bởi" in notes[0]
    assert "Ghi nhầm giờ giao" in notes[1]
    summary = book["Tổng hợp"]
    assert [c.value for c in summary[header_row]][:3] == [
        "Ngày nạp",
        "Chủ sở hữu chai",
        "Loại chai",
    ]
    assert summary.cell(header_row + 1, 4).value == 1


def test_csv_starts_with_bom_parses_and_defuses_formulas(client, auth, db, scenario):
    w = scenario
    with db.transaction() as s:
        add_entry(
            s,
            "sale",
            w.cyl_a2,
            w.org_a,
            utc(8, 2),
            counterparty=w.retailer,
            details={"end_customer": '=HYPERLINK("http://x";"a;b")'},
        )
    response = _export(client, auth, w.trader_a, 1, "csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][1:9] == [c.header_vi for c in WHOLESALE.columns]
    assert len(rows) == 1 + 4
    assert rows[1][3] == "DP-000001"
    assert rows[1][8] == "03/11/2026"
    assert rows[4][7].startswith("'=HYPERLINK")
    assert b'"a;b' in response.data  # quoted, so a `;`-separated Excel keeps it in one cell
    sheet = _sheet_rows(_export(client, auth, w.trader_a, 1, "xlsx").data)
    assert any(len(row) > 7 and row[7] == '=HYPERLINK("http://x";"a;b")' for row in sheet)


@pytest.mark.parametrize("number", [1, 2, 3])
def test_xml_validates_against_the_shipped_schema(client, auth, scenario, number):
    w = scenario
    user = {1: w.trader_a, 2: w.station_user_a, 3: w.shop_user}[number]
    response = _export(client, auth, user, number, "xml")
    assert response.status_code == 200
    document = etree.fromstring(response.data)
    schema = load_schema()
    assert schema.validate(document), schema.error_log
    ns = {"l": "urn:lpg-trace:ledgers:1"}
    rows = document.findall("l:rows/l:row", ns)
    assert document.findtext("l:rowCount", namespaces=ns) == str(len(rows))
    assert len(rows) >= 2
    if number == 3:
        assert rows[0].findtext("l:customerName", namespaces=ns) == CUSTOMER["customer_name"]


def test_xml_with_masked_customer_data_validates(client, auth, scenario):
    response = _export(client, auth, scenario.masked_user, 3, "xml")
    document = etree.fromstring(response.data)
    assert load_schema().validate(document)
    ns = {"l": "urn:lpg-trace:ledgers:1"}
    name = document.find("l:rows/l:row/l:customerName", ns)
    assert name.get("masked") == "true" and not name.text
    assert CUSTOMER["customer_name"].encode() not in response.data


def test_schema_is_served(client, auth, scenario):
    response = client.get("/api/v1/ledgers/schema.xsd", headers=auth.headers(scenario.trader_a))
    assert response.status_code == 200
    assert b"retailLedger" in response.data


def test_pdf_has_the_rows_with_vietnamese_diacritics_and_page_numbers(client, auth, scenario):
    w = scenario
    response = _export(client, auth, w.shop_user, 3, "pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert CUSTOMER["customer_name"] in text
    assert "Trần Văn Đức" in text
    assert "SỔ THEO DÕI CHAI CHỨA LPG TẠI CỬA HÀNG BÁN LẺ LPG" in text
    assert "Trang 1/1" in text


def test_export_writes_the_audit_log_and_personal_exports_are_marked(client, auth, db, scenario):
    w = scenario
    _export(client, auth, w.shop_user, 3, "csv")
    _export(client, auth, w.masked_user, 3, "csv")
    with db.read() as s:
        records = [
            (r.action, r.actor_user_id, r.changes["rows"], r.changes["format"])
            for r in s.scalars(select(AuditEntry).where(AuditEntry.entity == "ledger"))
        ]
    assert records == [
        ("ledger.personal_data.export", w.shop_user.id, 2, "csv"),
        ("ledger.export", w.masked_user.id, 2, "csv"),
    ]


def test_export_of_another_organisation_is_not_found(client, auth, scenario):
    response = _export(
        client, auth, scenario.trader_b, 1, "xlsx", organisation_id=scenario.org_a.id
    )
    assert response.status_code == 404
    assert _export(client, auth, scenario.trader_a, 1, "docx").status_code == 404


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LEDGER_PDF_MAX_ROWS": 2}


def test_too_many_rows_for_pdf_is_refused_clearly(client, auth, scenario):
    response = _export(client, auth, scenario.trader_a, 1, "pdf")
    assert response.status_code == 422
    assert response.json["code"] == "ledger_export_too_large"
    assert response.json["rows"] == 3 and response.json["limit"] == 2
    assert _export(client, auth, scenario.trader_a, 1, "xlsx").status_code == 200


def test_write_ledger_streams_a_generator_and_counts_rows():
    def rows():
        for n in range(1, 1201):
            yield {
                "entry_id": n,
                "owner": "Công ty Gas Đồng Nai",
                "serial": f"S{n}",
                "customer_name": "***",
                "delivery_date": dt.date(2026, 11, n % 28 + 1),
            }

    out = io.BytesIO()
    heading = Heading(title=RETAIL.title_vi, organisation="Cửa hàng Gas Minh Anh")
    assert xlsx.write_ledger(rows(), out, RETAIL, heading) == 1200
    sheet = _sheet_rows(out.getvalue())
    assert sheet[-1][0] == 1200 and sheet[-1][3] == "S1200"
    header = next(i for i, row in enumerate(sheet) if row and row[0] == "STT")
    first = sheet[header + 1]
    assert first[1] == "Công ty Gas Đồng Nai" and first[7] == "***"
    assert first[9] == dt.datetime(2026, 11, 2) and first[10] == "#1"
