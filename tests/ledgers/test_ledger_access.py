"""Who may read which ledger, and customer data: masked without permission, reads audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.ledgers.conftest import CUSTOMER, NOV, PERIOD
from traceability.ledger.views import ledger_page
from traceability.ledger.views_common import LedgerFilters
from traceability.models import AuditEntry
from traceability.models.enums import Role
from traceability.permissions import Principal


def _get(client, auth, user, number, **params):
    return client.get(
        f"/api/v1/ledgers/{number}", query_string={**PERIOD, **params}, headers=auth.headers(user)
    )


def _audits(db, action):
    with db.read() as s:
        records = s.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return [
            {"user": r.actor_user_id, "org": r.organisation_id, "changes": r.changes}
            for r in records
        ]


@pytest.mark.parametrize(
    ("user", "number", "param", "target"),
    [
        ("trader_b", 1, "organisation_id", "org_a"),
        ("trader_b", 2, "facility_id", "station_a"),
        ("station_user_b", 2, "organisation_id", "org_a"),
        ("shop_user", 1, "organisation_id", "org_a"),
        ("trader_a", 3, "organisation_id", "retailer"),
        ("trader_a", 3, "facility_id", "shop"),
    ],
)
def test_another_organisations_ledger_is_not_found(
    client, auth, scenario, user, number, param, target
):
    w = scenario
    response = _get(client, auth, getattr(w, user), number, **{param: getattr(w, target).id})
    assert response.status_code == 404
    assert "Đại Phát" not in response.get_data(as_text=True)


def test_own_ledgers_hold_no_foreign_rows(client, auth, scenario):
    w = scenario
    ledger1 = _get(client, auth, w.trader_b, 1).json["items"]
    assert [r["entry_id"] for r in ledger1] == [w.sale_b.id]
    ledger2 = _get(client, auth, w.station_user_b, 2).json["items"]
    assert [r["fill_id"] for r in ledger2] == [w.fill_b.id]
    ledger3 = _get(client, auth, w.shop_user, 3).json["items"]
    assert {r["entry_id"] for r in ledger3} == {w.consumer1.id, w.consumer2.id}


def test_authorities_read_any_ledger_but_must_name_whose(client, auth, scenario):
    w = scenario
    body = _get(client, auth, w.inspector, 3, facility_id=w.other_shop.id).json
    assert [r["customer_name"] for r in body["items"]] == ["Lê Thị Mai"]
    response = _get(client, auth, w.admin, 1)
    assert response.status_code == 422
    assert response.json["code"] == "ledger_scope_required"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, 422, "ledger_period_invalid"),
        ({"from": "2025-01-01", "to": "2026-11-30"}, 422, "ledger_period_invalid"),
        ({"per_page": 501}, 422, "validation_failed"),
        ({"page": 0}, 422, "validation_failed"),
        ({"from": "yesterday"}, 422, "validation_failed"),
        ({"sort": "id"}, 422, "validation_failed"),
        ({"organisation_id": 10**30}, 422, "validation_failed"),
        ({"facility_id": 2**63}, 422, "validation_failed"),
    ],
)
def test_bad_filters_are_refused_with_a_reason(client, auth, scenario, params, status, code):
    response = _get(client, auth, scenario.trader_a, 1, **params)
    assert response.status_code == status
    assert response.json["code"] == code


def test_wrong_facility_kind_and_unknown_ledger(client, auth, scenario):
    w = scenario
    response = _get(client, auth, w.admin, 3, facility_id=w.station_a.id)
    assert response.status_code == 422
    assert response.json["code"] == "ledger_wrong_facility_kind"
    assert _get(client, auth, w.admin, 4, organisation_id=w.org_a.id).status_code == 404
    assert _get(client, auth, w.admin, 1, facility_id=999999).status_code == 404
    unauthenticated = client.get("/api/v1/ledgers/1", query_string=PERIOD)
    assert unauthenticated.status_code == 401


def test_customer_data_is_masked_without_permission_and_nothing_is_audited(
    client, auth, db, scenario
):
    w = scenario
    body = _get(client, auth, w.masked_user, 3).json
    assert body["personal_data_visible"] is False
    assert {r["customer_name"] for r in body["items"]} == {"***"}
    assert {r["customer_address"] for r in body["items"]} == {"***"}
    assert CUSTOMER["customer_name"] not in json.dumps(body, ensure_ascii=False)
    assert body["items"][0]["supplier_name"] == "Công ty CP Dầu khí Đại Phát"
    assert _audits(db, "ledger.personal_data.read") == []


def test_each_read_of_customer_data_is_audited_without_the_data(client, auth, db, scenario):
    w = scenario
    _get(client, auth, w.shop_user, 3)
    _get(client, auth, w.inspector, 3, organisation_id=w.retailer.id)
    records = _audits(db, "ledger.personal_data.read")
    assert [r["user"] for r in records] == [w.shop_user.id, w.inspector.id]
    assert records[0]["org"] == w.retailer.id
    assert records[0]["changes"]["entry_ids"] == [w.consumer1.id, w.consumer2.id]
    assert records[0]["changes"]["records_opened"] == 2
    assert CUSTOMER["customer_name"] not in json.dumps(records, ensure_ascii=False)


def test_service_masks_for_a_principal_without_personal_data_permission(db, keyring, scenario):
    w = scenario
    station = Principal(role=Role.STATION, organisation_id=w.retailer.id, user_id=w.masked_user.id)
    filters = LedgerFilters(w.retailer.id, None, NOV, NOV.replace(day=30))
    page = ledger_page(db, station, keyring, 3, filters)
    assert [row["customer_name"] for row in page.items] == ["***", "***"]
    assert page.personal_data_visible is False
