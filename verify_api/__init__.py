"""Public verification: JSON API, consumer pages, JWKS and rate limits."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, render_template, request, url_for

from traceability.verification.messages import UI
from traceability.verification.model import ScanContext
from traceability.verification.service import PublicVerifier
from traceability.web.limits import client_ip, limiter

LANGUAGES = ("vi", "en")
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

# One budget per client IP shared by every way of verifying (page, JSON, manual), one for reports.
verify_limit = limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], scope="verify")
report_limit = limiter.shared_limit(lambda: current_app.config["REPORT_RATE_LIMIT"], scope="report")


def verifier() -> PublicVerifier:
    found: PublicVerifier = current_app.extensions["lpg_verifier"]
    return found


def scan_context(latitude: float | None = None, longitude: float | None = None) -> ScanContext:
    """Pseudonymous context of the current request (the IP is hashed, never kept)."""
    agent = request.headers.get("User-Agent", "")
    return verifier().context(client_ip(), agent, latitude, longitude)


def page_language() -> str:
    """?lang= wins, then Accept-Language, then Vietnamese."""
    chosen = request.values.get("lang", "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="vi") or "vi"


def secure_page(response: Response) -> Response:
    """Headers every consumer page carries: strict CSP, no framing, no sniffing, no caching."""
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Accept-Language")
    return response


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    lang = context.pop("lang", None) or page_language()
    other = "en" if lang == "vi" else "vi"
    switch_url = context.pop("switch_url", None) or (
        f"{request.path}?lang={other}"
        if request.method in ("GET", "HEAD")
        else url_for("verify_pages.manual", lang=other)
    )
    html = render_template(
        template, lang=lang, other=other, t=UI[lang], switch_url=switch_url, **context
    )
    return secure_page(Response(html, status=status, mimetype="text/html"))


def render_error_page(body: dict[str, Any]) -> Response:
    """Friendly HTML for 404, 429 and errors on consumer pages (problems.py calls it)."""
    lang = page_language()
    return render_page(
        "verify/error.html",
        status=body["status"],
        lang=lang,
        message=body["message"][lang],
        status_code=body["status"],
        rate_limited=body["status"] == 429,
    )


def init_app(app: Flask) -> None:
    """Start-up wiring: the verifier and its scan log, and the HTML error renderer."""
    app.extensions["lpg_verifier"] = PublicVerifier(app.extensions["lpg_db"], app.config)
    app.extensions["lpg_html_error"] = render_error_page


__all__ = ["render_page", "report_limit", "scan_context", "verify_limit"]
