"""The printed layout of the three Decree 87 ledgers: columns, Vietnamese headers, XML names.

Every export format (XLSX, CSV, PDF, XML) and the JSON API read the same layout, so a column is
named once. Rows are plain mappings keyed by `Column.key`; `None` means "nothing recorded".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from traceability.localtime import PROVINCE_TZ

ColumnKind = Literal["text", "date", "int"]
MASKED = "***"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a ledger: JSON key, Vietnamese header, XML element name, type, width."""

    key: str
    header_vi: str
    xml_name: str
    kind: ColumnKind = "text"
    width: int = 16


@dataclass(frozen=True, slots=True)
class LedgerLayout:
    """One Decree 87 ledger form."""

    number: int
    title_vi: str
    xml_root: str
    columns: tuple[Column, ...]
    summary_columns: tuple[Column, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)


@dataclass(frozen=True, slots=True)
class Heading:
    """What the printed ledger is about: who, where and which period."""

    title: str
    organisation: str
    organisation_address: str | None = None
    facility: str | None = None
    facility_address: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def period_vi(self) -> str:
        start = self.date_from.strftime("%d/%m/%Y") if self.date_from else "…"
        end = self.date_to.strftime("%d/%m/%Y") if self.date_to else "…"
        return f"Từ ngày {start} đến ngày {end}"

    def lines_vi(self) -> list[str]:
        """The lines printed under the title in XLSX and PDF."""
        lines = [f"Tổ chức: {self.organisation}"]
        if self.organisation_address:
            lines[0] += f" — {self.organisation_address}"
        if self.facility:
            place = f"Cơ sở: {self.facility}"
            lines.append(place + (f" — {self.facility_address}" if self.facility_address else ""))
        lines.append(self.period_vi())
        return lines


OWNER = Column("owner", "Chủ sở hữu chai", "owner", width=28)
CYLINDER_TYPE = Column("cylinder_type", "Loại chai", "cylinderType", width=12)
SERIAL = Column("serial", "Số sê-ri chai", "serial", width=16)
INSPECTION = Column("inspection_expiry", "Hạn kiểm định", "inspectionExpiry", "date", 13)

WHOLESALE = LedgerLayout(
    number=1,
    title_vi="SỔ THEO DÕI CHAI CHỨA LPG CỦA THƯƠNG NHÂN XUẤT NHẬP KHẨU, KINH DOANH LPG",
    xml_root="wholesaleLedger",
    columns=(
        OWNER,
        CYLINDER_TYPE,
        SERIAL,
        INSPECTION,
        Column("buyer_name", "Tên thương nhân mua", "buyerName", width=30),
        Column("buyer_address", "Địa chỉ thương nhân mua", "buyerAddress", width=36),
        Column("end_customer", "Khách hàng cuối cùng", "endCustomer", width=26),
        Column("delivery_date", "Ngày giao", "deliveryDate", "date", 12),
    ),
)

FILLING = LedgerLayout(
    number=2,
    title_vi="SỔ THEO DÕI CHAI CHỨA LPG TẠI TRẠM NẠP LPG VÀO CHAI",
    xml_root="fillingLedger",
    columns=(
        OWNER,
        CYLINDER_TYPE,
        Column("quantity", "Số lượng chai", "quantity", "int", 9),
        SERIAL,
        INSPECTION,
        Column("fill_date", "Ngày nạp", "fillDate", "date", 12),
        Column("hiring_trader", "Thương nhân thuê nạp", "hiringTrader", width=28),
        Column("delivered_date", "Ngày giao cho thương nhân thuê nạp", "deliveredDate", "date", 16),
    ),
    summary_columns=(
        Column("day", "Ngày nạp", "day", "date", 12),
        OWNER,
        CYLINDER_TYPE,
        Column("filled", "Số chai đã nạp", "filled", "int", 12),
        Column("delivered", "Số chai đã giao", "delivered", "int", 12),
    ),
)

RETAIL = LedgerLayout(
    number=3,
    title_vi="SỔ THEO DÕI CHAI CHỨA LPG TẠI CỬA HÀNG BÁN LẺ LPG",
    xml_root="retailLedger",
    columns=(
        OWNER,
        CYLINDER_TYPE,
        SERIAL,
        INSPECTION,
        Column("supplier_name", "Nơi nhận chai", "supplierName", width=28),
        Column("received_date", "Ngày nhận chai", "receivedDate", "date", 12),
        Column("customer_name", "Tên khách hàng", "customerName", width=24),
        Column("customer_address", "Địa chỉ khách hàng", "customerAddress", width=34),
        Column("delivery_date", "Ngày giao cho khách hàng", "deliveryDate", "date", 13),
    ),
)

LAYOUTS: dict[int, LedgerLayout] = {
    layout.number: layout for layout in (WHOLESALE, FILLING, RETAIL)
}
PERSONAL_KEYS = frozenset({"customer_name", "customer_address"})

# Columns every export adds around the Decree fields: a row number, the reference, and notes.
ROW_NUMBER = Column("row_number", "STT", "rowNumber", "int", 7)
REFERENCE = Column("reference", "Mã bút toán", "reference", width=12)
NOTE = Column("note", "Ghi chú", "note", width=40)


def export_columns(layout: LedgerLayout) -> tuple[Column, ...]:
    return (ROW_NUMBER, *layout.columns, REFERENCE, NOTE)


def reference(row: Mapping[str, Any]) -> str:
    """`#entry` for ledger entries, `N<fill>` for fills that have no entry shown."""
    if row.get("entry_id") is not None:
        return f"#{row['entry_id']}"
    if row.get("fill_id") is not None:
        return f"N{row['fill_id']}"
    return ""


def note_vi(row: Mapping[str, Any]) -> str:
    """Correction markers in words: never hide history, say what corrects what."""
    parts: list[str] = []
    if row.get("row_type") == "correction":
        text = f"Bút toán điều chỉnh cho #{row.get('corrects_entry_id')}"
        if row.get("correction_reason"):
            text += f": {row['correction_reason']}"
        details = row.get("correction_details") or {}
        if details:
            text += " (" + "; ".join(f"{k}: {v}" for k, v in sorted(details.items())) + ")"
        parts.append(text)
    corrected_by = row.get("corrected_by") or ()
    if corrected_by:
        parts.append("Đã được điều chỉnh bởi " + ", ".join(f"#{i}" for i in corrected_by))
    return "; ".join(parts)


def export_values(keys: Sequence[str], row: Mapping[str, Any], number: int) -> list[Any]:
    """The printed cells of one row, in `export_columns` order (`keys` = `layout.keys`)."""
    values: list[Any] = [number]
    values.extend(row.get(key) for key in keys)
    values.append(reference(row))
    values.append(note_vi(row))
    return values


def format_cell(value: Any) -> str:
    """Text form of a cell for CSV and PDF: dates as dd/mm/yyyy, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        value = value.astimezone(PROVINCE_TZ)
        return f"{value.day:02d}/{value.month:02d}/{value.year} {value.hour:02d}:{value.minute:02d}"
    if isinstance(value, dt.date):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    return str(value)
