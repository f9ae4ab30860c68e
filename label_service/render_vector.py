"""Vector labels: SVG for previews and editors, PDF for office printers and A4 sheets."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from label_service.render_layout import (
    DPI,
    FONT_FILES,
    HEIGHT_MM,
    WIDTH_MM,
    Layout,
    layout,
)

if TYPE_CHECKING:
    from label_service.render import PrintableLabel

MAX_SHEET_LABELS = 1000
SHEET_COLUMNS, SHEET_ROWS = 3, 9
FONT_FAMILY = "DejaVu Sans, sans-serif"
_PDF_FONTS = {False: "DejaVuSans", True: "DejaVuSans-Bold"}
_PX = 72 / DPI
_LABEL_W, _LABEL_H = WIDTH_MM * mm, HEIGHT_MM * mm


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def render_svg(label: PrintableLabel) -> str:
    """Label as SVG in 300-dpi pixel units, physically sized 50 × 30 mm."""
    plan = layout(label)
    m = plan.module
    path = "".join(
        f"M{plan.qr_x + c * m} {plan.qr_y + r * m}h{n * m}v{m}h-{n * m}z" for r, c, n in plan.runs
    )
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_MM}mm" height="{HEIGHT_MM}mm" '
        f'viewBox="0 0 {_fmt(WIDTH_MM / 25.4 * DPI)} {_fmt(HEIGHT_MM / 25.4 * DPI)}">',
        '<rect width="100%" height="100%" fill="#fff"/>',
        f'<path fill="#000" shape-rendering="crispEdges" d="{path}"/>',
        f'<g fill="#000" font-family="{FONT_FAMILY}">',
    ]
    for item in plan.texts:
        weight = ' font-weight="bold"' if item.bold else ""
        parts.append(
            f'<text x="{_fmt(item.x)}" y="{_fmt(item.baseline)}" font-size="{item.size}"{weight}>'
            f"{escape(item.text)}</text>"
        )
    parts.append("</g></svg>\n")
    return "\n".join(parts)


@functools.cache
def _register_fonts() -> None:
    """Register DejaVu once per process; Vietnamese needs a real Unicode TrueType font."""
    for bold, name in _PDF_FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_FILES[bold])))


def _draw(canvas: Canvas, plan: Layout, x0: float, y0: float) -> None:
    """Draw one label at (x0, y0) pt; the QR is raw 're' operators in module units, for speed."""
    top = y0 + _LABEL_H
    m = plan.module * _PX
    rects = " ".join(f"{c} {r} {n} 1 re" for r, c, n in plan.runs)
    canvas.addLiteral(
        f"q 0 g {m:.4f} 0 0 {-m:.4f} {x0 + plan.qr_x * _PX:.4f} {top - plan.qr_y * _PX:.4f} cm "
        f"{rects} f Q"
    )
    for item in plan.texts:
        canvas.setFont(_PDF_FONTS[item.bold], item.size * _PX)
        canvas.drawString(x0 + item.x * _PX, top - item.baseline * _PX, item.text)


def _canvas(out: io.BytesIO, size: tuple[float, float], title: str) -> Canvas:
    _register_fonts()
    canvas = Canvas(out, pagesize=size, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("LPG Trace")
    return canvas


def render_pdf(label: PrintableLabel) -> bytes:
    """Label as a one-page 50 × 30 mm PDF with vector QR and embedded DejaVu."""
    out = io.BytesIO()
    canvas = _canvas(out, (_LABEL_W, _LABEL_H), f"LPG label {label.serial}")
    _draw(canvas, layout(label), 0, 0)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def render_sheet_pdf(labels: Sequence[PrintableLabel]) -> bytes:
    """A4 sheets of 3 × 9 labels with light cut lines, for stations without a label printer."""
    if len(labels) > MAX_SHEET_LABELS:
        raise ValueError(f"at most {MAX_SHEET_LABELS} labels per sheet PDF, got {len(labels)}")
    page_w, page_h = A4
    left = (page_w - SHEET_COLUMNS * _LABEL_W) / 2
    bottom = (page_h - SHEET_ROWS * _LABEL_H) / 2
    per_page = SHEET_COLUMNS * SHEET_ROWS
    out = io.BytesIO()
    canvas = _canvas(out, A4, f"LPG labels ({len(labels)})")
    for start in range(0, max(len(labels), 1), per_page):
        chunk = labels[start : start + per_page]
        canvas.setLineWidth(0.25)
        canvas.setStrokeGray(0.75)
        for index, label in enumerate(chunk):
            row, col = divmod(index, SHEET_COLUMNS)
            x = left + col * _LABEL_W
            y = bottom + (SHEET_ROWS - 1 - row) * _LABEL_H
            canvas.rect(x, y, _LABEL_W, _LABEL_H, stroke=1, fill=0)
            _draw(canvas, layout(label), x, y)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
