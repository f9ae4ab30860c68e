"""The consumer pages over HTTP: verdict, language, headers, size, errors, forms."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from traceability.models import ConsumerReport

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def page(client, path, **kwargs):
    response = client.get(path, **kwargs)
    return response, response.get_data(as_text=True)


def test_genuine_page_in_vietnamese_by_default(client, labelled):
    response, html = page(client, f"/V/{labelled.label_a.token}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert 'lang="vi"' in html and 'data-verdict="genuine"' in html
    assert "Tem thật" in html and "DP-000001" in html and "Trạm chiết Đại Phát" in html
    assert "26.2 kg" in html  # gross ≈ tare + net
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script" not in html and "style=" not in html


def test_lower_case_path_and_english(client, labelled):
    _, html = page(client, f"/v/{labelled.label_a.token}?lang=en")
    assert 'lang="en"' in html and "Genuine" in html and "Tiếng Việt" in html


def test_accept_language_picks_english(client, labelled):
    headers = {"Accept-Language": "en-GB,en;q=0.9"}
    response, html = page(client, f"/v/{labelled.label_a.token}", headers=headers)
    assert 'lang="en"' in html
    assert "Accept-Language" in response.headers["Vary"]
    _, html = page(client, f"/v/{labelled.label_a.token}", headers={"Accept-Language": "fr"})
    assert 'lang="vi"' in html


def test_page_with_its_stylesheet_is_under_50_kb(client, labelled):
    response, html = page(client, f"/v/{labelled.label_a.token}")
    css_url = re.search(r'href="(/assets/[^"]+\.css)"', html).group(1)
    css = client.get(css_url)
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "immutable" in css.headers["Cache-Control"]
    assert len(response.data) + len(css.data) < 50 * 1024
    assert "http" not in css.get_data(as_text=True), "no third-party requests"
    assert not re.search(r'(src|href)="https?://', html)


def test_not_genuine_page_shows_no_facts_and_opens_report_form(client, world):
    _, html = page(client, "/v/AAAAAAAA")
    assert 'data-verdict="not_genuine"' in html
    assert '<details class="report" id="report" open>' in html


def test_manual_form_and_submit(client, labelled):
    response, html = page(client, "/v")
    assert response.status_code == 200 and 'name="code"' in html
    response = client.post(
        "/v", data={"code": labelled.label_a.manual_code, "serial": "DP-000001", "lang": "en"}
    )
    html = response.get_data(as_text=True)
    assert 'data-verdict="genuine"' in html and 'lang="en"' in html
    response = client.post("/v", data={"code": labelled.label_a.manual_code, "serial": "X"})
    assert 'data-verdict="not_genuine"' in response.get_data(as_text=True)


def test_report_form_stores_a_report(app, client, labelled):
    response = client.post(
        f"/V/{labelled.label_a.token}/report",
        data={
            "reason": "seal_broken",
            "text": "Niêm phong rách",
            "contact": "",
            "latitude": "10,951",
            "longitude": "abc",
            "lang": "vi",
        },
    )
    assert response.status_code == 200
    assert "Cảm ơn" in response.get_data(as_text=True)
    with app.extensions["lpg_db"].read() as session:
        report = session.scalars(select(ConsumerReport)).one()
        assert (report.reason, report.latitude, report.longitude) == ("seal_broken", 10.95, None)
        assert report.sealed_contact is None


def test_report_form_refuses_unknown_reason(app, client, labelled):
    response = client.post(f"/v/{labelled.label_a.token}/report", data={"reason": "x"})
    assert response.status_code == 422
    with app.extensions["lpg_db"].read() as session:
        assert session.scalar(select(func.count()).select_from(ConsumerReport)) == 0


def test_friendly_404_page_for_browsers_and_json_for_api(client):
    response, html = page(client, "/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert 'data-status="404"' in html and "Không tìm thấy" in html
    assert response.headers["Content-Security-Policy"] == CSP
    api = client.get("/api/v1/verify/", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
