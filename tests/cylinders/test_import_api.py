"""POST /api/v1/cylinders/import through HTTP: modes, dry runs, file kinds, limits, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.cylinders.files import csv_bytes, good_row, xlsx_bytes, xlsx_typed_row
from traceability.models import AuditEntry, Cylinder

URL = "/api/v1/cylinders/import"
MIXED = [
    good_row("M-1"),
    good_row("M 2"),
    good_row("M-3"),
    good_row("M-1"),
    good_row("M-5", brand="BHGAS"),
]


def upload(client, headers, raw: bytes, name: str = "cylinders.csv", **form):
    """Encode the multipart body here: the test client would spool big ones to an unclosed file."""
    boundary = "lpgtrace-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in form.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + raw
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client.post(
        URL, data=body, headers=headers, content_type=f"multipart/form-data; boundary={boundary}"
    )


def serials(db, owner_id):
    with db.read() as session:
        return sorted(session.scalars(select(Cylinder.serial).where(Cylinder.owner_id == owner_id)))


def test_good_csv_with_bom_and_semicolons_imports_every_row(client, world, auth, db):
    raw = csv_bytes([good_row("G-1"), good_row("G-2")], delimiter=";", bom=True)
    response = upload(client, auth.headers(world.trader_a), raw)
    assert response.status_code == 201, response.json
    assert response.json["imported"] == 2 and response.json["row_errors"] == []
    assert serials(db, world.org_a.id) == ["DP-000001", "G-1", "G-2"]
    with db.read() as session:
        holders = set(
            session.scalars(select(Cylinder.holder_org_id).where(Cylinder.serial.like("G-%")))
        )
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
        assert entry.changes["imported"] == 2 and len(entry.changes["file_sha256"]) == 64
    assert holders == {world.org_a.id}


def test_xlsx_with_vietnamese_headers_imports(client, world, auth, db):
    raw = xlsx_bytes([xlsx_typed_row("X-1"), xlsx_typed_row("X-2")])
    response = upload(client, auth.headers(world.trader_a), raw, "danh-sach-binh.xlsx")
    assert response.status_code == 201, response.json
    assert serials(db, world.org_a.id) == ["DP-000001", "X-1", "X-2"]


def test_all_or_nothing_with_bad_rows_imports_nothing_and_reports_each(client, world, auth, db):
    response = upload(client, auth.headers(world.trader_a), csv_bytes(MIXED))
    assert response.status_code == 422
    body = response.json
    assert body["code"] == "import_rejected" and body["imported"] == 0
    assert body["total_rows"] == 5 and body["valid_rows"] == 2 and body["bad_rows"] == [3, 5, 6]
    found = {(error["row"], error["field"], error["code"]) for error in body["row_errors"]}
    assert found == {
        (3, "serial", "serial_format"),
        (5, "serial", "duplicate_in_file"),
        (6, "brand_code", "brand_not_owned"),
    }
    assert all(error["message"]["vi"] and error["message"]["en"] for error in body["row_errors"])
    assert serials(db, world.org_a.id) == ["DP-000001"]


def test_good_rows_only_imports_the_good_and_reports_the_bad(client, world, auth, db):
    response = upload(client, auth.headers(world.trader_a), csv_bytes(MIXED), mode="good_rows_only")
    assert response.status_code == 201, response.json
    assert response.json["imported"] == 2 and response.json["bad_rows"] == [3, 5, 6]
    assert serials(db, world.org_a.id) == ["DP-000001", "M-1", "M-3"]
    again = upload(client, auth.headers(world.trader_a), csv_bytes(MIXED), mode="good_rows_only")
    assert again.status_code == 422  # now every row is bad: M-1 and M-3 exist
    assert {e["code"] for e in again.json["row_errors"]} >= {"duplicate_serial"}


@pytest.mark.parametrize(("mode", "status"), [("all_or_nothing", 422), ("good_rows_only", 200)])
def test_dry_run_answers_like_the_real_call_and_writes_nothing(
    client, world, auth, db, mode, status
):
    with db.read() as session:
        audits = session.scalar(select(func.count()).select_from(AuditEntry))
    response = upload(
        client, auth.headers(world.trader_a), csv_bytes(MIXED), mode=mode, dry_run="true"
    )
    assert response.status_code == status
    assert response.json["dry_run"] is True and response.json["imported"] == 0
    assert response.json["valid_rows"] == 2
    assert serials(db, world.org_a.id) == ["DP-000001"]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_admin_imports_for_a_named_owner_and_trader_not_for_others(client, world, auth, db):
    raw = csv_bytes([good_row("B-1", brand="BHGAS")])
    missing = upload(client, auth.headers(world.admin), raw)
    assert missing.status_code == 422 and missing.json["code"] == "owner_required"
    done = upload(client, auth.headers(world.admin), raw, owner_id=world.org_b.id)
    assert done.status_code == 201 and done.json["owner_id"] == world.org_b.id
    foreign = upload(
        client,
        auth.headers(world.trader_a),
        csv_bytes([good_row("B-2", brand="BHGAS")]),
        owner_id=world.org_b.id,
    )
    assert foreign.status_code == 404
    assert serials(db, world.org_b.id) == ["B-1", "BH-000001"]


@pytest.mark.parametrize("who", ["inspector", "station_user_a", "shop_user"])
def test_roles_without_cylinder_write_cannot_import(client, world, auth, db, who):
    response = upload(client, auth.headers(getattr(world, who)), csv_bytes([good_row("R-1")]))
    assert response.status_code == 403
    assert serials(db, world.org_a.id) == ["DP-000001"]


def test_bad_requests_to_the_import(client, world, auth):
    headers = auth.headers(world.trader_a)
    no_file = client.post(
        URL, data={"mode": "all_or_nothing"}, headers=headers, content_type="multipart/form-data"
    )
    assert no_file.status_code == 422 and "file" in str(no_file.json["errors"])
    bad_mode = upload(client, headers, csv_bytes([good_row("Z-1")]), mode="some_rows")
    assert bad_mode.status_code == 422
    as_json = client.post(URL, json={"file": "serial\nA"}, headers=headers)
    assert as_json.status_code == 415
    garbage = upload(client, headers, b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "photo.png")
    assert garbage.status_code == 422 and garbage.json["code"] in {"unreadable_file", "bad_columns"}
    fake_xlsx = upload(client, headers, b"PK\x03\x04" + b"\x00" * 100, "x.xlsx")
    assert fake_xlsx.status_code == 422 and fake_xlsx.json["code"] == "unreadable_file"
    columns = upload(client, headers, b"serial,colour\nA-1,red\n")
    assert columns.status_code == 422 and columns.json["code"] == "bad_columns"
    assert columns.json["missing"] == ["brand_code", "type_code", "tare_kg", "inspection_due"]


def test_over_ten_megabytes_is_refused_with_413(client, world, auth):
    raw = b"serial,brand_code,type_code,tare_kg,inspection_due\n" + b"#" * (10 * 1024 * 1024 + 10)
    response = upload(client, auth.headers(world.trader_a), raw)
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("application/problem+json")
    too_big_body = upload(client, auth.headers(world.trader_a), raw + b"#" * (200 * 1024))
    assert too_big_body.status_code == 413 and too_big_body.json["code"] == "payload_too_large"


def test_the_documented_example_file_imports(client, world, auth, db):
    from pathlib import Path

    from tests import factories as f

    with db.transaction() as session:
        f.brand(session, world.org_a, "V-GAS")
        f.brand(session, world.org_a, "PICNIC GAS")
    raw = (Path(__file__).parents[2] / "docs" / "cylinder-import-example.csv").read_bytes()
    response = upload(client, auth.headers(world.trader_a), raw, "cylinder-import-example.csv")
    assert response.status_code == 201, response.json
    assert response.json["imported"] == 3
    assert "PC-45-0007" in serials(db, world.org_a.id)
