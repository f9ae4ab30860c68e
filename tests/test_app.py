"""App wiring: configuration and secrets, probes, login throttling, error shape basics."""

from __future__ import annotations

import logging

import pytest

from tests import factories as f
from traceability.config import ConfigurationError
from traceability.web.app import create_app


def test_demo_generates_secrets_once_into_instance(tmp_path, database_url):
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url}
    first = create_app(config)
    second = create_app(config)
    for name in ("SECRET_KEY", "MASTER_KEY", "SCAN_SALT"):
        assert first.config[name] == second.config[name]
        assert (tmp_path / f"{name.lower()}.secret").stat().st_mode & 0o077 == 0
    for app in (first, second):
        app.extensions["lpg_db"].dispose()


def test_production_refuses_to_start_without_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("LPG_ENV", "production")
    for name in ("SECRET_KEY", "MASTER_KEY", "SCAN_SALT", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="MASTER_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert not list(tmp_path.glob("*.secret"))


def test_production_refuses_sqlite_and_memory_rate_limits(tmp_path, monkeypatch):
    monkeypatch.setenv("LPG_ENV", "production")
    secrets = {"SECRET_KEY": "x" * 40, "MASTER_KEY": "A" * 43 + "=", "SCAN_SALT": "salt"}
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        create_app({"INSTANCE_PATH": str(tmp_path), **secrets})
    with pytest.raises(ConfigurationError, match="REDIS"):
        create_app(
            {
                "INSTANCE_PATH": str(tmp_path),
                **secrets,
                "DATABASE_URL": "postgresql+psycopg://u@127.0.0.1/x",
            }
        )


def test_probes(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["database"] == "ok"


def test_readyz_reports_an_unreachable_database(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


def test_openapi_and_docs_are_served(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200 and spec.json["openapi"].startswith("3.")
    assert client.get("/api/docs").status_code == 200


def test_request_id_is_echoed_or_generated(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(generated.headers["X-Request-ID"]) == 32


def test_oversize_body_is_413(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post(
        "/api/v1/auth/token", data=b"{" + b" " * 4096 + b"}", content_type="application/json"
    )
    assert response.status_code == 413 and response.json["code"] == "payload_too_large"


def test_unknown_method_is_405_problem(client):
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 405 and response.json["code"] == "method_not_allowed"


@pytest.fixture
def app_config(app_config):
    app_config["LOGIN_LIMIT_PER_IP"] = "8/minute"
    app_config["LOGIN_FAILURES_PER_ACCOUNT"] = "3/hour"
    return app_config


def test_failed_logins_per_account_are_capped_and_logged(client, world, caplog):
    with caplog.at_level(logging.WARNING, logger="lpgtrace.auth"):
        for _ in range(3):
            response = client.post(
                "/api/v1/auth/token", json={"username": "trader_a", "password": "guess-number-xyz"}
            )
            assert response.status_code == 401
    capped = client.post(
        "/api/v1/auth/token", json={"username": "trader_a", "password": f.PASSWORD}
    )
    assert capped.status_code == 429
    assert capped.json["code"] == "rate_limited" and "Retry-After" in capped.headers
    assert "guess-number-xyz" not in caplog.text and "trader_a" in caplog.text
    # another account from the same address is not blocked by trader_a's failures
    other = client.post("/api/v1/auth/token", json={"username": "trader_b", "password": f.PASSWORD})
    assert other.status_code == 200


def test_logins_per_ip_are_capped(client, world):
    statuses = [
        client.post(
            "/api/v1/auth/token", json={"username": "inspector", "password": f.PASSWORD}
        ).status_code
        for _ in range(9)
    ]
    assert statuses[:8] == [200] * 8 and statuses[8] == 429
