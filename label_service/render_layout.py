"""One label layout in 300-dpi pixels, shared by the PNG, SVG and PDF back ends so they match."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import ImageFont

from label_service.render_qr import QUIET_MODULES, dark_runs, qr_matrix

if TYPE_CHECKING:
    from datetime import date

    from label_service.render import PrintableLabel

DPI = 300
WIDTH_MM, HEIGHT_MM = 50, 30
WIDTH_PX, HEIGHT_PX = 591, 354
MAX_MODULE_PX = 6
MARGIN_PX = 10
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {False: FONT_DIR / "DejaVuSans.ttf", True: FONT_DIR / "DejaVuSans-Bold.ttf"}
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class TextItem:
    """A line of text placed by its left baseline point."""

    x: float
    baseline: float
    text: str
    size: int
    bold: bool


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the QR modules and text lines go on one label."""

    qr_x: int
    qr_y: int
    module: int
    modules: tuple[tuple[bool, ...], ...]
    texts: tuple[TextItem, ...]

    @property
    def runs(self) -> tuple[tuple[int, int, int], ...]:
        """Dark runs for vector outputs; the PNG path never needs them."""
        return _runs(self.modules)


@functools.cache
def font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    """Load each face/size once; FreeType loading dominates render time otherwise."""
    return ImageFont.truetype(str(FONT_FILES[bold]), size)


@functools.lru_cache(maxsize=8192)
def text_width(text: str, size: int, bold: bool) -> float:
    """Advance width in pixels, the same DejaVu metrics the vector outputs use."""
    return font(bold, size).getlength(text)


def clean(text: str) -> str:
    """Drop control characters: they break XML, PDF text and ZPL alike."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


def fmt_kg(value: Decimal) -> str:
    """Show the stored precision as-is: rounding a safety weight is not the renderer's job."""
    return f"{value:f} kg"


def fmt_date(value: date) -> str:
    """Vietnamese day-first dates, as on inspection stamps."""
    return value.strftime("%d/%m/%Y")


def fit_lines(
    text: str, bold: bool, sizes: range, width: float, max_lines: int
) -> tuple[int, list[str]]:
    """Largest size that fits on few lines; truncates with an ellipsis as a last resort."""
    for lines in range(1, max_lines + 1):
        for size in _plausible(text, bold, sizes, width) if lines == 1 else sizes:
            wrapped = _wrap(text, size, bold, width)
            if len(wrapped) <= lines:
                return size, wrapped
    size = sizes[-1]
    wrapped = _wrap(text, size, bold, width)[:max_lines]
    last = wrapped[-1]
    while last and text_width(last + ELLIPSIS, size, bold) > width:
        last = last[:-1]
    wrapped[-1] = last.rstrip() + ELLIPSIS
    return size, wrapped


def _plausible(text: str, bold: bool, sizes: range, width: float) -> range:
    """Skip sizes that cannot fit on one line, judged from one measurement at a small size."""
    smallest = sizes[-1]
    per_px = text_width(" ".join(clean(text).split()), smallest, bold) / smallest
    if per_px * sizes[0] <= width:
        return sizes
    start = next((s for s in sizes if per_px * s <= width * 1.04), smallest)
    return range(start, sizes.stop, sizes.step)


def _wrap(text: str, size: int, bold: bool, width: float) -> list[str]:
    """Greedy wrap, breaking at a space or after a hyphen when one is in the line's second half."""
    rest = " ".join(clean(text).split())
    lines: list[str] = []
    while rest:
        if text_width(rest, size, bold) <= width:
            lines.append(rest)
            break
        cut = _longest_prefix(rest, size, bold, width)
        space = rest.rfind(" ", 0, cut + 1)
        hyphen = rest.rfind("-", 0, cut) + 1
        if max(space, hyphen) * 2 >= cut:
            cut = max(space, hyphen)
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return lines or [""]


def _longest_prefix(text: str, size: int, bold: bool, width: float) -> int:
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if text_width(text[:mid], size, bold) <= width:
            low = mid
        else:
            high = mid - 1
    return low


@functools.lru_cache(maxsize=256)
def qr_modules(url: str) -> tuple[tuple[bool, ...], ...]:
    """Immutable, cached matrix: one label is often rendered to several formats in a row."""
    return tuple(tuple(row) for row in qr_matrix(url).modules)


@functools.lru_cache(maxsize=256)
def _runs(modules: tuple[tuple[bool, ...], ...]) -> tuple[tuple[int, int, int], ...]:
    return tuple(dark_runs(modules))


def layout(label: PrintableLabel) -> Layout:
    """Place QR (integer module size, 4-module quiet zone) left and the text block right."""
    modules = qr_modules(label.url)
    n = len(modules)
    module = min(MAX_MODULE_PX, HEIGHT_PX // (n + 2 * QUIET_MODULES))
    side = (n + 2 * QUIET_MODULES) * module
    qr_x, qr_y = QUIET_MODULES * module, (HEIGHT_PX - side) // 2 + QUIET_MODULES * module
    left, right = side, WIDTH_PX - MARGIN_PX
    width = right - left
    texts: list[TextItem] = []
    y = MARGIN_PX

    def line(text: str, size: int, bold: bool, gap: float = 0.22) -> None:
        nonlocal y
        y += round(size * 0.93)
        texts.append(TextItem(left, y, text, size, bold))
        y += round(size * gap)

    def pair(caption: str, value: str, size: int) -> None:
        nonlocal y
        y += round(size * 0.93)
        texts.append(TextItem(left, y, caption, size, False))
        texts.append(TextItem(right - text_width(value, size, True), y, value, size, True))
        y += round(size * 0.3)

    brand_size, brand = fit_lines(label.brand, True, range(26, 15, -2), width * 0.62, 1)
    line(brand[0], brand_size, True, 0.3)
    type_size, (kind,) = fit_lines(
        label.type_label, True, range(brand_size, 13, -2), width * 0.36, 1
    )
    kind_x = right - text_width(kind, type_size, True)
    texts.append(TextItem(kind_x, texts[-1].baseline, kind, type_size, True))
    serial_size, serial = fit_lines(label.serial, True, range(36, 15, -2), width, 2)
    for part in serial:
        line(part, serial_size, True, 0.12)
    y += 6
    pair("Bì/Tare", fmt_kg(label.tare_kg), 21)
    pair("Khí/Net", fmt_kg(label.net_kg), 21)
    pair("Nạp/Filled", fmt_date(label.filled_on), 21)
    caption_size, caption = fit_lines("Kiểm định đến/Insp. due", False, range(20, 13, -1), width, 1)
    line(caption[0], caption_size, False, 0.1)
    line(fmt_date(label.inspection_due), 27, True, 0.25)
    code_size, code = fit_lines(label.manual_code, True, range(24, 13, -1), width, 1)
    code_baseline = HEIGHT_PX - MARGIN_PX - 2
    room = code_baseline - round(code_size * 0.95) - y
    station_lines = max(1, min(3, int(room // 19)))
    station_size, station = fit_lines(label.station, False, range(18, 13, -1), width, station_lines)
    for part in station:
        line(part, station_size, False, 0.12)
    texts.append(TextItem(left, code_baseline, code[0], code_size, True))
    return Layout(qr_x, qr_y, module, modules, tuple(texts))
