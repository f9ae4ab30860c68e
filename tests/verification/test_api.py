"""The JSON API: verdict answers, manual entry, the scan log it feeds, reports."""

from __future__ import annotations

from sqlalchemy import select

from traceability.crypto import Keyring
from traceability.models import ConsumerReport, Scan
from traceability.verification.reports import CONTACT_PURPOSE, contact_aad

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Mobile Safari/537.36"


def test_genuine_json(client, labelled):
    response = client.get(f"/api/v1/verify/{labelled.label_a.token}")
    assert response.status_code == 200
    body = response.json
    assert body["verdict"] == "genuine"
    assert body["message"]["vi"] and body["message"]["en"]
    assert body["cylinder"]["serial"] == "DP-000001"
    assert body["fill"]["station_name"] == "Trạm chiết Đại Phát"
    assert response.headers["Cache-Control"] == "no-store"


def test_not_genuine_json_for_garbage_is_200_with_verdict(client, world):
    response = client.get("/api/v1/verify/NOTATOKEN")
    assert response.status_code == 200
    assert response.json["verdict"] == "not_genuine"
    assert response.json["reasons"][0]["code"] == "malformed"


def test_openapi_documents_the_verdict_enumeration(client):
    spec = client.get("/api/openapi.json").json
    schema = spec["components"]["schemas"]["Verification"]
    assert "suspected_copy" in schema["properties"]["verdict"]["enum"]
    assert "/api/v1/verify/manual" in spec["paths"]
    assert "/api/v1/reports" in spec["paths"]


def test_manual_entry(client, labelled):
    body = {"manual_code": labelled.label_a.manual_code, "serial": "DP-000001"}
    response = client.post("/api/v1/verify/manual", json=body)
    assert response.status_code == 200 and response.json["verdict"] == "genuine"
    body["serial"] = "DP-999999"
    response = client.post("/api/v1/verify/manual", json=body)
    assert response.json["verdict"] == "not_genuine" and response.json["cylinder"] is None


def test_manual_entry_validates_its_body(client, world):
    assert client.post("/api/v1/verify/manual", json={"manual_code": "x"}).status_code == 422
    extra = {"manual_code": "x", "serial": "y", "admin": True}
    assert client.post("/api/v1/verify/manual", json=extra).status_code == 422
    assert client.post("/api/v1/verify/manual", data="x=1").status_code == 415


def test_each_verification_is_logged_with_a_pseudonym_only(app, client, labelled):
    client.get(
        f"/api/v1/verify/{labelled.label_a.token}?lat=10.94712&lon=106.82421",
        headers={"User-Agent": PHONE},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    client.get("/api/v1/verify/JUNK", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    scan_log = app.extensions["lpg_verifier"].scan_log
    assert scan_log.pending() == 2
    assert scan_log.flush() == 2
    with app.extensions["lpg_db"].read() as session:
        rows = session.execute(select(Scan).order_by(Scan.id)).scalars().all()
        first, second = [
            (r.label_id, r.verdict, r.client_hash, r.device_class, r.latitude, r.longitude)
            for r in rows
        ]
    assert first[:2] == (labelled.label_a.label_id, "genuine")
    assert first[3:] == ("mobile", 10.95, 106.82)
    assert "203.0.113.7" not in first[2] and len(first[2]) == 64
    assert second[:3] == (None, "not_genuine", first[2])


def test_report_is_stored_with_sealed_contact(app, client, labelled):
    body = {
        "reason": "underweight",
        "token": labelled.label_a.token,
        "text": "Bình nhẹ hơn bình thường",
        "contact": "0903 123 456",
        "latitude": 10.9571,
        "longitude": 106.8432,
    }
    response = client.post("/api/v1/reports", json=body)
    assert response.status_code == 201 and response.json["status"] == "open"
    with app.extensions["lpg_db"].read() as session:
        report = session.scalars(select(ConsumerReport)).one()
        stored = (
            report.label_id,
            report.cylinder_id,
            report.reason,
            report.latitude,
            report.sealed_contact,
            report.id,
        )
    assert stored[:4] == (labelled.label_a.label_id, labelled.cyl_a.id, "underweight", 10.96)
    assert b"0903" not in stored[4]
    keyring: Keyring = app.extensions["lpg_keyring"]
    assert keyring.open(CONTACT_PURPOSE, stored[4], contact_aad(stored[5])) == b"0903 123 456"


def test_report_about_a_forged_label_is_still_stored(client, world):
    response = client.post("/api/v1/reports", json={"reason": "label_suspect", "token": "FAKE"})
    assert response.status_code == 201


def test_report_rejects_unknown_reason_and_long_text(client, world):
    assert client.post("/api/v1/reports", json={"reason": "because"}).status_code == 422
    long_text = {"reason": "other", "text": "x" * 1001}
    assert client.post("/api/v1/reports", json=long_text).status_code == 422


def test_a_connection_dropped_by_the_server_is_retried(app, client, labelled):
    """The read pool does not ping on checkout, so a dead connection must be retried."""
    from sqlalchemy import text

    from tests.tools import require_postgres

    require_postgres()
    path = f"/api/v1/verify/{labelled.label_a.token}"
    assert client.get(path).json["verdict"] == "genuine"
    with app.extensions["lpg_db"].engine.begin() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    assert killed >= 1
    assert client.get(path).json["verdict"] == "genuine"
