"""Statistics on a small known dataset: the same numbers live, after a refresh, and after late data."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest

from tests import factories as f
from tests.inspection import helpers as h
from tests.inspection.conftest import Api
from traceability.models import Cylinder, Facility, FieldCheck, Organisation
from traceability.models.enums import FacilityKind
from traceability.stats.days import day_start, local_today
from traceability.stats.refresh import refresh


@pytest.fixture
def api(client, auth) -> Api:
    return Api(client, auth)


@pytest.fixture
def known(db, world) -> SimpleNamespace:
    """Units: province ⊃ district ⊃ commune. Fills, scans, cases and checks on known local days."""
    k = SimpleNamespace(today=local_today())
    k.d1, k.d2 = k.today - dt.timedelta(days=3), k.today - dt.timedelta(days=2)
    with db.transaction() as s:
        k.commune = f.admin_unit(s, "Phường Tân Hiệp", "commune", world.district, code="26041")
        s.get(Organisation, world.org_a.id).admin_unit_id = world.district.id
        s.get(Organisation, world.retailer.id).admin_unit_id = k.commune.id
        s.get(Organisation, world.org_b.id).admin_unit_id = world.province.id
        s.get(Facility, world.station_a.id).admin_unit_id = world.district.id
        s.get(Facility, world.shop.id).admin_unit_id = k.commune.id
        second_shop = f.facility(s, world.retailer, FacilityKind.RETAIL_SHOP, "Cửa hàng 2")
        second_shop.admin_unit_id = k.commune.id
        brand, t12 = world.brand_a, world.type12
        for days, status in (
            (10, "in_service"),
            (60, "in_service"),
            (-5, "in_service"),
            (-5, "scrapped"),
            (100, "in_service"),
            (0, "in_service"),
        ):
            f.cylinder(
                s,
                world.org_a,
                brand,
                t12,
                status=status,
                inspection_due=k.today + dt.timedelta(days=days),
            )
        cyl_a, cyl_b = s.get(Cylinder, world.cyl_a.id), s.get(Cylinder, world.cyl_b.id)
        key_a = h.signing_key(s, world.station_a)
        key_b = h.signing_key(s, world.station_b)
        start1, start2 = day_start(k.d1), day_start(k.d2)
        # Local day d1 starts at 17:00 UTC the day before: the first fill is on d1 locally.
        _, k.label = h.fill_and_label(
            s, cyl_a, world.station_a, start1 + dt.timedelta(minutes=5), key_a
        )
        h.fill_and_label(s, cyl_a, world.station_a, start1 + dt.timedelta(hours=20), key_a)
        h.fill_and_label(s, cyl_a, world.station_a, start2 + dt.timedelta(hours=1), key_a)
        h.fill_and_label(s, cyl_b, world.station_b, start1 + dt.timedelta(hours=3), key_b)
        h.fill_and_label(s, cyl_a, world.station_a, start1 - dt.timedelta(minutes=5), key_a)
        h.fill_and_label(
            s, cyl_b, world.station_b, day_start(k.today) + dt.timedelta(minutes=1), key_b
        )
        h.scans(s, k.label, "genuine", start1 + dt.timedelta(hours=2), n=3)
        h.scans(s, k.label, "superseded", start2 + dt.timedelta(hours=2), n=2)
        h.scans(s, None, "invalid_signature", start2 + dt.timedelta(hours=3))
        h.scans(s, k.label, "genuine", day_start(k.today) + dt.timedelta(minutes=2))
        h.report(s, cyl_a, h.at(1), reason="underweight")
        h.report(s, cyl_a, h.at(2), reason="underweight", status="investigating")
        h.report(s, cyl_b, h.at(3), reason="seal_broken")
        h.report(s, cyl_b, h.at(4), reason="seal_broken", status="closed")
        h.anomaly(s, cyl_a, h.at(0.5), kind="out_of_order")
        h.anomaly(s, cyl_a, h.at(5), kind="out_of_order", status="closed")
        for violations, hour in ((["short_weight", "no_label"], 1), ([], 2)):
            s.add(
                FieldCheck(
                    entry_uuid=str(uuid.uuid4()),
                    cylinder_id=cyl_a.id,
                    inspector_id=world.inspector.id,
                    checked_at=start2 + dt.timedelta(hours=hour),
                    place="Chợ",
                    result="violations" if violations else "compliant",
                    violations=violations,
                )
            )
    return k


def _get(api, user, path, **query):
    response = api.as_(user).get("/stats" + path, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def test_counts_by_admin_unit_roll_up(api, world, known):
    body = _get(api, world.admin, "/admin-units")
    units = {unit["code"]: unit["counts"] for unit in body["units"]}
    assert units["26041"]["shops"] == 2 and units["26041"]["traders"] == 1
    assert units["731"]["stations"] == 1 and units["731"]["shops"] == 2
    assert units["731"]["traders"] == 2  # org_a here, the retailer in the commune below
    assert units["731"]["cylinders"] == {"total": 7, "in_service": 6, "scrapped": 1}
    assert units["75"]["traders"] == 3 and units["75"]["cylinders"]["total"] == 8
    assert body["unassigned"]["stations"] == 1  # station_b has no unit


def test_fills_per_day_same_live_and_summarised(api, db, world, known):
    query = {"start": known.d1.isoformat(), "end": known.today.isoformat()}
    live = _get(api, world.inspector, "/fills", **query)
    assert live["days"] == [(known.d1 + dt.timedelta(days=i)).isoformat() for i in range(4)]
    series = {row["station_id"]: row["daily"] for row in live["stations"]}
    assert series == {world.station_a.id: [2, 1, 0, 0], world.station_b.id: [1, 0, 0, 1]}
    assert live["daily_totals"] == [3, 1, 0, 1] and live["total"] == 5
    assert live["stations"][0]["station"] == "Trạm chiết Đại Phát"
    assert live["freshness"]["summarised_before"] is None
    refresh(db)
    summarised = _get(api, world.inspector, "/fills", **query)
    assert summarised["stations"] == live["stations"]
    assert summarised["freshness"]["summarised_before"] == known.today.isoformat()
    one = _get(api, world.admin, "/fills", station_id=world.station_b.id, **query)
    assert one["total"] == 2 and [s["station"] for s in one["stations"]] == ["Trạm chiết Biên Hòa"]


def test_late_fill_within_lookback_is_counted_after_the_next_refresh(api, db, world, known):
    refresh(db)
    with db.transaction() as s:
        h.fill_and_label(
            s,
            s.get(Cylinder, world.cyl_b.id),
            world.station_b,
            day_start(known.d2) + dt.timedelta(hours=4),
        )
    query = {"start": known.d2.isoformat(), "end": known.d2.isoformat()}
    assert _get(api, world.admin, "/fills", **query)["total"] == 1  # summary is stale
    refresh(db)
    assert _get(api, world.admin, "/fills", **query)["total"] == 2


def test_verifications_per_day_by_verdict(api, db, world, known):
    query = {"start": known.d1.isoformat(), "end": known.today.isoformat()}
    live = _get(api, world.admin, "/verifications", **query)
    days = {day["day"]: day["by_verdict"] for day in live["days"]}
    assert days == {
        known.d1.isoformat(): {"genuine": 3},
        known.d2.isoformat(): {"superseded": 2, "invalid_signature": 1},
        known.today.isoformat(): {"genuine": 1},
    }
    assert live["by_verdict"] == {"genuine": 4, "superseded": 2, "invalid_signature": 1}
    refresh(db)
    assert _get(api, world.admin, "/verifications", **query)["days"] == live["days"]


def test_inspections_due(api, world, known):
    body = _get(api, world.inspector, "/inspections-due")
    assert body["as_of"] == known.today.isoformat()
    assert (body["overdue"], body["due_within_30_days"], body["due_within_90_days"]) == (1, 2, 3)


def test_open_cases(api, world, known):
    body = _get(api, world.admin, "/cases")
    assert body["reports"]["by_status"] == {"open": 2, "investigating": 1}
    assert body["reports"]["by_reason"] == {"underweight": 2, "seal_broken": 1}
    assert body["anomalies"]["total"] == 1 and body["anomalies"]["by_reason"] == {"out_of_order": 1}


def test_field_check_statistics(api, world, known):
    body = _get(api, world.inspector, "/field-checks", start=known.d2.isoformat())
    assert (body["total"], body["compliant"], body["with_violations"]) == (2, 1, 1)
    assert body["by_violation"] == {"short_weight": 1, "no_label": 1}
    assert body["days"] == [{"day": known.d2.isoformat(), "compliant": 1, "violations": 1}]


def test_ranges_are_bounded_and_ordered(api, world, known):
    stats = api.as_(world.admin)
    long = {"start": "2025-01-01", "end": "2026-01-02"}
    assert stats.get("/stats/fills", query_string=long).status_code == 422
    reversed_ = {"start": "2026-02-01", "end": "2026-01-01"}
    response = stats.get("/stats/verifications", query_string=reversed_)
    assert response.status_code == 422 and response.json["code"] == "bad_date_range"
    assert stats.get("/stats/fills", query_string={"start": "yesterday"}).status_code == 422


def test_refresh_is_repeatable(db, known):
    first = refresh(db)
    again = refresh(db)
    assert [r.rows for r in first] == [4, 3]  # (day, station) and (day, verdict) groups
    assert again[0].rows == first[0].rows  # the lookback window re-summarised, not doubled


@pytest.mark.parametrize(
    "path",
    ["/admin-units", "/fills", "/verifications", "/inspections-due", "/cases", "/field-checks"],
)
def test_only_admins_and_inspectors_read_statistics(api, world, path):
    for user in (world.trader_a, world.station_user_a, world.shop_user):
        assert api.as_(user).get("/stats" + path).status_code == 403


def test_refresh_command_reports_what_it_summarised(app, known):
    result = app.test_cli_runner().invoke(args=["stats-refresh", "--lookback-days", "2"])
    assert result.exit_code == 0, result.output
    assert "daily_fill_counts: days" in result.output and "4 rows" in result.output
    again = app.test_cli_runner().invoke(args=["stats-refresh", "--since", "2026-13-01"])
    assert again.exit_code != 0
