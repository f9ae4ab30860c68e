"""The consumer page in a real headless Chromium at 360 × 740 with JavaScript off."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.tools import require_command
from traceability.models import ConsumerReport

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def base_url(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def page(base_url):
    executable = require_command("chromium", "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="vi-VN"
        )
        tab = context.new_page()
        tab.requests = []
        tab.on("request", lambda request: tab.requests.append(request.url))
        yield tab
        context.close()
        browser.close()


@pytest.mark.browser
def test_verdict_language_switch_and_report_at_360px(app, base_url, page, labelled):
    page.goto(f"{base_url}/V/{labelled.label_a.token}")
    verdict = page.locator("#verdict")
    assert verdict.is_visible()
    assert "Tem thật" in verdict.inner_text()
    box = verdict.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["y"] + box["height"] <= 740, "the verdict is above the fold"
    colour = verdict.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(230, 244, 234)", "the stylesheet loaded despite the strict CSP"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, "no horizontal scrolling on a 360 px phone"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "verify-page-360x740.png"), full_page=True)

    page.click("#lang-switch")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Genuine" in page.locator("#verdict").inner_text()

    page.click("#report summary")
    page.select_option("#reason", "underweight")
    page.fill("#text", "Feels light")
    page.click("#report-send")
    assert "thank you" in page.locator("#thanks").inner_text().lower()
    page.screenshot(path=str(ARTIFACTS / "verify-report-thanks-360x740.png"))
    assert all(url.startswith(base_url) for url in page.requests), "no third-party requests"
    with app.extensions["lpg_db"].read() as session:
        assert session.scalar(select(ConsumerReport.reason)) == "underweight"


@pytest.mark.browser
def test_manual_entry_and_not_genuine_in_browser(base_url, page, labelled):
    page.goto(f"{base_url}/v")
    page.fill("#code", labelled.label_a.manual_code)
    page.fill("#serial-input", "DP-000001")
    page.click("button[type=submit]")
    assert page.locator("#verdict").get_attribute("data-verdict") == "genuine"
    page.goto(f"{base_url}/v/NOTATOKEN")
    assert "Tem không hợp lệ" in page.locator("#verdict").inner_text()
    page.screenshot(path=str(ARTIFACTS / "verify-not-genuine-360x740.png"))
