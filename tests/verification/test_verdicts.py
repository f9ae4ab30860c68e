"""Every verdict of the domain function, its precedence, and the alert for unregistered labels."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from tests import factories as f
from tests.verification.labelkit import minute, now
from traceability.db import Database
from traceability.models import Anomaly, Scan
from traceability.models.enums import CylinderStatus, FacilityKind, KeyStatus
from traceability.verification import (
    PRECEDENCE,
    ScanContext,
    Verdict,
    VerifySettings,
    evaluate_manual,
    verify_token,
)

SETTINGS = VerifySettings(copy_window_minutes=60, copy_distinct_devices=3)


def check(db: Database, token: str, context: ScanContext | None = None, at=None):
    with db.transaction() as session:
        return verify_token(
            session, token, now=at or now(), settings=SETTINGS, context=context or ScanContext()
        )


def codes(result) -> list[str]:
    return [reason["code"] for reason in result.public["reasons"]]


def test_precedence_is_documented_order():
    assert [v.value for v in PRECEDENCE] == [
        "not_genuine",
        "key_revoked",
        "cylinder_flagged",
        "superseded",
        "inspection_expired",
        "suspected_copy",
        "genuine",
    ]


def test_current_label_is_genuine_with_all_public_facts(db, labelled):
    result = check(db, labelled.label_a.token)
    assert result.verdict == Verdict.GENUINE and result.reasons == []
    assert result.label_id == labelled.label_a.label_id
    assert result.cylinder_id == labelled.cyl_a.id
    assert result.claims is not None and result.claims.serial == "DP-000001"
    facts = result.public
    assert facts["cylinder"]["serial"] == "DP-000001"
    assert facts["cylinder"]["owner"] == "Công ty CP Dầu khí Đại Phát"
    assert facts["cylinder"]["brand_code"] == "DPGAS"
    assert facts["cylinder"]["tare_kg"] == 14.2
    assert facts["cylinder"]["inspection_warning"] is False
    assert facts["fill"]["station_name"] == "Trạm chiết Đại Phát"
    assert facts["fill"]["station_address"]
    assert facts["fill"]["net_kg"] == 12.0
    assert facts["checks"]["expected_gross_kg"] == pytest.approx(26.2)
    assert facts["label"]["current"] is True
    assert facts["latest_fill"] is None


def test_url_form_and_lower_case_are_accepted(db, labelled):
    url = "https://lpg.test/V/" + labelled.label_a.token
    assert check(db, url).verdict == Verdict.GENUINE
    assert check(db, labelled.label_a.token.lower()).verdict == Verdict.GENUINE


def test_refilled_cylinder_makes_old_label_superseded_with_latest_fill(db, labelled, kit):
    newer = kit.issue(labelled.cyl_a, labelled.station_b, labelled.key_a, net_kg="11.50")
    old = check(db, labelled.label_a.token)
    assert old.verdict == Verdict.SUPERSEDED and old.reasons == ["superseded"]
    assert old.public["latest_fill"]["station_name"] == "Trạm chiết Biên Hòa"
    assert old.public["latest_fill"]["net_kg"] == 11.5
    assert old.public["label"]["current"] is False
    assert check(db, newer.token).verdict == Verdict.GENUINE


def test_expired_inspection(db, labelled, kit):
    kit.set_cylinder(labelled.cyl_a, inspection_due=dt.date.today() - dt.timedelta(days=2))
    result = check(db, labelled.label_a.token)
    assert result.verdict == Verdict.INSPECTION_EXPIRED
    assert result.public["cylinder"]["inspection_days_left"] < 0


def test_inspection_within_warning_days_stays_genuine_with_warning(db, labelled, kit):
    kit.set_cylinder(labelled.cyl_a, inspection_due=dt.date.today() + dt.timedelta(days=10))
    result = check(db, labelled.label_a.token)
    assert result.verdict == Verdict.GENUINE
    assert result.reasons == ["inspection_due_soon"]
    assert result.public["cylinder"]["inspection_warning"] is True


@pytest.mark.parametrize("status", sorted(set(CylinderStatus) - {CylinderStatus.IN_SERVICE}))
def test_flagged_cylinder(db, labelled, kit, status):
    kit.set_cylinder(labelled.cyl_a, status=status)
    result = check(db, labelled.label_a.token)
    assert result.verdict == Verdict.CYLINDER_FLAGGED
    assert result.reasons == [f"cylinder_{status}"]
    assert result.public["cylinder"]["status"] == status


def test_flag_outranks_superseded_and_expiry(db, labelled, kit):
    kit.issue(labelled.cyl_a, labelled.station_a, labelled.key_a)
    kit.set_cylinder(
        labelled.cyl_a, status="stolen", inspection_due=dt.date.today() - dt.timedelta(days=1)
    )
    result = check(db, labelled.label_a.token)
    assert result.verdict == Verdict.CYLINDER_FLAGGED
    assert set(result.reasons) == {"cylinder_stolen", "superseded", "inspection_expired"}


def test_revoked_key_rejects_labels_signed_after_compromise(db, world, kit):
    compromised = minute(now() - dt.timedelta(days=1))
    key = kit.key(world.station_a)
    before = kit.issue(
        world.cyl_a, world.station_a, key, filled_at=compromised - dt.timedelta(hours=2)
    )
    after = kit.issue(
        world.cyl_b, world.station_a, key, filled_at=compromised + dt.timedelta(hours=1)
    )
    kit.set_key(key, status=KeyStatus.REVOKED, compromised_at=compromised, revoked_at=now())
    late = check(db, after.token)
    assert late.verdict == Verdict.KEY_REVOKED
    assert late.public["cylinder"] is None, "nothing a revoked key vouches for is shown"
    early = check(db, before.token)
    assert early.verdict == Verdict.GENUINE
    assert early.reasons == ["key_revoked_later"]


def test_revocation_takes_effect_on_the_next_request(db, labelled, kit):
    assert check(db, labelled.label_a.token).verdict == Verdict.GENUINE
    kit.set_key(labelled.key_a, status=KeyStatus.REVOKED, compromised_at=None)
    assert check(db, labelled.label_a.token).verdict == Verdict.KEY_REVOKED


def test_retired_key_keeps_old_labels_valid(db, labelled, kit):
    kit.set_key(labelled.key_a, status=KeyStatus.RETIRED, retired_at=now())
    assert check(db, labelled.label_a.token).verdict == Verdict.GENUINE


def test_signed_after_retirement_is_not_genuine(db, world, kit):
    key = kit.key(
        world.station_a, status=KeyStatus.RETIRED, retired_at=now() - dt.timedelta(days=2)
    )
    issued = kit.issue(world.cyl_a, world.station_a, key, filled_at=now() - dt.timedelta(hours=1))
    result = check(db, issued.token)
    assert result.verdict == Verdict.NOT_GENUINE
    assert result.reasons == ["signed_outside_key_validity"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [("", "empty"), ("NOT A TOKEN", "malformed"), ("A" * 500, "too_long"), ("AAAA", "malformed")],
)
def test_garbage_is_not_genuine(db, world, token, reason):
    result = check(db, token)
    assert result.verdict == Verdict.NOT_GENUINE and result.reasons == [reason]
    assert result.label_id is None and result.public["cylinder"] is None


def test_unknown_key_is_not_genuine(db, world, kit):
    stray = kit.key(world.station_a)
    issued = kit.issue(world.cyl_a, world.station_a, stray, register=False)
    kit.set_key(stray, key_id=b"\x00" * 8, kid="gone")
    result = check(db, issued.token)
    assert result.reasons == ["unknown_key"]


def test_signed_but_unregistered_label_raises_one_alert(db, labelled, kit):
    forged = kit.issue(labelled.cyl_a, labelled.station_a, labelled.key_a, register=False)
    result = check(db, forged.token)
    assert result.verdict == Verdict.NOT_GENUINE
    assert result.reasons == ["not_in_registry"]
    assert result.public["cylinder"] is None
    with db.read() as session:
        anomalies = session.execute(select(Anomaly.kind, Anomaly.cylinder_id, Anomaly.detail)).all()
    assert len(anomalies) == 1
    assert anomalies[0].kind == "unregistered_label"
    assert anomalies[0].cylinder_id == labelled.cyl_a.id
    assert anomalies[0].detail["label_uid"] == forged.label_uid.hex()


def test_a_forged_label_scanned_again_counts_on_its_open_case(db, labelled, kit):
    from sqlalchemy import update

    forged = kit.issue(labelled.cyl_a, labelled.station_a, labelled.key_a, register=False)
    other = kit.issue(labelled.cyl_b, labelled.station_a, labelled.key_a, register=False)
    for token in (forged.token, forged.token, other.token, forged.token):
        assert check(db, token).reasons == ["not_in_registry"]
    with db.read() as session:
        cases = session.execute(
            select(
                Anomaly.detail, Anomaly.occurrences, Anomaly.created_at, Anomaly.last_seen_at
            ).order_by(Anomaly.id)
        ).all()
    assert [(c.detail["label_uid"], c.occurrences) for c in cases] == [
        (forged.label_uid.hex(), 3),
        (other.label_uid.hex(), 1),
    ]
    assert cases[0].last_seen_at >= cases[0].created_at
    with db.transaction() as session:
        session.execute(update(Anomaly).values(status="closed"))
    check(db, forged.token)
    with db.read() as session:
        open_cases = session.scalars(select(Anomaly.occurrences).where(Anomaly.status == "open"))
        assert list(open_cases) == [1], "a closed case is not reopened: a new one starts"


def test_reused_label_id_with_other_claims_is_not_genuine(db, labelled, kit):
    """A stolen key re-signing a registered label id with different fields is caught."""
    from dataclasses import replace

    from traceability.labels.codec import issue_token, parse_token

    claims = parse_token(labelled.label_a.token).claims
    forged = issue_token(replace(claims, net_kg=claims.net_kg - 3), labelled.key_a.private.sign)
    result = check(db, forged)
    assert result.verdict == Verdict.NOT_GENUINE and result.reasons == ["not_in_registry"]


def test_tampered_signature_on_registered_label(db, labelled):
    token = labelled.label_a.token
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert check(db, flipped).verdict == Verdict.NOT_GENUINE


def _scans(db: Database, label_id: int, hashes: list[str], at: dt.datetime) -> None:
    rows = [
        {
            "label_id": label_id,
            "scanned_at": at,
            "verdict": "genuine",
            "client_hash": h,
            "device_class": "mobile",
        }
        for h in hashes
    ]
    with db.transaction() as session:
        session.execute(insert(Scan), rows)


def test_many_devices_within_window_is_suspected_copy(db, labelled):
    label = labelled.label_a
    _scans(db, label.label_id, ["d1", "d1", "d2"], now() - dt.timedelta(minutes=5))
    assert check(db, label.token, ScanContext(client_hash="d1")).verdict == Verdict.GENUINE
    result = check(db, label.token, ScanContext(client_hash="d3"))
    assert result.verdict == Verdict.SUSPECTED_COPY and result.reasons == ["many_devices"]
    assert result.public["cylinder"]["serial"] == "DP-000001"


def test_scans_outside_window_do_not_count(db, labelled):
    label = labelled.label_a
    _scans(db, label.label_id, ["d1", "d2", "d4"], now() - dt.timedelta(minutes=61))
    assert check(db, label.token, ScanContext(client_hash="d3")).verdict == Verdict.GENUINE


def test_shop_scan_while_another_shop_holds_the_cylinder(db, labelled, kit):
    with db.transaction() as session:
        other_shop = f.facility(session, labelled.retailer, FacilityKind.RETAIL_SHOP, "Shop B")
    kit.set_cylinder(
        labelled.cyl_a, holder_facility_id=other_shop.id, holder_org_id=labelled.retailer.id
    )
    here = ScanContext(client_hash="s", facility_id=labelled.shop.id)
    result = check(db, labelled.label_a.token, here)
    assert result.verdict == Verdict.SUSPECTED_COPY and result.reasons == ["holder_elsewhere"]
    assert result.public["custody"]["holder"] == "Shop B"
    there = ScanContext(client_hash="s", facility_id=other_shop.id)
    assert check(db, labelled.label_a.token, there).verdict == Verdict.GENUINE


def test_cylinder_with_the_trader_is_not_elsewhere_for_a_receiving_shop(db, labelled, kit):
    kit.set_cylinder(labelled.cyl_a, holder_facility_id=labelled.station_a.id)
    here = ScanContext(client_hash="s", facility_id=labelled.shop.id)
    assert check(db, labelled.label_a.token, here).verdict == Verdict.GENUINE


def test_manual_code_with_matching_serial(db, labelled):
    with db.read() as session:
        result = evaluate_manual(
            session,
            labelled.label_a.manual_code.lower(),
            "dp 000001",
            now=now(),
            settings=SETTINGS,
            context=ScanContext(),
        )
        wrong = evaluate_manual(
            session,
            labelled.label_a.manual_code,
            "DP-000002",
            now=now(),
            settings=SETTINGS,
            context=ScanContext(),
        )
        bad = evaluate_manual(
            session,
            "0000-0000-0000-00",
            "DP-000001",
            now=now(),
            settings=SETTINGS,
            context=ScanContext(),
        )
    assert result.verdict == Verdict.GENUINE and result.label_id == labelled.label_a.label_id
    assert wrong.verdict == Verdict.NOT_GENUINE and wrong.public["cylinder"] is None
    assert wrong.reasons == ["manual_code_not_found"]
    assert bad.verdict == Verdict.NOT_GENUINE


def test_verify_path_is_one_query(db, labelled, monkeypatch):
    from sqlalchemy import event

    statements: list[str] = []
    engine = db.read_engine

    def count(*args):
        statements.append(args[2])

    if db.is_postgres:
        # The label query runs on the driver directly: count at the driver.
        import psycopg

        driver_execute = psycopg.Cursor.execute

        def counting(cursor, query, *args, **kwargs):
            if str(query).strip() != ";":  # the pool's liveness ping, not a query
                statements.append(str(query))
            return driver_execute(cursor, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    else:
        event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as connection:
            from traceability.verification import evaluate_token

            evaluate_token(
                connection,
                labelled.label_a.token,
                now=now(),
                settings=SETTINGS,
                context=ScanContext(client_hash="x"),
            )
    finally:
        if not db.is_postgres:
            event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, "label, key, cylinder, fills and recent scans in one round trip"
    assert [s for s in statements if s not in selects and s != "BEGIN"] == []
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0
