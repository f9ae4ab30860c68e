"""`seed-demo`: the province's registry, synthetic cylinders, one demo user per role, fills."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceability.db import Database
from traceability.models import Cylinder, CylinderType, Organisation, User
from traceability.models.enums import CylinderStatus, Role
from traceability.passwords import hash_password
from traceability.seed.province import Province, load_province
from traceability.text import fold

DEMO_PASSWORD = "lpgtrace-demo-2026"  # noqa: S105 - published demo-only password
# (code, nominal kg, water litres, tare range kg, share of the fleet)
TYPES = [
    ("6", "6", "14.5", (6.8, 8.0), 0.10),
    ("12", "12", "26.2", (12.5, 15.5), 0.55),
    ("13", "13", "31.0", (14.0, 16.0), 0.15),
    ("45", "45", "108.0", (34.0, 38.5), 0.15),
    ("48", "48", "110.0", (36.0, 40.0), 0.05),
]
MANUFACTURERS = [
    "Công ty CP Cơ khí Gas Việt Nam",
    "Anpha Gas Cylinder",
    "Hwashin Vina",
    "Công ty TNHH Bình Gas Đồng Nai",
    "Sino Steel Cylinder",
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    organisation: str
    facility: str | None


def already_seeded(db: Database) -> bool:
    with db.read() as session:
        return bool(session.scalar(select(func.count()).select_from(Organisation)))


def _types(session: Session) -> list[tuple[CylinderType, tuple[float, float], float]]:
    result = []
    for code, nominal, water, tare, share in TYPES:
        item = CylinderType(
            code=code,
            name=f"Bình {nominal} kg",
            nominal_kg=Decimal(nominal),
            water_capacity_l=Decimal(water),
            standard="TCVN 6292:2013",
        )
        session.add(item)
        result.append((item, tare, share))
    session.flush()
    return result


def _cylinders(
    session: Session, p: Province, count: int, rng: random.Random, today: dt.date
) -> None:
    """Synthetic fleet: realistic serials and tares; ~6% overdue, ~5% due within 30 days."""
    types = _types(session)
    weights = [share for _, _, share in types]
    owned = sorted(p.brands.values(), key=lambda b: b.code)
    for n in range(count):
        brand = owned[n % len(owned)]
        type_, tare, _ = rng.choices(types, weights)[0]
        made = today - dt.timedelta(days=rng.randint(200, 365 * 12))
        roll = rng.random()
        if roll < 0.06:
            due = today - dt.timedelta(days=rng.randint(1, 400))
        elif roll < 0.11:
            due = today + dt.timedelta(days=rng.randint(1, 30))
        else:
            due = today + dt.timedelta(days=rng.randint(31, 5 * 365))
        status = CylinderStatus.IN_SERVICE
        if rng.random() < 0.01:
            status = rng.choice(
                [
                    CylinderStatus.STOLEN,
                    CylinderStatus.LOST,
                    CylinderStatus.QUARANTINED,
                    CylinderStatus.SCRAPPED,
                ]
            )
        serial = f"{brand.code[:4]}{made.year % 100:02d}-{n + 1:06d}"
        session.add(
            Cylinder(
                owner_id=brand.organisation_id,
                brand_id=brand.id,
                serial=serial,
                serial_search=fold(serial),
                type_id=type_.id,
                manufacturer=rng.choice(MANUFACTURERS),
                manufactured_on=made,
                tare_kg=Decimal(str(round(rng.uniform(*tare), 1))),
                last_inspected_on=due - dt.timedelta(days=5 * 365),
                inspection_due=due,
                status=status,
                holder_org_id=brand.organisation_id,
            )
        )
        if n % 2000 == 1999:
            session.flush()


def _users(session: Session, p: Province) -> list[DemoAccount]:
    """One account per role, on the V-Gas company, its station, and a Biên Hòa shop."""
    vgas = p.brand_owner["VGAS"]
    station = next(s for s in p.stations if s.organisation_id == vgas.id)
    shop = p.shops[0]
    password = hash_password(DEMO_PASSWORD)
    plan = [
        ("admin", Role.ADMIN, p.department, None),
        ("inspector", Role.INSPECTOR, p.department, None),
        ("trader.vgas", Role.TRADER, vgas, None),
        ("station.vgas", Role.STATION, vgas, station),
        ("shop.bienhoa", Role.SHOP, session.get(Organisation, shop.organisation_id), shop),
    ]
    accounts = []
    for username, role, org, facility in plan:
        assert org is not None
        session.add(
            User(
                username=username,
                password_hash=password,
                display_name=f"Demo {role.value}",
                role=role,
                organisation_id=org.id,
                facility_id=facility.id if facility else None,
            )
        )
        accounts.append(
            DemoAccount(username, role.value, org.name, facility.name if facility else None)
        )
    return accounts


def seed(
    db: Database, cylinders: int = 5000, seed_value: int = 2023, today: dt.date | None = None
) -> list[DemoAccount]:
    """Load everything in one transaction: the demo either exists whole or not at all."""
    rng = random.Random(seed_value)  # noqa: S311 - reproducible demo data, not security
    today = today or dt.datetime.now(dt.UTC).date()
    with db.transaction() as session:
        province = load_province(session, rng, today)
        _cylinders(session, province, cylinders, rng, today)
        accounts = _users(session, province)
    return accounts
