"""Ledger to PDF: A4 landscape, DejaVu fonts for Vietnamese, repeated headers, page numbers."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from itertools import islice
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from traceability.ledger.exports.layout import (
    Column,
    Heading,
    LedgerLayout,
    export_columns,
    export_values,
    format_cell,
)

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
PAGE = landscape(A4)
MARGIN = 10 * mm
TABLE_FONT_SIZE = 7
CHUNK_ROWS = 400  # one Table per chunk keeps reportlab's splitting linear in the row count

CELL = ParagraphStyle("cell", fontName=FONT, fontSize=TABLE_FONT_SIZE, leading=8.5)
HEAD = ParagraphStyle("head", parent=CELL, fontName=FONT_BOLD)
TITLE = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=12, leading=15, alignment=1)
SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=9, leading=12, alignment=1)
TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), FONT, TABLE_FONT_SIZE),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
)


@functools.cache
def register_fonts() -> None:
    """DejaVu ships with the label service; the built-in PDF fonts cannot show Vietnamese."""
    fonts = resources.files("label_service") / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "DejaVuSans-Bold.ttf")))


def _widths(columns: Sequence[Column]) -> list[float]:
    """Column widths in points, proportional to the layout's character widths."""
    total = sum(column.width for column in columns)
    usable = PAGE[0] - 2 * MARGIN
    return [usable * column.width / total for column in columns]


def _cell(value: Any, width: float) -> Any:
    """Plain strings are fast; only text too long for its column is wrapped in a Paragraph."""
    text = format_cell(value)
    if pdfmetrics.stringWidth(text, FONT, TABLE_FONT_SIZE) <= width - 4:
        return text
    return Paragraph(escape(text), CELL)


def _table(header: list[Any], body: list[list[Any]], widths: list[float]) -> Table:
    table = Table([header, *body], colWidths=widths, repeatRows=1)
    table.setStyle(TABLE_STYLE)
    return table


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _NumberedCanvas(Canvas):
    """Defers page output until the end so each footer can say "Trang x/y"."""

    footer = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, 1):
            self.__dict__.update(state)
            self.setFont(FONT, 7)
            self.drawString(MARGIN, 6 * mm, self.footer)
            self.drawRightString(PAGE[0] - MARGIN, 6 * mm, f"Trang {number}/{total}")
            super().showPage()
        super().save()


def write_ledger(
    rows: Iterable[Mapping[str, Any]],
    out_stream: IO[bytes],
    layout: LedgerLayout,
    heading: Heading,
    summary: Iterable[Mapping[str, Any]] = (),
) -> int:
    """Render the ledger as a PDF and return the row count; callers cap the rows beforehand."""
    register_fonts()
    columns = export_columns(layout)
    widths = _widths(columns)
    header = [Paragraph(escape(column.header_vi), HEAD) for column in columns]
    story: list[Any] = [Paragraph(escape(heading.title), TITLE)]
    story += [Paragraph(escape(line), SUBTITLE) for line in heading.lines_vi()]
    story.append(Spacer(1, 4 * mm))
    count = 0
    keys = layout.keys
    values = (export_values(keys, row, n) for n, row in enumerate(rows, 1))
    for chunk in _chunks(values, CHUNK_ROWS):
        body = [[_cell(v, w) for v, w in zip(line, widths, strict=True)] for line in chunk]
        story.append(_table(header, body, widths))
        count += len(chunk)
    if count == 0:
        story.append(_table(header, [["" for _ in columns]], widths))
    if layout.summary_columns:
        story += _summary_story(layout, summary)
    canvas_class = type("LedgerCanvas", (_NumberedCanvas,), {"footer": _footer(layout, heading)})
    document = SimpleDocTemplate(
        out_stream,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=12 * mm,
        title=heading.title,
        author="LPG Trace",
    )
    document.build(story, canvasmaker=canvas_class)
    return count


def _footer(layout: LedgerLayout, heading: Heading) -> str:
    who = heading.facility or heading.organisation
    return f"Sổ {layout.number} — {who} — {heading.period_vi()}"


def _summary_story(layout: LedgerLayout, summary: Iterable[Mapping[str, Any]]) -> list[Any]:
    columns = layout.summary_columns
    widths = _widths(columns)
    header = [Paragraph(escape(column.header_vi), HEAD) for column in columns]
    body = [
        [_cell(item.get(c.key), w) for c, w in zip(columns, widths, strict=True)]
        for item in summary
    ]
    story: list[Any] = [Spacer(1, 6 * mm), Paragraph("TỔNG HỢP THEO NGÀY", SUBTITLE)]
    story.append(_table(header, body or [["" for _ in columns]], widths))
    return story
