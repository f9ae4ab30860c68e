"""ZPL II for 203-dpi Zebra thermal printers: the printer draws the QR and text natively.

QR field data, per the ZPL II manual for ^BQ (normal mode): ``^FD<ec><input>,<data>^FS`` where
``<ec>`` is the error-correction level (H, Q, M or L) and ``<input>`` is ``A`` (automatic mode
selection) or ``M`` (manual, then a mode letter such as ``A`` alphanumeric before the data, e.g.
``^FDMM,AAC-42^FS``). We emit ``^FDMA,<url>^FS``: level M, automatic input; the URL is pure
QR-alphanumeric, so the printer encodes one alphanumeric segment like :func:`qr_matrix`.
``^BQN,2,<mag>``: orientation N, model 2, magnification = dots per module.
Note that Zebra firmware adds a few dots of space above a ^BQ symbol's field origin.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from label_service.render_layout import clean, fmt_date, fmt_kg, qr_modules
from label_service.render_qr import QUIET_MODULES

if TYPE_CHECKING:
    from label_service.render import PrintableLabel

WIDTH_DOTS, HEIGHT_DOTS = 400, 240
MARGIN = 6
CHAR_WIDTH = 0.62
_HEX = {"_": "_5F", "^": "_5E", "~": "_7E", "\\": "\\\\"}


def zpl_text(text: str) -> str:
    """Escape for a ^FH_ field: '^', '~' and '_' as hex, so label data cannot inject commands."""
    return "".join(_HEX.get(ch, ch) for ch in clean(text))


def _wrap(text: str, width: int, height: int, lines: int) -> list[str]:
    """Pre-wrap by estimated width, since ^FB overprints its last line when text overflows."""
    chars = max(1, int(width / (CHAR_WIDTH * height)))
    wrapped = textwrap.wrap(clean(text), chars, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(0, chars - 3)].rstrip() + "..."
    return wrapped


def _serial_lines(serial: str, width: int) -> tuple[int, list[str]]:
    """Serial on one line if possible, else split evenly over two: it must never be truncated."""
    for height in (30, 26, 22):
        if len(serial) * CHAR_WIDTH * height <= width:
            return height, [serial]
    half = -(-len(serial) // 2)
    height = max(12, min(22, int(width / (half * CHAR_WIDTH))))
    return height, [serial[:half], serial[half:]]


def render_zpl(label: PrintableLabel, *, font: str | None = None) -> str:
    """Label as ZPL II, 50 × 30 mm at 203 dpi; pass font='E:DEJAVU.TTF' for a downloaded TTF."""
    n = len(qr_modules(label.url))
    mag = max(1, min(10, HEIGHT_DOTS // (n + 2 * QUIET_MODULES)))
    left = (n + 2 * QUIET_MODULES) * mag
    width = WIDTH_DOTS - left - MARGIN
    out = ["^XA", "^CI28", f"^PW{WIDTH_DOTS}", f"^LL{HEIGHT_DOTS}", "^LH0,0"]
    out.append(
        f"^FO{QUIET_MODULES * mag},{(HEIGHT_DOTS - n * mag) // 2}^BQN,2,{mag}^FDMA,{label.url}^FS"
    )
    face = f"^A@N,{{h}},{{h}},{font}" if font else "^A0N,{h},{h}"

    def field(
        y: int,
        h: int,
        text: str | list[str],
        lines: int = 1,
        align: str = "L",
        share: float = 1,
        x: int = left,
    ) -> int:
        parts = text if isinstance(text, list) else _wrap(text, int(width * share), h, lines)
        body = "\\&".join(zpl_text(part) for part in parts)
        out.append(
            f"^FO{x},{y}{face.format(h=h)}^FB{int(width * share)},{len(parts)},2,{align},0"
            f"^FH_^FD{body}^FS"
        )
        return y + len(parts) * (h + 2)

    y = MARGIN
    field(y, 22, label.brand, share=0.6)
    y = field(y, 22, label.type_label, align="R", share=0.4, x=left + int(width * 0.6)) + 2
    serial_h, serial = _serial_lines(clean(label.serial), width)
    y = field(y, serial_h, serial, lines=2) + 3
    for caption, value in (
        ("Bì/Tare", fmt_kg(label.tare_kg)),
        ("Khí/Net", fmt_kg(label.net_kg)),
        ("Nạp/Filled", fmt_date(label.filled_on)),
    ):
        field(y, 18, caption)
        y = field(y, 18, value, align="R")
    y = field(y + 1, 14, "Kiểm định đến/Insp. due")
    y = field(y, 22, fmt_date(label.inspection_due)) + 2
    code_y = HEIGHT_DOTS - MARGIN - 20
    station_lines = max(1, min(3, (code_y - y) // 17))
    field(y, 15, label.station, lines=station_lines)
    field(code_y, 20, label.manual_code)
    out.append("^PQ1")
    out.append("^XZ")
    return "\n".join(out) + "\n"
