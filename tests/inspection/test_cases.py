"""The work queue: merged listing, assign/close flows, audit, and the sealed contact."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.conftest import MASTER_KEY
from tests.inspection import helpers as h
from traceability.crypto import Keyring
from traceability.models import ConsumerReport
from traceability.verification.reports import CONTACT_PURPOSE, LEGACY_CONTACT_AAD, contact_aad

CONTACT = "Chị Lan, 0987 654 321"


@pytest.fixture
def queue(db, world) -> SimpleNamespace:
    q = SimpleNamespace()
    # Sealed as reports were before the AAD named the row: still readable.
    sealed = Keyring(MASTER_KEY).seal(CONTACT_PURPOSE, CONTACT.encode(), LEGACY_CONTACT_AAD)
    with db.transaction() as session:
        q.old_report = h.report(session, world.cyl_a, h.at(1), reason="underweight")
        q.anomaly = h.anomaly(session, world.cyl_a, h.at(2), kind="out_of_order")
        q.report = h.report(
            session, world.cyl_b, h.at(3), text="Bình có mùi gas", sealed_contact=sealed
        )
        q.closed = h.anomaly(session, None, h.at(4), kind="suspected_copy", status="closed")
    return q


def test_queue_merges_reports_and_anomalies_newest_first(api, world, queue):
    body = api.as_(world.inspector).get("/cases").json
    assert [(i["kind"], i["id"]) for i in body["items"]] == [
        ("anomaly", queue.closed.id),
        ("report", queue.report.id),
        ("anomaly", queue.anomaly.id),
        ("report", queue.old_report.id),
    ]
    assert body["total"] == 4
    report = body["items"][1]
    assert report["has_contact"] is True and report["text"] == "Bình có mùi gas"
    assert report["cylinder"] == {"serial": "BH-000001", "brand": "BHGAS"}
    assert CONTACT not in json.dumps(body, ensure_ascii=False)
    assert "sealed_contact" not in json.dumps(body)


def test_queue_filters_and_pages(api, world, queue):
    inspector = api.as_(world.inspector)
    open_reports = inspector.get("/cases", query_string={"kind": "report", "status": "open"})
    assert [i["id"] for i in open_reports.json["items"]] == [queue.report.id, queue.old_report.id]
    closed = inspector.get("/cases", query_string={"status": "closed"}).json
    assert closed["total"] == 1 and closed["items"][0]["reason"] == "suspected_copy"
    second = inspector.get("/cases", query_string={"per_page": 3, "page": 2}).json
    assert [i["id"] for i in second["items"]] == [queue.old_report.id] and second["total"] == 4
    assert inspector.get("/cases", query_string={"status": "lost"}).status_code == 422


def test_assign_then_close_with_audit(api, world, queue, audit_entries):
    inspector = api.as_(world.inspector)
    assigned = inspector.post(f"/cases/report/{queue.report.id}/assign")
    assert assigned.status_code == 200
    assert assigned.json["status"] == "investigating"
    assert assigned.json["handled_by"]["user_id"] == world.inspector.id
    refused = inspector.post(f"/cases/report/{queue.report.id}/close", json={"resolution": " "})
    assert refused.status_code == 422
    closed = inspector.post(
        f"/cases/report/{queue.report.id}/close", json={"resolution": "Đã kiểm tra, bình đạt"}
    )
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert closed.json["resolution"] == "Đã kiểm tra, bình đạt"
    again = inspector.post(f"/cases/report/{queue.report.id}/assign")
    assert again.status_code == 409 and again.json["code"] == "case_closed"
    actions = [e.action for e in audit_entries("consumer_report", queue.report.id)]
    assert actions == ["case.assign", "case.close"]
    close_entry = audit_entries("consumer_report", queue.report.id)[1]
    assert close_entry.changes["status"] == {"old": "investigating", "new": "closed"}
    assert close_entry.actor_user_id == world.inspector.id


def test_an_admin_may_take_over_an_anomaly(api, world, queue, audit_entries):
    api.as_(world.inspector).post(f"/cases/anomaly/{queue.anomaly.id}/assign")
    taken = api.as_(world.admin).post(f"/cases/anomaly/{queue.anomaly.id}/assign")
    assert taken.status_code == 200 and taken.json["handled_by"]["user_id"] == world.admin.id
    entries = audit_entries("anomaly", queue.anomaly.id)
    assert entries[-1].changes["handled_by_id"] == {
        "old": world.inspector.id,
        "new": world.admin.id,
    }


def test_unknown_cases_and_kinds_are_404(api, world, queue):
    inspector = api.as_(world.inspector)
    assert inspector.post("/cases/report/999999/assign").status_code == 404
    assert inspector.post(f"/cases/ticket/{queue.report.id}/assign").status_code == 404
    assert (
        inspector.post(
            f"/cases/anomaly/{queue.report.id + 100}/close", json={"resolution": "x"}
        ).status_code
        == 404
    )


def test_traders_stations_and_shops_have_no_queue(api, world, queue):
    for user in (world.trader_a, world.station_user_a, world.shop_user):
        assert api.as_(user).get("/cases").status_code == 403
        assert api.as_(user).post(f"/cases/report/{queue.report.id}/assign").status_code == 403
        contact = api.as_(user).get(f"/cases/report/{queue.report.id}/contact")
        assert contact.status_code == 403


def test_contact_is_decrypted_only_on_request_and_audited(api, db, world, queue, audit_entries):
    with db.read() as session:
        raw = session.scalar(
            select(ConsumerReport.sealed_contact).where(ConsumerReport.id == queue.report.id)
        )
    assert CONTACT.encode() not in raw
    response = api.as_(world.inspector).get(f"/cases/report/{queue.report.id}/contact")
    assert response.status_code == 200
    assert response.json == {"report_id": queue.report.id, "contact": {"contact": CONTACT}}
    entries = audit_entries("consumer_report", queue.report.id)
    assert [e.action for e in entries] == ["case.contact_read"]
    assert CONTACT not in json.dumps(entries[0].changes, ensure_ascii=False)
    assert entries[0].actor_user_id == world.inspector.id
    none_left = api.as_(world.admin).get(f"/cases/report/{queue.old_report.id}/contact")
    assert none_left.json["contact"] is None


def test_contact_sealed_for_another_row_purpose_is_refused(api, db, world, queue):
    with db.transaction() as session:
        report = session.get(ConsumerReport, queue.old_report.id)
        report.sealed_contact = Keyring(MASTER_KEY).seal(CONTACT_PURPOSE, b"x", b"other-aad")
    response = api.as_(world.inspector).get(f"/cases/report/{queue.old_report.id}/contact")
    assert response.status_code == 404 and response.json["code"] == "contact_unreadable"


def test_a_contact_copied_onto_another_report_does_not_open(api, db, world, queue):
    keyring = Keyring(MASTER_KEY)
    with db.transaction() as session:
        bound = keyring.seal(CONTACT_PURPOSE, CONTACT.encode(), contact_aad(queue.report.id))
        session.get(ConsumerReport, queue.report.id).sealed_contact = bound
        session.get(ConsumerReport, queue.old_report.id).sealed_contact = bound
    own = api.as_(world.inspector).get(f"/cases/report/{queue.report.id}/contact")
    assert own.status_code == 200 and own.json["contact"] == {"contact": CONTACT}
    moved = api.as_(world.inspector).get(f"/cases/report/{queue.old_report.id}/contact")
    assert moved.status_code == 404 and moved.json["code"] == "contact_unreadable"
