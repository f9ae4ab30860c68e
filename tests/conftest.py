"""Fixtures chained app → client → auth, over a real SQLite file or real PostgreSQL.

Set TEST_DATABASE_URL to a PostgreSQL URL to run the whole suite there; the schema is created
once per session and every test starts from empty tables.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

import traceability.models  # noqa: F401  (registers every table)
from tests import factories as f
from traceability.auth import issue_access_token
from traceability.db import Base, Database, make_engine
from traceability.models import User
from traceability.models.enums import FacilityKind, Role, TradeRole
from traceability.web.app import create_app

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
MASTER_KEY = base64.b64encode(bytes(range(32))).decode()
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"database: {'PostgreSQL ' + TEST_DATABASE_URL if ON_POSTGRES else 'SQLite (temporary files)'}",
        f"redis: {TEST_REDIS_URL or 'not configured (Redis tests skip)'}",
    ]


def create_schema(url: str) -> None:
    """The schema from the models (tests/test_migrations.py proves Alembic builds the same)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    if ON_POSTGRES:
        engine = make_engine(TEST_DATABASE_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        create_schema(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    create_schema(f"sqlite:///{path}")
    return str(path)


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text("SET session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    if ON_POSTGRES:
        yield database_template
        _truncate_all(database_template)
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Override in a test module to change settings before the app is built."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "DATABASE_POOL_SIZE": 5,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "MASTER_KEY": MASTER_KEY,
        "SCAN_SALT": "test-scan-salt",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "https://lpg.test",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(app_config)
    from traceability.web.limits import limiter

    limiter.reset()
    yield application
    application.extensions["lpg_db"].dispose()


@pytest.fixture
def db(app: Flask) -> Database:
    database: Database = app.extensions["lpg_db"]
    return database


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Auth:
    """Issues real access tokens for test users without paying for password hashing."""

    def __init__(self, app: Flask, db: Database) -> None:
        self.app = app
        self.db = db

    def headers(self, account: User | int) -> dict[str, str]:
        with self.db.transaction() as session:
            user = session.get(User, account if isinstance(account, int) else account.id)
            assert user is not None
            sid = f.login_session(session, user)
            token = issue_access_token(self.app.extensions["lpg_auth"], user, sid)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth(app: Flask, db: Database) -> Auth:
    return Auth(app, db)


@pytest.fixture
def world(db: Database) -> SimpleNamespace:
    """A small province: the department, two trader companies with stations, a retailer, users."""
    w = SimpleNamespace()
    with db.transaction() as s:
        w.province = f.admin_unit(s, "Tỉnh Đồng Nai", "province", code="75")
        w.district = f.admin_unit(s, "Thành phố Biên Hòa", "district", w.province, code="731")
        w.department = f.organisation(
            s, "Sở Công Thương Đồng Nai", is_authority=True, roles=[TradeRole.AUTHORITY]
        )
        w.org_a = f.organisation(s, "Công ty CP Dầu khí Đại Phát")
        w.org_b = f.organisation(s, "Công ty TNHH Gas Biên Hòa")
        w.retailer = f.organisation(s, "Cửa hàng Gas Minh Anh", roles=[TradeRole.RETAILER])
        w.brand_a = f.brand(s, w.org_a, "DPGAS", "Đại Phát Gas")
        w.brand_b = f.brand(s, w.org_b, "BHGAS", "Biên Hòa Gas")
        w.station_a = f.facility(s, w.org_a, FacilityKind.FILLING_STATION, "Trạm chiết Đại Phát")
        w.station_b = f.facility(s, w.org_b, FacilityKind.FILLING_STATION, "Trạm chiết Biên Hòa")
        w.shop = f.facility(s, w.retailer, FacilityKind.RETAIL_SHOP, "Cửa hàng Minh Anh")
        w.type12 = f.cylinder_type(s, "12", "12")
        w.type45 = f.cylinder_type(s, "45", "45")
        w.cyl_a = f.cylinder(s, w.org_a, w.brand_a, w.type12, serial="DP-000001")
        w.cyl_b = f.cylinder(s, w.org_b, w.brand_b, w.type12, serial="BH-000001")
        w.admin = f.user(s, w.department, Role.ADMIN, username="admin")
        w.inspector = f.user(s, w.department, Role.INSPECTOR, username="inspector")
        w.trader_a = f.user(s, w.org_a, Role.TRADER, username="trader_a")
        w.trader_b = f.user(s, w.org_b, Role.TRADER, username="trader_b")
        w.station_user_a = f.user(
            s, w.org_a, Role.STATION, facility_=w.station_a, username="station_a"
        )
        w.station_user_b = f.user(
            s, w.org_b, Role.STATION, facility_=w.station_b, username="station_b"
        )
        w.shop_user = f.user(s, w.retailer, Role.SHOP, facility_=w.shop, username="shop")
    return w
