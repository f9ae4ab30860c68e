"""Label rendering: PNG, SVG, PDF and ZPL per label, and an A4 sheet of 100 labels.

Each call renders a different real label from the data set (no cache can hide the QR cost);
a second PNG figure repeats one label to show what the caches save on a reprint.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, timedelta

from sqlalchemy import create_engine, text

from bench.common import NotAvailable, Run
from bench.load import TOKENS_TABLE
from traceability.labels.codec import label_url, manual_code, parse_token

TARGETS = {"png_p50_ms": 12.0, "sheet_100_s": 2.0}
PUBLIC_BASE_URL = "https://lpg.example.vn"
VIETNAM = timedelta(hours=7)


def _labels(url: str, count: int) -> list:
    try:
        from label_service.render import PrintableLabel
    except ImportError as exc:
        raise NotAvailable(f"label_service.render: {exc}") from None
    engine = create_engine(url)
    with engine.connect() as connection:
        tokens = (
            connection.execute(
                text(f"SELECT token FROM {TOKENS_TABLE} LIMIT :n"),  # noqa: S608
                {"n": count},
            )
            .scalars()
            .all()
        )
        stations = (
            connection.execute(
                text("SELECT name FROM facilities WHERE kind = 'filling_station' ORDER BY id")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    result = []
    for n, token in enumerate(tokens):
        claims = parse_token(token).claims
        result.append(
            PrintableLabel(
                url=label_url(PUBLIC_BASE_URL, token),
                manual_code=manual_code(claims.label_id),
                brand=claims.brand_code,
                serial=claims.serial,
                type_label=f"{claims.type_code} kg",
                tare_kg=claims.tare_kg,
                net_kg=claims.net_kg,
                filled_on=(claims.filled_at.astimezone(UTC) + VIETNAM).date(),
                inspection_due=claims.inspection_due,
                station=stations[n % len(stations)],
            )
        )
    return result


def _each(fn: Callable, labels: list) -> dict:
    samples = []
    for label in labels:
        started = time.perf_counter()
        fn(label)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }


def run(suite: Run, marker: dict) -> dict:
    from label_service import render

    per_format = 100 if suite.mode == "quick" else 1000
    labels = _labels(suite.pg_url, per_format + 300)
    if len(labels) < per_format + 300:
        raise NotAvailable("not enough generated labels to render")
    render.render_png(labels[-1])  # fonts and layout tables loaded once, as in a running worker
    rows = []
    for name, fn in (
        ("png", render.render_png),
        ("svg", render.render_svg),
        ("pdf", render.render_pdf),
        ("zpl", render.render_zpl),
    ):
        rows.append({"format": name, **_each(fn, labels[:per_format])})
    rows.append({"format": "png (same label again)", **_each(render.render_png, [labels[0]] * 100)})
    sheets = []
    for start in (per_format, per_format + 100):
        started = time.perf_counter()
        render.render_sheet_pdf(labels[start : start + 100])
        sheets.append(time.perf_counter() - started)
    sheet_s = round(min(sheets), 3)
    rows.append(
        {
            "format": "A4 sheet, 100 labels",
            "n": 2,
            "p50_ms": round(statistics.median(sheets) * 1000, 1),
        }
    )
    png = rows[0]["p50_ms"]
    return {
        "rows": rows,
        "sheet_100_s": {"best": sheet_s, "runs": [round(s, 3) for s in sheets]},
        "targets": TARGETS,
        "targets_met": {
            "png_p50": png <= TARGETS["png_p50_ms"],
            "sheet_100": sheet_s <= TARGETS["sheet_100_s"],
        },
    }
