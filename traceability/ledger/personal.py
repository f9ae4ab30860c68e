"""Customer name, address and phone: sealed at rest, opened only for those allowed, every read audited."""

from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidTag

from traceability import audit
from traceability.crypto import Keyring
from traceability.db import Database
from traceability.errors import NotFound
from traceability.models import LedgerEntry
from traceability.permissions import Permission, Principal

PURPOSE = "personal-data"
FIELDS = ("customer_name", "customer_address", "customer_phone")


class PersonalDataUnreadable(NotFound):
    code = "personal_data_unreadable"
    message_vi = "Không giải mã được dữ liệu cá nhân của bút toán này."
    message_en = "The personal data of this entry cannot be decrypted."


def seal(keyring: Keyring, entry_uuid: str, customer: dict[str, Any]) -> bytes:
    """AES-GCM under the personal-data key, bound to the entry's UUID so it cannot be moved."""
    plain = {name: customer[name] for name in FIELDS if customer.get(name)}
    body = json.dumps(plain, ensure_ascii=False, sort_keys=True).encode()
    return keyring.seal(PURPOSE, body, aad=entry_uuid.encode())


def open_sealed(keyring: Keyring, sealed: bytes, entry_uuid: str) -> dict[str, Any]:
    """Open sealed customer data of the entry with that UUID (callers check who is asking)."""
    try:
        opened = keyring.open(PURPOSE, sealed, aad=entry_uuid.encode())
    except (InvalidTag, ValueError):
        raise PersonalDataUnreadable(f"entry {entry_uuid}") from None
    data: dict[str, Any] = json.loads(opened)
    return data


def unseal(keyring: Keyring, entry: LedgerEntry) -> dict[str, Any]:
    """Open an entry's personal data (callers must have checked who is asking)."""
    if entry.sealed_personal_data is None:
        return {}
    return open_sealed(keyring, entry.sealed_personal_data, entry.entry_uuid)


def may_read(principal: Principal, entry: LedgerEntry) -> bool:
    """The selling organisation, inspectors and admins; nobody else learns the entry exists."""
    return principal.has(Permission.PERSONAL_DATA_READ) and (
        principal.is_authority or principal.organisation_id == entry.actor_org_id
    )


def read_personal_data(
    db: Database, keyring: Keyring, principal: Principal, entry_id: int
) -> dict[str, Any]:
    """Return the customer's data of one entry and write who read it to the audit log."""
    principal.require(Permission.PERSONAL_DATA_READ)
    with db.transaction() as session:
        entry = session.get(LedgerEntry, entry_id)
        if entry is None or not may_read(principal, entry):
            raise NotFound("ledger entry not found")
        data = unseal(keyring, entry)
        audit.record(
            session,
            principal,
            "personal_data.read",
            "ledger_entry",
            entry.id,
            {"fields": sorted(data)},
            organisation_id=entry.actor_org_id,
        )
    return {"entry_id": entry.id, "entry_uuid": entry.entry_uuid, "kind": entry.kind, **data}
