"""What each role may do, and who is asking: the authorisation model, free of any web framework."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from traceability.errors import Forbidden, NotFound
from traceability.models.enums import Role


class Permission(StrEnum):
    """Every endpoint declares exactly one of these (a test walks the URL map to make sure)."""

    PUBLIC = "public"
    AUTHENTICATED = "authenticated"
    REGISTRY_READ = "registry:read"
    REGISTRY_MANAGE = "registry:manage"
    CYLINDER_READ = "cylinder:read"
    CYLINDER_WRITE = "cylinder:write"
    CONTRACT_MANAGE = "contract:manage"
    USER_MANAGE = "user:manage"
    DEVICE_KEY_MANAGE = "device-key:manage"
    AUDIT_READ = "audit:read"
    SIGNING_KEY_MANAGE = "signing-key:manage"
    FILL_RECORD = "fill:record"
    LABEL_READ = "label:read"
    LEDGER_RECORD = "ledger:record"
    LEDGER_READ = "ledger:read"
    LEDGER_VERIFY = "ledger:verify"
    SHOP_RECEIPT = "shop:receipt"
    PERSONAL_DATA_READ = "personal-data:read"
    CYLINDER_HISTORY = "cylinder:history"
    FIELD_CHECK_RECORD = "field-check:record"
    CASE_MANAGE = "case:manage"
    STATS_READ = "stats:read"


P = Permission
_COMMON = {P.AUTHENTICATED, P.REGISTRY_READ, P.CYLINDER_READ}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(set(Permission) - {P.PUBLIC, P.FILL_RECORD, P.SHOP_RECEIPT}),
    Role.INSPECTOR: frozenset(
        _COMMON
        | {
            P.LABEL_READ,
            P.LEDGER_READ,
            P.LEDGER_RECORD,
            P.PERSONAL_DATA_READ,
            P.CYLINDER_HISTORY,
            P.FIELD_CHECK_RECORD,
            P.CASE_MANAGE,
            P.STATS_READ,
        }
    ),
    Role.TRADER: frozenset(
        _COMMON
        | {
            P.CYLINDER_WRITE,
            P.CONTRACT_MANAGE,
            P.DEVICE_KEY_MANAGE,
            P.USER_MANAGE,  # only its own organisation's trader/station/shop accounts
            P.LABEL_READ,
            P.LEDGER_RECORD,
            P.LEDGER_READ,
            P.PERSONAL_DATA_READ,
        }
    ),
    Role.STATION: frozenset(
        _COMMON | {P.FILL_RECORD, P.LABEL_READ, P.LEDGER_RECORD, P.LEDGER_READ}
    ),
    Role.SHOP: frozenset(
        _COMMON | {P.SHOP_RECEIPT, P.LEDGER_RECORD, P.LEDGER_READ, P.PERSONAL_DATA_READ}
    ),
}

AUTHORITY_ROLES = frozenset({Role.ADMIN, Role.INSPECTOR})


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a user, or a device acting for one facility."""

    role: Role
    organisation_id: int
    facility_id: int | None = None
    user_id: int | None = None
    device_id: int | None = None
    name: str = ""
    session_id: str | None = None
    client_ip: str | None = None
    request_id: str | None = None

    @property
    def is_authority(self) -> bool:
        """Department admins and inspectors see every organisation's data."""
        return self.role in AUTHORITY_ROLES

    def has(self, permission: Permission) -> bool:
        return permission is P.PUBLIC or permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.has(permission):
            raise Forbidden(f"missing permission {permission.value}")

    def can_read_org(self, organisation_id: int | None) -> bool:
        return self.is_authority or organisation_id == self.organisation_id

    def can_write_org(self, organisation_id: int | None) -> bool:
        """Inspectors read everything but change nothing in the registry; admins change any."""
        return self.role == Role.ADMIN or organisation_id == self.organisation_id

    def ensure_read_org(self, organisation_id: int | None, what: str = "resource") -> None:
        """Foreign data answers 404, so its existence is not revealed either."""
        if not self.can_read_org(organisation_id):
            raise NotFound(f"{what} not found")

    def ensure_write_org(self, organisation_id: int | None, what: str = "resource") -> None:
        if not self.can_read_org(organisation_id):
            raise NotFound(f"{what} not found")
        if not self.can_write_org(organisation_id):
            raise Forbidden(f"you may not change this {what}")

    @property
    def actor(self) -> dict[str, int | str | None]:
        """The fields the audit log and ledger record about who acted."""
        return {"user_id": self.user_id, "device_id": self.device_id, "name": self.name}
