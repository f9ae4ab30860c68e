"""Closed vocabularies of the registry, stored as their string values."""

from enum import StrEnum


class Role(StrEnum):
    """What a user account may act as."""

    ADMIN = "admin"
    INSPECTOR = "inspector"
    TRADER = "trader"
    STATION = "station"
    SHOP = "shop"


class TradeRole(StrEnum):
    """An organisation's roles in the LPG trade (Decree 87/2018)."""

    IMPORTER = "importer_exporter"
    WHOLESALER = "wholesaler"
    CYLINDER_OWNER = "cylinder_owner"
    STATION_OWNER = "filling_station_owner"
    RETAILER = "retailer"
    DEPOT_OPERATOR = "depot_operator"
    AUTHORITY = "authority"


class FacilityKind(StrEnum):
    FILLING_STATION = "filling_station"
    RETAIL_SHOP = "retail_shop"
    DEPOT = "depot"
    WAREHOUSE = "warehouse"


class LicenceStatus(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class CylinderStatus(StrEnum):
    IN_SERVICE = "in_service"
    QUARANTINED = "quarantined"
    SCRAPPED = "scrapped"
    LOST = "lost"
    STOLEN = "stolen"
    SEIZED = "seized"


FLAGGED_STATUSES = frozenset(CylinderStatus) - {CylinderStatus.IN_SERVICE}


class KeyStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


class ContractStatus(StrEnum):
    ACTIVE = "active"
    TERMINATED = "terminated"


class CaseStatus(StrEnum):
    """Work-queue state of a consumer report or an anomaly."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    CLOSED = "closed"
