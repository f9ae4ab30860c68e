"""Every write operation in the OpenAPI document, fed hostile input by an admin and a station.

Generic on purpose: operations are read from /api/openapi.json, so endpoints added later are
covered without touching this file. Whatever arrives, the answer is never a 5xx, every error is
problem+json with a stable `code`, and a refused request leaves every table's row count alone.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, literal, select, union_all

from tests import factories as f
from tests.conftest import MASTER_KEY, ON_POSTGRES, Auth, _truncate_all
from traceability.auth import create_device_key
from traceability.db import Base
from traceability.models.enums import FacilityKind, Role, TradeRole
from traceability.web.app import create_app

WRITE_METHODS = ("post", "put", "patch")
# Rows these tables gain are bookkeeping of the test itself (fresh logins per request).
UNCOUNTED_TABLES = frozenset({"auth_sessions", "refresh_tokens", "audit_log"})
HUGE = "Ư" * 50_000  # 100 kB of UTF-8
FIVE_MB = b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}'
DEEP = b"[" * 10_000 + b"]" * 10_000
HOSTILE_STRINGS = {
    "sql_or": "' OR 1=1 --",
    "sql_drop": "'; DROP TABLE cylinders; --",
    "script": "<script>alert(document.cookie)</script>",
    "nul_and_controls": "a\u0000b\u0007c\u202ed",
    "lone_surrogate": "\ud800x",
    "huge": HUGE,
}


def _base_config(database_url: str, instance: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "DATABASE_POOL_SIZE": 5,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "MASTER_KEY": MASTER_KEY,
        "SCAN_SALT": "test-scan-salt",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "https://lpg.test",
    }


def _openapi_spec() -> dict[str, Any]:
    """The API document, read once at collection from an app that never touches a database."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(_base_config(f"sqlite:///{folder}/spec.sqlite3", Path(folder) / "i"))
        spec = app.test_client().get("/api/openapi.json").get_json()
        app.extensions["lpg_db"].dispose()
    return spec


SPEC = _openapi_spec()
OPERATIONS = sorted(
    (method, path)
    for path, operations in SPEC["paths"].items()
    for method in operations
    if method in WRITE_METHODS
)


@pytest.fixture(scope="module")
def hostile(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app and one small province for the whole module (building them costs seconds)."""
    folder = tmp_path_factory.mktemp("hostile")
    if ON_POSTGRES:
        url = database_template
    else:
        shutil.copyfile(database_template, folder / "db.sqlite3")
        url = f"sqlite:///{folder / 'db.sqlite3'}"
    app = create_app(_base_config(url, folder / "instance"))
    from traceability.web.limits import limiter

    limiter.reset()
    db = app.extensions["lpg_db"]
    w = SimpleNamespace(app=app, db=db, client=app.test_client(), auth=Auth(app, db))
    with db.transaction() as s:
        department = f.organisation(
            s, "Sở Công Thương", is_authority=True, roles=[TradeRole.AUTHORITY]
        )
        org = f.organisation(s, "Công ty Gas Đại Phát")
        brand = f.brand(s, org, "DPGAS")
        station = f.facility(s, org, FacilityKind.FILLING_STATION)
        f.facility(s, org, FacilityKind.RETAIL_SHOP)
        f.cylinder(s, org, brand, f.cylinder_type(s, "12", "12"), serial="DP-1")
        f.contract(s, org, station)
        w.admin = f.user(s, department, Role.ADMIN, username="admin").id
        w.station = f.user(s, org, Role.STATION, facility_=station, username="station").id
        create_device_key(
            s,
            name="scale",
            role=Role.STATION,
            organisation_id=org.id,
            facility_id=station.id,
            created_by=None,
        )
    yield w
    db.dispose()
    if ON_POSTGRES:
        _truncate_all(url)


def _row_counts(db: Any) -> dict[str, int]:
    tables = [t for t in Base.metadata.sorted_tables if t.name not in UNCOUNTED_TABLES]
    query = union_all(
        *(select(literal(table.name), func.count()).select_from(table) for table in tables)
    )
    with db.engine.connect() as connection:
        return {name: count for name, count in connection.execute(query)}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        merged: dict[str, Any] = {"properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(_resolve(part).get("properties", {}))
        return merged
    return schema


def _plausible(schema: dict[str, Any]) -> Any:
    schema = _resolve(schema)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [_plausible(schema.get("items", {}))]
    if kind == "object" or "properties" in schema:
        return {name: _plausible(prop) for name, prop in schema.get("properties", {}).items()}
    if schema.get("format") == "date":
        return "2026-01-01"
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00+00:00"
    return "x"


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return {"not": "a boolean"}
    if isinstance(value, int | float):
        return "not a number"
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return "not a list"
    return ["not", "an", "object"]


def _each_string(body: Any, replacement: str) -> Any:
    if isinstance(body, dict):
        return {key: _each_string(value, replacement) for key, value in body.items()}
    if isinstance(body, list):
        return [_each_string(item, replacement) for item in body]
    return replacement if isinstance(body, str) else body


def _each_number(body: Any, replacement: Any) -> Any:
    if isinstance(body, dict):
        return {key: _each_number(value, replacement) for key, value in body.items()}
    if isinstance(body, bool) or not isinstance(body, int | float):
        return body
    return replacement


def _json(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # lone surrogates travel as \ud800 escapes
        return json.dumps(value).encode()


def hostile_requests(operation: dict[str, Any]) -> Iterator[tuple[str, bytes, str]]:
    """(label, body, content type) for the whole battery, shaped by the operation's schema."""
    content = operation.get("requestBody", {}).get("content", {})
    schema = (content.get("application/json") or {}).get("schema", {})
    base = _plausible(schema) if schema else {}
    base = base if isinstance(base, dict) and base else {"name": "x", "id": 1}
    json_type = "application/json"
    yield "array", _json([base]), json_type
    yield "null", b"null", json_type
    yield "scalar", b'"just a string"', json_type
    yield "number", b"12345", json_type
    yield "empty_object", b"{}", json_type
    yield "wrong_types", _json({key: _wrong_type(value) for key, value in base.items()}), json_type
    for label, value in HOSTILE_STRINGS.items():
        yield label, _json(_each_string(base, value)), json_type
    yield "huge_unknown_field", _json({**base, "zz_unknown": HUGE}), json_type
    yield "huge_numbers", _json(_each_number(base, 2**70)), json_type
    yield "negative_numbers", _json(_each_number(base, -1)), json_type
    yield "nan", json.dumps(_each_number(base, float("nan"))).encode(), json_type
    yield "proto", b'{"__proto__": {"admin": true}, "constructor": {"prototype": {}}}', json_type
    yield "deep_nesting", DEEP, json_type
    yield "deep_object", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, json_type
    yield "invalid_utf8", b'{"name": "\xff\xfe\xfa\xc3\x28"}', json_type
    yield "truncated", b'{"name": "abc', json_type
    yield "empty_body", b"", json_type
    yield "text_plain", _json(base), "text/plain"
    yield "form_urlencoded", b"name=x&id=1", "application/x-www-form-urlencoded"
    yield "xml", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'a'>]><x>&a;</x>", "application/xml"
    yield "five_megabytes", FIVE_MB, json_type
    if "multipart/form-data" in content:
        yield from _hostile_uploads(content["multipart/form-data"].get("schema", {}))


def _hostile_uploads(schema: dict[str, Any]) -> Iterator[tuple[str, bytes, str]]:
    """Multipart bodies by hand: junk files with sane form fields, then hostile form fields."""
    fields = _resolve(schema).get("properties", {})
    junk_files = {
        "binary": bytes(range(256)) * 64,
        "fake_zip": b"PK\x03\x04" + b"\x00" * 512,
        "utf16_text": "serial;brand\nA;B\n".encode("utf-16"),
        "sql_csv": b"serial,brand_code\n'; DROP TABLE cylinders; --,x\n",
    }
    cases = [(label, payload, False) for label, payload in junk_files.items()]
    cases.append(("hostile_fields", junk_files["sql_csv"], True))
    boundary = "hostileboundary"
    for label, payload, hostile_fields in cases:
        parts = []
        for name, prop in fields.items():
            resolved = _resolve(prop)
            is_file = resolved.get("format") == "binary" or resolved.get("type") == "file"
            disposition = f'form-data; name="{name}"' + ('; filename="x.csv"' if is_file else "")
            if is_file:
                value = payload
            elif hostile_fields:
                value = HOSTILE_STRINGS["sql_or"].encode()
            else:
                value = str(_plausible(prop)).encode()
            head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
            parts.append(head + value + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        yield f"multipart_{label}", body, f"multipart/form-data; boundary={boundary}"


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def _check(response: Any, path: str, label: str) -> None:
    where = f"{label}: {response.status_code} {response.get_data()[:300]!r}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        if not path.startswith("/api/") and response.mimetype == "text/html":
            return  # consumer pages (e.g. the report form) answer people with a page
        assert response.mimetype == "application/problem+json", where
        body = response.get_json()
        assert isinstance(body, dict) and isinstance(body.get("code"), str), where


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS]
)
def test_hostile_bodies_are_refused_cleanly(hostile: Any, method: str, path: str) -> None:
    operation = SPEC["paths"][path][method]
    url = _path(path)
    counts = _row_counts(hostile.db)
    for who in ("admin", "station"):
        headers = hostile.auth.headers(getattr(hostile, who))
        for label, body, content_type in hostile_requests(operation):
            response = hostile.client.open(
                url,
                method=method.upper(),
                data=io.BytesIO(body),
                content_type=content_type,
                headers=headers,
            )
            _check(response, path, f"{who} {label}")
            after = _row_counts(hostile.db)
            if response.status_code >= 400:
                changed = {
                    name: (counts[name], after[name])
                    for name in after
                    if after[name] != counts.get(name)
                }
                assert not changed, (
                    f"{who} {label}: refused ({response.status_code}), yet {changed}"
                )
            counts = after
            if response.status_code < 400 or response.status_code == 401:
                headers = hostile.auth.headers(getattr(hostile, who))  # it may have logged out


def test_the_battery_reaches_every_write_operation() -> None:
    assert ("post", "/api/v1/cylinders") in OPERATIONS
    assert ("post", "/api/v1/cylinders/import") in OPERATIONS
    assert ("patch", "/api/v1/users/{user_id}") in OPERATIONS
    assert len(OPERATIONS) >= 10
