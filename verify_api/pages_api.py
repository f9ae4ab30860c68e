"""The consumer pages: what a phone camera opens from the QR, manual entry, the report form."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

from flask import Response, current_app, request, url_for
from flask_smorest import Blueprint

from traceability.localtime import PROVINCE_TZ
from traceability.permissions import Permission
from traceability.verification.messages import VERDICT_TITLE, reason_messages
from traceability.verification.reports import MAX_TEXT, REPORT_REASONS
from traceability.web.limits import limiter
from traceability.web.security import requires
from verify_api import render_page, report_limit, scan_context, verifier, verify_limit
from verify_api.reports_api import file_report

blp = Blueprint(
    "verify_pages",
    __name__,
    url_prefix="",
    template_folder="templates",
    description="Consumer pages (HTML, server-rendered, no JavaScript).",
)

_CSS = (Path(__file__).parent / "static" / "verify.css").read_bytes()
CSS_VERSION = hashlib.sha256(_CSS).hexdigest()[:12]
TONE = {"genuine": "ok", "suspected_copy": "warn"}


def _number(name: str) -> float | None:
    """A volunteered coordinate typed by hand (comma or point); junk is simply ignored."""
    raw = request.form.get(name, "").replace(",", ".").strip()[:32]
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def _verdict_page(public: dict, token: str | None) -> Response:
    verdict = public["verdict"]
    return render_page(
        "verify/verdict.html",
        v=public,
        tone=TONE.get(verdict, "bad"),
        titles=VERDICT_TITLE[verdict],
        token=token,
        reasons=REPORT_REASONS,
        max_text=MAX_TEXT,
    )


@blp.route("/v/<string:token>", endpoint="verdict")
@blp.route("/V/<string:token>", endpoint="verdict_upper")
@requires(Permission.PUBLIC)
@verify_limit
def verdict_page(token: str) -> Response:
    """The verdict page a phone camera opens from the QR code."""
    result = verifier().verify(token, scan_context())
    return _verdict_page(result.public, token)


@blp.route("/v", endpoint="manual", methods=["GET"])
@blp.route("/V", endpoint="manual_upper", methods=["GET"])
@requires(Permission.PUBLIC)
@verify_limit
def manual_form() -> Response:
    """Form to type the manual code and the collar serial when the QR cannot be scanned."""
    return render_page("verify/manual.html", error=None)


@blp.route("/v", endpoint="manual_submit", methods=["POST"])
@requires(Permission.PUBLIC)
@verify_limit
def manual_submit() -> Response:
    """Verdict page for a manually entered code and serial."""
    code = request.form.get("code", "")[:32]
    serial = request.form.get("serial", "")[:64]
    result = verifier().verify_manual(code, serial, scan_context())
    return _verdict_page(result.public, None)


@blp.route("/v/<string:token>/report", endpoint="report", methods=["POST"])
@blp.route("/V/<string:token>/report", endpoint="report_upper", methods=["POST"])
@requires(Permission.PUBLIC)
@report_limit
def report_submit(token: str) -> Response:
    """Store a report about the cylinder behind this label and thank the reporter."""
    reason = request.form.get("reason", "")
    text = request.form.get("text", "")
    if reason not in REPORT_REASONS or len(text) > MAX_TEXT:
        return render_page("verify/thanks.html", status=422, token=token, ok=False)
    file_report(
        {
            "reason": reason,
            "token": token,
            "text": text,
            "contact": request.form.get("contact", "")[:200],
            "latitude": _number("latitude"),
            "longitude": _number("longitude"),
        }
    )
    return render_page("verify/thanks.html", token=token, ok=True)


@blp.route("/assets/verify-<string:version>.css", endpoint="stylesheet")
@requires(Permission.PUBLIC)
@limiter.limit(lambda: current_app.config["PAGE_ASSET_RATE_LIMIT"])
def stylesheet(version: str) -> Response:
    """The pages' only stylesheet, cached for a year under its content hash."""
    response = Response(_CSS, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def stylesheet_url() -> str:
    return url_for("verify_pages.stylesheet", version=CSS_VERSION)


@blp.app_context_processor
def _page_helpers() -> dict:
    return {"stylesheet_url": stylesheet_url, "reason_messages": reason_messages}


@blp.app_template_filter("vn_time")
def vn_time(iso: str | None, lang: str = "vi") -> str:
    """An ISO UTC instant as the province's local date and time."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(PROVINCE_TZ)
    return moment.strftime("%d/%m/%Y %H:%M")


@blp.app_template_filter("vn_date")
def vn_date(iso: str | None, lang: str = "vi") -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""
