"""seed-demo loads the province's real registry figures and working demo accounts."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from traceability.models import AdminUnit, Brand, Cylinder, Facility, Organisation, User
from traceability.models.enums import CylinderStatus, FacilityKind
from traceability.seed import demo
from traceability.seed.province import rows
from traceability.text import fold


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_loads_the_published_registry(db):
    accounts = demo.seed(db, cylinders=300)
    with db.read() as s:
        assert _count(s, Facility, Facility.kind == FacilityKind.FILLING_STATION) == 20
        assert _count(s, Facility, Facility.kind == FacilityKind.DEPOT) == 9
        assert _count(s, Facility, Facility.kind == FacilityKind.RETAIL_SHOP) == 518
        assert _count(s, Cylinder) == 300
        # the same brand listed by several stations is one brand (V-GAS / V-Gas)
        assert s.scalar(select(Brand).where(Brand.code == "VGAS")) is not None
        owner = s.scalar(select(Brand.organisation_id).where(Brand.code == "PICNICGAS"))
        assert owner == s.scalar(select(Brand.organisation_id).where(Brand.code == "VGAS"))
        # shops per district follow the published counts
        published = {
            r["district"]: int(r["retail_shops"]) for r in rows("retail_shops_by_district.csv")
        }
        by_unit = Counter(
            s.scalars(
                select(AdminUnit.name)
                .join(Facility, Facility.admin_unit_id == AdminUnit.id)
                .where(Facility.kind == FacilityKind.RETAIL_SHOP)
            )
        )
        assert by_unit == published
        names = {fold(name) for name in s.scalars(select(Organisation.name))}
        for row in rows("gas_traders.csv"):
            assert fold(row["company"]) in names
        statuses = Counter(s.scalars(select(Cylinder.status)))
        assert statuses[CylinderStatus.IN_SERVICE] > 250
        assert {a.role for a in accounts} == {"admin", "inspector", "trader", "station", "shop"}
        assert _count(s, User) == 5


def test_demo_accounts_can_log_in(client, db):
    demo.seed(db, cylinders=20)
    response = client.post(
        "/api/v1/auth/token", json={"username": "station.vgas", "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 200
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {response.json['access_token']}"}
    )
    assert me.json["role"] == "station" and me.json["facility_id"] is not None
