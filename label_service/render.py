"""Printable cylinder labels: the input record and the PNG/SVG/PDF/ZPL/sheet renderers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from label_service.render_qr import qr_matrix
from label_service.render_raster import render_png
from label_service.render_vector import MAX_SHEET_LABELS, render_pdf, render_sheet_pdf, render_svg
from label_service.render_zpl import render_zpl

__all__ = [
    "MAX_SHEET_LABELS",
    "PrintableLabel",
    "qr_matrix",
    "render_pdf",
    "render_png",
    "render_sheet_pdf",
    "render_svg",
    "render_zpl",
]


@dataclass(frozen=True, slots=True)
class PrintableLabel:
    """Everything printed on one 50 × 30 mm cylinder label, already validated and signed."""

    url: str
    manual_code: str
    brand: str
    serial: str
    type_label: str
    tare_kg: Decimal
    net_kg: Decimal
    filled_on: date
    inspection_due: date
    station: str
