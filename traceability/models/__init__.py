"""All persistent entities; importing this package registers every table on Base.metadata."""

from traceability.models.accounts import AuditEntry, AuthSession, DeviceKey, RefreshToken, User
from traceability.models.custody import (
    Anomaly,
    ChainHead,
    ConsumerReport,
    FieldCheck,
    IdempotencyRecord,
    LedgerEntry,
    Scan,
)
from traceability.models.labels import Fill, Label, SigningKey
from traceability.models.registry import (
    AdminUnit,
    Brand,
    Cylinder,
    CylinderType,
    Facility,
    FillingContract,
    Licence,
    Organisation,
)
from traceability.models.search_indexes import DATABASE_ONLY_INDEXES  # noqa: F401 (listener)
from traceability.models.stats import DailyFillCount, DailyScanCount, StatsRefreshMark  # noqa: F401

__all__ = [
    "AdminUnit",
    "Anomaly",
    "AuditEntry",
    "AuthSession",
    "Brand",
    "ChainHead",
    "ConsumerReport",
    "Cylinder",
    "CylinderType",
    "DeviceKey",
    "Facility",
    "FieldCheck",
    "Fill",
    "FillingContract",
    "IdempotencyRecord",
    "Label",
    "LedgerEntry",
    "Licence",
    "Organisation",
    "RefreshToken",
    "Scan",
    "SigningKey",
    "User",
]
