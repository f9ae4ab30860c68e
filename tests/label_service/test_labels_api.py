"""Label records and printable files: access rules, formats, and a QR that verifies."""

from __future__ import annotations

import io

import pytest

from tests import factories as f
from tests.label_service.conftest import fill_body
from tests.tools import require_zbar
from traceability.labels.codec import (
    b64url_decode,
    key_id_from_thumbprint,
    parse_manual_code,
    parse_token,
    signature_holds,
    token_from_text,
)

pytestmark = pytest.mark.usefixtures("station_keys")


@pytest.fixture
def issued(client, auth, world):
    response = client.post(
        "/api/v1/fills", json=fill_body(world.cyl_a), headers=auth.headers(world.station_user_a)
    )
    assert response.status_code == 201
    return response.json["label"]


def test_label_record(client, auth, world, issued):
    record = client.get(
        f"/api/v1/labels/{issued['label_id']}", headers=auth.headers(world.station_user_a)
    )
    assert record.status_code == 200
    body = record.json
    assert body["fields"]["serial"] == "DP-000001" and body["fields"]["brand_code"] == "DPGAS"
    assert body["fields"]["tare_kg"] == "14.20" and body["station"]["id"] == world.station_a.id
    assert body["signing_key"]["status"] == "active"
    assert parse_manual_code(body["manual_code"]).hex() == issued["label_id"]


def test_who_sees_a_label(client, auth, world, db, issued):
    path = f"/api/v1/labels/{issued['label_id']}"
    for user in (world.station_user_a, world.trader_a, world.admin, world.inspector):
        assert client.get(path, headers=auth.headers(user)).status_code == 200, user.username
    for user in (world.station_user_b, world.trader_b):
        response = client.get(path, headers=auth.headers(user))
        assert response.status_code == 404 and response.json["code"] == "label_not_found"
        assert client.get(path + ".png", headers=auth.headers(user)).status_code == 404
    assert client.get(path, headers=auth.headers(world.shop_user)).status_code == 403
    assert client.get(path).status_code == 401
    for bad in ("nothex0000000000", "00", "0000000000000000"):
        assert (
            client.get(f"/api/v1/labels/{bad}", headers=auth.headers(world.admin)).status_code
            == 404
        )


def test_owner_trader_sees_labels_made_by_a_contracted_station(client, auth, world, db):
    with db.transaction() as s:
        f.contract(s, world.org_b, world.station_a)
    label = client.post(
        "/api/v1/fills", json=fill_body(world.cyl_b), headers=auth.headers(world.station_user_a)
    ).json["label"]
    assert (
        client.get(
            f"/api/v1/labels/{label['label_id']}", headers=auth.headers(world.trader_b)
        ).status_code
        == 200
    )
    assert (
        client.get(
            f"/api/v1/labels/{label['label_id']}", headers=auth.headers(world.station_user_b)
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [
        ("png", "image/png", b"\x89PNG"),
        ("svg", "image/svg+xml", b"<?xml"),
        ("pdf", "application/pdf", b"%PDF"),
        ("zpl", "application/x-zpl", b"^XA"),
    ],
)
def test_printable_formats(client, auth, world, issued, fmt, content_type, magic):
    response = client.get(
        f"/api/v1/labels/{issued['label_id']}.{fmt}", headers=auth.headers(world.station_user_a)
    )
    assert response.status_code == 200
    assert response.mimetype == content_type and response.data.startswith(magic)


def test_sheet(client, auth, world, issued):
    headers = auth.headers(world.station_user_a)
    second = client.post("/api/v1/fills", json=fill_body(world.cyl_a), headers=headers).json[
        "label"
    ]
    response = client.post(
        "/api/v1/labels/sheet",
        json={"label_ids": [issued["label_id"], second["label_id"]]},
        headers=headers,
    )
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    foreign = client.post(
        "/api/v1/labels/sheet",
        json={"label_ids": [issued["label_id"]]},
        headers=auth.headers(world.station_user_b),
    )
    assert foreign.status_code == 404
    too_many = client.post(
        "/api/v1/labels/sheet", json={"label_ids": [issued["label_id"]] * 501}, headers=headers
    )
    assert too_many.status_code == 422
    assert (
        client.post("/api/v1/labels/sheet", json={"label_ids": ["zz"]}, headers=headers).status_code
        == 422
    )


def test_png_qr_decodes_and_verifies_against_the_jwks(client, auth, world, issued):
    require_zbar()
    from PIL import Image
    from pyzbar import pyzbar

    png = client.get(
        f"/api/v1/labels/{issued['label_id']}.png", headers=auth.headers(world.station_user_a)
    ).data
    decoded = pyzbar.decode(Image.open(io.BytesIO(png)))
    assert len(decoded) == 1
    url = decoded[0].data.decode("ascii")
    assert url == issued["url"] and url.startswith("HTTPS://LPG.TEST/V/")
    parsed = parse_token(token_from_text(url))
    jwks = client.get("/.well-known/jwks.json").json
    (jwk,) = [k for k in jwks["keys"] if key_id_from_thumbprint(k["kid"]) == parsed.claims.key_id]
    assert signature_holds(parsed, b64url_decode(jwk["x"]))
    assert parsed.claims.serial == "DP-000001" and str(parsed.claims.net_kg) == "12.00"
    assert parsed.claims.label_id.hex() == issued["label_id"]
