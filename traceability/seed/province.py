"""Load the real registry facts: districts, traders, filling stations and brands, depots, shops."""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from dataclasses import dataclass, field
from importlib import resources

from sqlalchemy.orm import Session

from traceability.models import AdminUnit, Brand, Facility, FillingContract, Licence, Organisation
from traceability.models.enums import FacilityKind, LicenceStatus, TradeRole
from traceability.text import fold

PROVINCE = ("75", "Tỉnh Đồng Nai")
ISSUER = "Sở Công Thương Đồng Nai"
SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
GIVEN = [
    "Minh Anh",
    "Thành Đạt",
    "Phúc Lộc",
    "Hồng Nhung",
    "Văn Hùng",
    "Thu Trang",
    "Quốc Bảo",
    "Ngọc Lan",
    "Đức Thịnh",
    "Kim Oanh",
    "Hải Yến",
    "Tấn Phát",
    "Mỹ Dung",
    "Gia Huy",
]
STREETS = [
    "Phạm Văn Thuận",
    "Đồng Khởi",
    "Nguyễn Ái Quốc",
    "Võ Thị Sáu",
    "Hùng Vương",
    "Trần Phú",
    "Lê Duẩn",
    "Quốc lộ 1A",
    "Quốc lộ 20",
    "Quốc lộ 51",
    "Hà Huy Giáp",
]


def rows(name: str) -> list[dict[str, str]]:
    text = resources.files("traceability.seed").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def brand_code(name: str) -> str:
    """ASCII upper-case code from a brand name, so "V-GAS" and "V-Gas" are one brand."""
    return re.sub(r"[^A-Z0-9]", "", fold(name).upper())[:16]


def district_key(name: str) -> str:
    """'TP. Biên Hòa', 'TP Biên Hòa' and 'Huyện Xuân Lộc' reduce to 'bien hoa', 'xuan loc'."""
    folded = fold(name).replace(".", " ")
    return " ".join(
        w for w in folded.split() if w not in {"tp", "huyen", "thanh", "pho", "thi", "xa", "tx"}
    )


@dataclass
class Province:
    """What was loaded, for the steps that follow (cylinders, users, fills)."""

    department: Organisation | None = None
    districts: dict[str, AdminUnit] = field(default_factory=dict)
    brands: dict[str, Brand] = field(default_factory=dict)
    brand_owner: dict[str, Organisation] = field(default_factory=dict)
    stations: list[Facility] = field(default_factory=list)
    station_brands: dict[int, list[str]] = field(default_factory=dict)
    traders: list[Organisation] = field(default_factory=list)
    shops: list[Facility] = field(default_factory=list)
    depots: list[Facility] = field(default_factory=list)


class _Loader:
    def __init__(self, session: Session, rng: random.Random, today: dt.date) -> None:
        self.s = session
        self.rng = rng
        self.today = today
        self.orgs: dict[str, Organisation] = {}
        self.p = Province()
        self.codes = 0

    def unit_for(self, address: str) -> AdminUnit | None:
        folded = fold(address)
        for key, unit in self.p.districts.items():
            if key in folded:
                return unit
        return None

    def organisation(self, name: str, address: str, roles: list[str]) -> Organisation:
        key = fold(name)
        org = self.orgs.get(key)
        if org is None:
            unit = self.unit_for(address)
            org = Organisation(
                name=name,
                name_search=fold(f"{name} {address}"),
                tax_code=f"36{len(self.orgs) + 1:08d}",
                trade_roles=list(roles),
                address=address,
                admin_unit_id=unit.id if unit else None,
            )
            self.s.add(org)
            self.s.flush()
            self.orgs[key] = org
            self.licence(org)
        else:
            org.trade_roles = sorted(set(org.trade_roles) | set(roles))
        return org

    def licence(self, org: Organisation, facility: Facility | None = None) -> None:
        issued = self.today - dt.timedelta(days=self.rng.randint(200, 1500))
        self.s.add(
            Licence(
                organisation_id=org.id,
                facility_id=facility.id if facility else None,
                number=f"{self.rng.randint(10, 999)}/GCN-SCT",
                kind="Kinh doanh LPG",
                issuer=ISSUER,
                issued_on=issued,
                expires_on=issued + dt.timedelta(days=5 * 365),
                status=LicenceStatus.VALID,
            )
        )

    def facility(self, org: Organisation, kind: str, name: str, address: str) -> Facility:
        self.codes += 1
        unit = self.unit_for(address)
        item = Facility(
            organisation_id=org.id,
            kind=kind,
            code=f"{kind[:2].upper()}{self.codes:05d}",
            name=name[:255],
            name_search=fold(f"{name} {address}")[:512],
            address=address,
            admin_unit_id=unit.id if unit else None,
        )
        self.s.add(item)
        self.s.flush()
        return item


def load_province(session: Session, rng: random.Random, today: dt.date) -> Province:
    """Insert the province's registry; returns handles for the synthetic steps."""
    loader = _Loader(session, rng, today)
    p = loader.p
    province = AdminUnit(
        code=PROVINCE[0], name=PROVINCE[1], name_search=fold(PROVINCE[1]), level="province"
    )
    session.add(province)
    session.flush()
    for i, row in enumerate(rows("retail_shops_by_district.csv"), start=1):
        unit = AdminUnit(
            code=f"{PROVINCE[0]}{i:02d}",
            name=row["district"],
            name_search=fold(row["district"]),
            level="district",
            parent_id=province.id,
        )
        session.add(unit)
        p.districts[district_key(row["district"])] = unit
    session.flush()
    p.department = Organisation(
        name=ISSUER,
        name_search=fold(ISSUER),
        is_authority=True,
        trade_roles=[TradeRole.AUTHORITY],
        address="Số 2, đường Nguyễn Văn Trị, phường Thanh Bình, Biên Hòa",
    )
    session.add(p.department)
    for row in rows("filling_stations.csv"):
        org = loader.organisation(
            row["company"],
            row["station_address"],
            [TradeRole.STATION_OWNER, TradeRole.CYLINDER_OWNER],
        )
        station = loader.facility(
            org,
            FacilityKind.FILLING_STATION,
            f"Trạm chiết nạp {row['company']}",
            row["station_address"],
        )
        p.stations.append(station)
        codes = []
        for name in re.split(r"[;,]", row["brands"]):
            name = name.strip()
            code = brand_code(name)
            if code and code not in p.brands:
                p.brands[code] = Brand(organisation_id=org.id, code=code, name=name)
                p.brand_owner[code] = org
                session.add(p.brands[code])
            if code:
                codes.append(code)
        p.station_brands[station.id] = codes
    for row in rows("gas_traders.csv"):
        p.traders.append(
            loader.organisation(row["company"], row["address"], [TradeRole.WHOLESALER])
        )
    for row in rows("lpg_depots.csv"):
        operator = loader.organisation(row["operator"], row["address"], [TradeRole.IMPORTER])
        p.depots.append(loader.facility(operator, FacilityKind.DEPOT, row["name"], row["address"]))
    _load_shops(loader)
    _contracts(session, p, today)
    session.flush()
    return p


def _load_shops(loader: _Loader) -> None:
    """518 licensed shops in the published per-district counts; names and owners synthetic."""
    for row in rows("retail_shops_by_district.csv"):
        for _ in range(int(row["retail_shops"])):
            person = f"{loader.rng.choice(SURNAMES)} {loader.rng.choice(GIVEN)}"
            address = (
                f"Số {loader.rng.randint(1, 400)}, đường {loader.rng.choice(STREETS)}, "
                f"{row['district']}, Đồng Nai"
            )
            org = loader.organisation(
                f"Hộ kinh doanh {person} ({len(loader.orgs)})", address, [TradeRole.RETAILER]
            )
            loader.p.shops.append(
                loader.facility(org, FacilityKind.RETAIL_SHOP, f"Cửa hàng gas {person}", address)
            )


def _contracts(session: Session, p: Province, today: dt.date) -> None:
    """A station filling a brand it does not own does so under the owner's contract."""
    for station in p.stations:
        for code in p.station_brands[station.id]:
            owner = p.brand_owner[code]
            if owner.id != station.organisation_id:
                session.add(
                    FillingContract(
                        owner_id=owner.id,
                        station_id=station.id,
                        valid_from=today - dt.timedelta(days=400),
                        valid_to=today + dt.timedelta(days=700),
                        reference=f"HĐ-{code}-{station.code}",
                    )
                )
