"""Role × endpoint × another organisation's object: no unauthorised 2xx, anywhere.

Every route with an id in its path is listed in TARGETS; a new such route without an entry
fails `test_every_object_route_is_in_the_matrix`, so the matrix cannot silently fall behind.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from types import SimpleNamespace

import pytest

from label_service import keys
from tests import factories as f
from traceability.auth import create_device_key
from traceability.db import utcnow
from traceability.models import Label, LedgerEntry
from traceability.models.enums import Role
from traceability.permissions import Principal

# path template (Flask rule) -> attribute of the `foreign` namespace that fills its id
TARGETS: dict[str, str] = {
    "/api/v1/organisations/<int:org_id>": "org",
    "/api/v1/organisations/<int:org_id>/licences": "org",
    "/api/v1/licences/<int:licence_id>": "licence",
    "/api/v1/facilities/<int:facility_id>": "station",
    "/api/v1/cylinders/<int:cylinder_id>": "cylinder",
    "/api/v1/cylinders/<int:cylinder_id>/history": "cylinder",
    "/api/v1/users/<int:user_id>": "user",
    "/api/v1/users/<int:user_id>/password": "user",
    "/api/v1/device-keys/<int:key_id>/revoke": "device_key",
    "/api/v1/filling-contracts/<int:contract_id>/terminate": "contract",
    "/api/v1/labels/<string:label_id>": "label",
    "/api/v1/labels/<string:label_id>.<any(png, svg, pdf, zpl):fmt>": "label",
    "/api/v1/events/<int:entry_id>": "entry",
    "/api/v1/events/<int:entry_id>/personal-data": "entry",
    "/api/v1/signing-keys/<int:key_pk>": "signing_key",
    "/api/v1/signing-keys/<int:key_pk>/retire": "signing_key",
    "/api/v1/signing-keys/<int:key_pk>/revoke": "signing_key",
    "/api/v1/admin-units/<int:unit_id>": "unit",
    "/api/v1/field-checks/<int:check_id>": "missing",
    "/api/v1/field-checks/<int:check_id>/photo": "missing",
    "/api/v1/cases/<kind>/<int:case_id>/assign": "missing",
    "/api/v1/cases/<kind>/<int:case_id>/close": "missing",
    "/api/v1/cases/report/<int:report_id>/contact": "missing",
}
# Routes that are public by design or address no organisation's object.
NOT_ORG_SCOPED = re.compile(r"^/(v|V)/|^/assets/|^/static/|^/api/v1/verify/|^/api/v1/ledgers/")
# GET of shared reference data (administrative units) is open to every signed-in role.
SHARED_READS = {("GET", "/api/v1/admin-units/<int:unit_id>")}


def _fill_path(rule: str, value: str) -> str:
    path = re.sub(r"<any\([^)]*\):fmt>", "png", rule)
    path = path.replace("<kind>", "report")
    return re.sub(r"<[^>]+>", value, path, count=1)


@pytest.fixture
def foreign(db, app, world, client, auth) -> SimpleNamespace:
    """Objects of org B (and one of the department) that org A's users must never reach."""
    ns = SimpleNamespace(
        org=world.org_b.id,
        station=world.station_b.id,
        cylinder=world.cyl_b.id,
        user=world.trader_b.id,
        unit=world.district.id,
        missing=999999,
    )
    admin = Principal(role=Role.ADMIN, organisation_id=world.department.id, name="matrix")
    key = keys.create_key(
        db,
        app.extensions["lpg_keyring"],
        admin,
        world.station_b.id,
        valid_from=utcnow() - dt.timedelta(days=1),
    )
    ns.signing_key = key.id
    with db.transaction() as s:
        ns.licence = f.licence(s, world.org_b).id
        device, _secret = create_device_key(
            s,
            name="cân B",
            role=Role.STATION,
            organisation_id=world.org_b.id,
            facility_id=world.station_b.id,
            created_by=None,
        )
        ns.device_key = device.id
        third = f.organisation(s, "Công ty Ba Gas")
        station_c = f.facility(s, third)
        ns.contract = f.contract(s, world.org_b, station_c).id
    fill = client.post(
        "/api/v1/fills",
        headers=auth.headers(world.station_user_b),
        json={
            "client_uuid": str(uuid.uuid4()),
            "cylinder_id": world.cyl_b.id,
            "net_kg": "12.00",
            "filled_at": (utcnow() - dt.timedelta(hours=1)).isoformat(),
            "operator": "B-1",
        },
    )
    assert fill.status_code == 201, fill.json
    with db.read() as s:
        label = s.query(Label).filter_by(cylinder_id=world.cyl_b.id).one()
        ns.label = label.label_uid.hex()
        ns.entry = s.query(LedgerEntry).filter_by(cylinder_id=world.cyl_b.id).first().id
    return ns


def _object_routes(app):
    for rule in app.url_map.iter_rules():
        if "<" in rule.rule and not NOT_ORG_SCOPED.search(rule.rule):
            yield rule


def test_every_object_route_is_in_the_matrix(app):
    missing = sorted(r.rule for r in _object_routes(app) if r.rule not in TARGETS)
    assert missing == [], "add these routes to TARGETS in tests/test_access_matrix.py"


@pytest.mark.parametrize("role", ["trader_a", "station_user_a", "shop_user"])
def test_other_organisations_objects_are_out_of_reach(app, client, auth, world, foreign, role):
    headers = auth.headers(getattr(world, role))
    leaks = []
    for rule in _object_routes(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) in SHARED_READS:
                continue
            path = _fill_path(rule.rule, str(getattr(foreign, TARGETS[rule.rule])))
            response = client.open(
                path,
                method=method,
                headers={**headers, "If-Match": "*"},
                json={} if method != "GET" else None,
            )
            if response.status_code < 300:
                leaks.append(f"{method} {path} -> {response.status_code}")
    assert leaks == []


def test_inspectors_change_nothing_in_the_registry(app, client, auth, world, foreign):
    headers = {**auth.headers(world.inspector), "If-Match": "*"}
    registry_writes = [
        ("PATCH", f"/api/v1/organisations/{foreign.org}", {"name": "X"}),
        ("PATCH", f"/api/v1/facilities/{foreign.station}", {"name": "X"}),
        ("PATCH", f"/api/v1/cylinders/{foreign.cylinder}", {"manufacturer": "X"}),
        ("PATCH", f"/api/v1/licences/{foreign.licence}", {"status": "revoked", "reason": "x"}),
        ("PATCH", f"/api/v1/users/{foreign.user}", {"active": False}),
        ("POST", f"/api/v1/filling-contracts/{foreign.contract}/terminate", {}),
        ("POST", f"/api/v1/device-keys/{foreign.device_key}/revoke", {}),
        ("POST", f"/api/v1/signing-keys/{foreign.signing_key}/retire", {}),
        ("POST", "/api/v1/organisations", {"name": "Công ty mới"}),
        ("POST", "/api/v1/cylinders", {"serial": "X-1"}),
    ]
    for method, path, body in registry_writes:
        response = client.open(path, method=method, headers=headers, json=body)
        assert response.status_code in (403, 404), f"{method} {path}: {response.status_code}"
