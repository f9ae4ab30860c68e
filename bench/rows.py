"""Row formats of the generated tables and the exact text the ledger hash covers.

Everything here must produce byte-for-byte what the application would store and hash; the
smoke tests in tests/bench recompute the chain and signatures with the application's code.
"""

from __future__ import annotations

import hashlib
import random
import struct
import time
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench.reference import COMPROMISE_BEFORE_ROTATION_DAYS
from traceability.crypto import Keyring
from traceability.labels.codec import FORMAT_VERSION, TIME_EPOCH
from traceability.ledger.chain import HASHED_FIELDS
from traceability.models.enums import CylinderStatus

DAY = 86_400

CYLINDER_COLUMNS = [
    "id",
    "owner_id",
    "brand_id",
    "serial",
    "serial_search",
    "type_id",
    "manufacturer",
    "manufactured_on",
    "tare_kg",
    "last_inspected_on",
    "inspection_due",
    "status",
    "holder_org_id",
    "holder_facility_id",
    "current_label_id",
    "created_at",
    "updated_at",
    "version",
]
FILL_COLUMNS = [
    "id",
    "client_uuid",
    "content_hash",
    "station_id",
    "cylinder_id",
    "owner_id",
    "hiring_org_id",
    "filled_at",
    "net_kg",
    "gross_kg",
    "operator",
    "recorded_by_user_id",
    "recorded_by_device_id",
    "recorded_at",
    "inspection_due",
    "dispatched_at",
]
LABEL_COLUMNS = [
    "id",
    "label_uid",
    "manual_code",
    "fill_id",
    "cylinder_id",
    "signing_key_id",
    "token",
    "issued_at",
    "superseded_at",
    "superseded_by_id",
]
LEDGER_COLUMNS = ["id", *HASHED_FIELDS, "prev_hash", "entry_hash"]
SCAN_COLUMNS = ["label_id", "cylinder_id", "scanned_at", "verdict", "client_hash", "device_class"]

# chain.canonical() as a template: sorted keys, compact, nulls spelled out. Every value we put in
# is ASCII without quotes or backslashes, so plain interpolation equals json.dumps.
CANONICAL = (
    '{"actor_facility_id":%s,"actor_org_id":%d,"anomaly":false,"content_hash":"%s",'
    '"corrects_entry_id":null,"counterparty_facility_id":%s,"counterparty_org_id":%s,'
    '"cylinder_id":%d,"details":%s,"entry_uuid":"%s","fill_id":%s,"kind":"%s",'
    '"label_id":%s,"occurred_at":"%s","reason":null,"recorded_at":"%s",'
    '"recorded_by_device_id":%s,"recorded_by_user_id":%s,"sealed_personal_data":%s}'
)


TOKEN_TAIL = struct.Struct(">HHHI")  # tare, net (0.01 kg), due (days), fill time (minutes)
MINUTE_EPOCH = int(TIME_EPOCH.timestamp())


def between(rng: random.Random, low: int, high: int) -> int:
    """rng.randint without its argument checks (a third of the generator's time otherwise)."""
    return low + int(rng.random() * (high - low + 1))


def token_payload(key_id: bytes, uid: bytes, texts: tuple[str, str, str], tail: tuple) -> bytes:
    """codec.encode_payload without its validation, for values we made; tests assert equality."""
    parts = [bytes((FORMAT_VERSION,)), key_id, uid]
    for value in texts:
        raw = value.encode()
        parts += [bytes((len(raw),)), raw]
    parts.append(TOKEN_TAIL.pack(*tail))
    return b"".join(parts)


FILL_DETAILS = '{"gross_kg":"%s","label_id":"%s","late":false,"net_kg":"%s","type":"%s"}'
EVENT_DETAILS = '{"anomalies":[]}'
CUSTOMERS = [
    {"customer_name": f"{name} {n}", "customer_address": f"Số {n}, Biên Hòa, Đồng Nai"}
    | {"customer_phone": f"09{n:08d}"}
    for n, name in enumerate(
        ["Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Thu Dung"] * 8
    )
]


class CachedKeyring(Keyring):
    """The app's Keyring, HKDF cached, nonces derived: same seed, same bytes, same chain."""

    def __init__(self, master_key_b64: str) -> None:
        super().__init__(master_key_b64)
        self._keys: dict[str, bytes] = {}

    def key(self, purpose: str) -> bytes:
        if purpose not in self._keys:
            self._keys[purpose] = super().key(purpose)
        return self._keys[purpose]

    def seal(self, purpose: str, plaintext: bytes, aad: bytes = b"") -> bytes:
        """Keyring.seal's format with a nonce derived from the (unique) aad: reproducible data."""
        nonce = hashlib.sha256(b"lpg-bench-nonce:" + aad).digest()[:12]
        return b"\x01" + nonce + AESGCM(self.key(purpose)).encrypt(nonce, plaintext, aad)


def new_uuid(rng: random.Random) -> str:
    raw = f"{rng.getrandbits(128):032x}"
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def json_value(value: int | None) -> str:
    return "null" if value is None else str(value)


class Clock:
    """Formats epoch seconds for the database (backend-specific) and for the hash (ISO, +00:00)."""

    def __init__(self, sqlite: bool) -> None:
        self.suffix = ".000000" if sqlite else ""
        self.days: dict[int, str] = {}

    def both(self, t: int) -> tuple[str, str]:
        """(database text, ISO text as chain.canonical renders an aware UTC datetime)."""
        d, rest = divmod(t, DAY)
        day = self.days.get(d)
        if day is None:
            day = self.days[d] = time.strftime("%Y-%m-%d", time.gmtime(d * DAY))
        hms = f"{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
        return f"{day} {hms}{self.suffix}", f"{day}T{hms}+00:00"

    def db(self, t: int | None) -> str | None:
        return None if t is None else self.both(t)[0]


def expected_verdict(superseded, status, due, signed_at, key, station, ctx) -> str:  # type: ignore[no-untyped-def]
    """What verification should answer for this label (used to label the token sample)."""
    revoked = station == ctx.revoked_station and key.valid_until is not None
    if revoked and signed_at >= key.valid_until - COMPROMISE_BEFORE_ROTATION_DAYS * DAY:
        return "key_revoked"
    if status != CylinderStatus.IN_SERVICE:
        return "cylinder_flagged"
    if superseded:
        return "superseded"
    if due < datetime.fromtimestamp(ctx.now, UTC).date():
        return "inspection_expired"
    return "genuine"
