"""Every registry write endpoint meets wrong types, huge and hostile values: never a 500."""

from __future__ import annotations

import json

import pytest

from traceability.registry import province_today

HOSTILE = [
    None,
    0,
    -1,
    2**64,
    1e308,
    True,
    "",
    "x" * 20_000,
    "gas\x00null",
    "\ud800",
    "<script>alert(1)</script>",
    "' OR 1=1; DROP TABLE organisations; --",
    [],
    {"$gt": ""},
    "2026-02-30",
    "9999-99-99",
    "ß",
]
ALLOWED = {200, 201, 400, 403, 404, 409, 412, 415, 422, 428}


def endpoints(world):
    today = province_today().isoformat()
    return [
        (
            "post",
            "/organisations",
            {
                "name": "Gas X",
                "trade_roles": ["retailer"],
                "tax_code": "3609999999",
                "address": "Biên Hòa",
                "admin_unit_id": world.district.id,
            },
        ),
        ("patch", f"/organisations/{world.org_b.id}", {"name": "Gas Y", "active": True}),
        (
            "post",
            f"/organisations/{world.org_a.id}/licences",
            {
                "number": "1/GCN",
                "kind": "k",
                "issuer": "Sở",
                "issued_on": today,
                "expires_on": today,
                "facility_id": world.station_a.id,
            },
        ),
        ("patch", "/licences/1", {"status": "suspended", "reason": "r", "expires_on": today}),
        (
            "post",
            "/facilities",
            {
                "organisation_id": world.org_a.id,
                "kind": "depot",
                "code": "K1",
                "name": "Kho",
                "address": "a",
                "admin_unit_id": world.district.id,
            },
        ),
        (
            "patch",
            f"/facilities/{world.shop.id}",
            {"name": "Cửa hàng", "code": "S1", "active": True},
        ),
        (
            "post",
            "/admin-units",
            {
                "code": "X1",
                "name": "Xã",
                "level": "commune",
                "parent_id": world.district.id,
                "valid_from": today,
            },
        ),
        ("patch", f"/admin-units/{world.district.id}", {"name": "Biên Hòa", "level": "city"}),
        (
            "post",
            "/cylinder-types",
            {
                "code": "T6",
                "name": "Bình 6",
                "nominal_kg": 6,
                "water_capacity_l": 14,
                "standard": "TCVN",
            },
        ),
        ("post", "/brands", {"organisation_id": world.org_a.id, "code": "BR", "name": "B"}),
        (
            "post",
            "/filling-contracts",
            {
                "owner_id": world.org_a.id,
                "station_id": world.station_b.id,
                "valid_from": today,
                "valid_to": today,
                "reference": "HĐ",
            },
        ),
        ("post", "/filling-contracts/1/terminate", {"reason": "r"}),
    ]


@pytest.mark.parametrize("index", range(12))
def test_hostile_values_in_every_field_never_500(api, world, index):
    method, path, body = endpoints(world)[index]
    admin = api.as_(world.admin)
    headers = {"If-Match": '"v1"'}
    statuses = set()
    for field in body:
        for value in HOSTILE:
            response = getattr(admin, method)(path, json=body | {field: value}, headers=headers)
            statuses.add(response.status_code)
            assert response.status_code in ALLOWED, (field, value, response.json)
    # whole-body abuse: not an object, not JSON, wrong content type, unknown field
    for raw, content_type in (
        ("[]", "application/json"),
        ('"text"', "application/json"),
        ("{bad json", "application/json"),
        (b"\xff\xfe", "application/json"),
        (json.dumps(body), "text/plain"),
        (json.dumps(body | {"is_authority": True}), "application/json"),
    ):
        response = getattr(admin, method)(
            path, data=raw, headers={**headers, "Content-Type": content_type}
        )
        assert response.status_code in ALLOWED - {200, 201}, (raw, response.json)
    assert 422 in statuses


@pytest.mark.parametrize(
    "path",
    [
        "/organisations?q=%00",
        "/organisations?admin_unit_id=99999999999999999999999",
        "/organisations?page=0",
        "/organisations?per_page=-1",
        "/facilities?organisation_id=abc",
        "/admin-units?parent_id=1e5",
        "/filling-contracts?in_force_on=yesterday",
        "/search?q=%ED%A0%80",  # invalid UTF-8: decoded with replacement characters
        f"/organisations/{2**63}",
        f"/facilities/{10**30}",
        f"/admin-units/{10**30}",
    ],
)
def test_hostile_query_strings_and_ids(api, world, path):
    response = api.as_(world.inspector).get(path)
    assert response.status_code in {200, 400, 404, 422}, response.json
