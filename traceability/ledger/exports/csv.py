"""Ledger to CSV for Excel: UTF-8 with a BOM, every text quoted, formulas defused."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import IO, Any

from traceability.ledger.exports.layout import (
    LedgerLayout,
    export_columns,
    export_values,
    format_cell,
)

BOM = "\ufeff"
FLUSH_EVERY = 1000
# Leading characters that make Excel or LibreOffice evaluate a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Text as Excel will show it, never as a formula; numbers stay numbers."""
    if isinstance(value, int):
        return value
    text = format_cell(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_ledger(
    rows: Iterable[Mapping[str, Any]], out_stream: IO[bytes], layout: LedgerLayout
) -> int:
    """Write the ledger as CSV (comma-separated, all text quoted so `;` and `,` are safe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([column.header_vi for column in export_columns(layout)])
    keys, count = layout.keys, 0
    for count, row in enumerate(rows, 1):
        writer.writerow([safe_text(value) for value in export_values(keys, row, count)])
        if count % FLUSH_EVERY == 0:
            out_stream.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
    out_stream.write(buffer.getvalue().encode())
    return count
