"""Rate limits per client IP, resolved only through the trusted proxies; 429 as JSON or a page."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "VERIFY_RATE_LIMIT": "3/minute", "REPORT_RATE_LIMIT": "2/minute"}


def test_api_limit_answers_429_json_with_headers(client, world):
    for _ in range(3):
        ok = client.get("/api/v1/verify/JUNK")
        assert ok.status_code == 200
        assert ok.headers["X-RateLimit-Limit"] == "3"
    refused = client.get("/api/v1/verify/JUNK")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_budget_is_shared_by_page_api_and_manual_entry(client, world):
    assert client.get("/v/JUNK").status_code == 200
    assert client.get("/api/v1/verify/JUNK").status_code == 200
    body = {"manual_code": "0000-0000-0000-00", "serial": "x"}
    assert client.post("/api/v1/verify/manual", json=body).status_code == 200
    page = client.get("/V/JUNK", headers={"Accept": "text/html"})
    assert page.status_code == 429 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'data-status="429"' in html and "Quá nhiều yêu cầu" in html
    assert "Retry-After" in page.headers
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_reports_have_their_own_stricter_limit(client, world):
    for _ in range(2):
        assert client.post("/api/v1/reports", json={"reason": "other"}).status_code == 201
    assert client.post("/api/v1/reports", json={"reason": "other"}).status_code == 429
    assert client.post("/v/JUNK/report", data={"reason": "other"}).status_code == 429
    assert client.get("/api/v1/verify/JUNK").status_code == 200


def test_spoofed_forwarded_for_changes_nothing_without_trusted_proxies(client, world):
    for n in range(3):
        headers = {"X-Forwarded-For": f"198.51.100.{n}"}
        assert client.get("/api/v1/verify/JUNK", headers=headers).status_code == 200
    spoofed = {"X-Forwarded-For": "198.51.100.99"}
    assert client.get("/api/v1/verify/JUNK", headers=spoofed).status_code == 429


class TestBehindOneProxy:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "TRUSTED_PROXY_HOPS": 1}

    def test_forwarded_for_from_the_proxy_is_honoured(self, app, client, world):
        proxy = {"REMOTE_ADDR": "10.0.0.2"}
        for _ in range(3):
            alice = {"X-Forwarded-For": "198.51.100.1"}
            assert (
                client.get("/api/v1/verify/JUNK", headers=alice, environ_base=proxy).status_code
                == 200
            )
        assert (
            client.get("/api/v1/verify/JUNK", headers=alice, environ_base=proxy).status_code == 429
        )
        bob = {"X-Forwarded-For": "198.51.100.2"}
        assert client.get("/api/v1/verify/JUNK", headers=bob, environ_base=proxy).status_code == 200
        # Only the last hop counts: an address the client prepends itself is ignored.
        sneaky = {"X-Forwarded-For": "203.0.113.5, 198.51.100.1"}
        assert (
            client.get("/api/v1/verify/JUNK", headers=sneaky, environ_base=proxy).status_code == 429
        )
        scan_log = app.extensions["lpg_verifier"].scan_log
        scan_log.flush()
        from sqlalchemy import select

        from traceability.models import Scan

        with app.extensions["lpg_db"].read() as session:
            hashes = set(session.scalars(select(Scan.client_hash)))
        assert len(hashes) == 2, "scans are attributed to the forwarded client, not the proxy"
