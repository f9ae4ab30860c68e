"""Signed label token (binary claims + Ed25519, base32 for QR alphanumeric); see label-format.md."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT_VERSION = 1
KEY_ID_LEN = 8
LABEL_ID_LEN = 8
SIGNATURE_LEN = 64
MAX_TOKEN_LEN = 400
DATE_EPOCH = date(2000, 1, 1)
TIME_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SERIAL_MAX_BYTES = 32
BRAND_MAX_BYTES = 16
TYPE_MAX_BYTES = 8

_B32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
# RFC 4648 base32 digits mapped onto int()'s base-32 digits (0-9, A-V): decoding in C.
_B32_TO_INT_DIGITS = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHIJKLMNOPQRSTUV"
)
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_CHECK = _CROCKFORD + "*~$=U"
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TAIL = struct.Struct(">HHHI")


class TokenError(ValueError):
    """Unusable token or claims; `code` says why: empty, malformed, too_long, bad_check, ..."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True, slots=True)
class LabelClaims:
    """What a station vouches for about one cylinder fill; filled_at is aware UTC, whole minutes."""

    key_id: bytes
    label_id: bytes
    serial: str
    brand_code: str
    type_code: str
    tare_kg: Decimal
    net_kg: Decimal
    inspection_due: date
    filled_at: datetime


@dataclass(frozen=True, slots=True)
class ParsedToken:
    """Decoded token kept with its exact signed bytes so the signature can be checked later."""

    claims: LabelClaims
    payload: bytes
    signature: bytes


def _invalid(message: str) -> TokenError:
    return TokenError("invalid_claims", message)


def _fixed_bytes(value: bytes, length: int, name: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != length:
        raise _invalid(f"{name} must be exactly {length} bytes")
    return value


def _text_field(value: str, max_len: int, name: str, ascii_only: bool = True) -> bytes:
    if not isinstance(value, str):
        raise _invalid(f"{name} must be a string")
    if ascii_only and not all(" " <= ch <= "~" for ch in value):
        raise _invalid(f"{name} must be printable ASCII")
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in value):
        raise _invalid(f"{name} contains control or invisible characters")
    raw = value.encode("utf-8")
    if not 1 <= len(raw) <= max_len:
        raise _invalid(f"{name} must be 1..{max_len} bytes")
    return bytes([len(raw)]) + raw


def _mass_units(value: Decimal, name: str) -> int:
    ok_type = isinstance(value, Decimal | int) and not isinstance(value, bool)
    units = Decimal(value).scaleb(2) if ok_type else Decimal("NaN")
    if not units.is_finite() or units != units.to_integral_value() or not 0 < units <= 0xFFFF:
        raise _invalid(f"{name} must be 0.01..655.35 kg in steps of 0.01 kg")
    return int(units)


def _due_days(value: date) -> int:
    days = (value - DATE_EPOCH).days if type(value) is date else -1
    if not 0 <= days <= 0xFFFF:
        raise _invalid("inspection_due must be a date in 2000-01-01..2179-06-06")
    return days


def _filled_minutes(value: datetime) -> int:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise _invalid("filled_at must be a timezone-aware datetime")
    minutes, rest = divmod(value - TIME_EPOCH, timedelta(minutes=1))
    if rest or not 0 <= minutes <= 0xFFFFFFFF:
        raise _invalid("filled_at must be a whole minute on or after 2000-01-01T00:00Z")
    return minutes


def encode_payload(claims: LabelClaims) -> bytes:
    """Serialise claims to the exact bytes that get signed; raises TokenError('invalid_claims')."""
    return b"".join(
        [
            bytes([FORMAT_VERSION]),
            _fixed_bytes(claims.key_id, KEY_ID_LEN, "key_id"),
            _fixed_bytes(claims.label_id, LABEL_ID_LEN, "label_id"),
            _text_field(claims.serial, SERIAL_MAX_BYTES, "serial", ascii_only=False),
            _text_field(claims.brand_code, BRAND_MAX_BYTES, "brand_code"),
            _text_field(claims.type_code, TYPE_MAX_BYTES, "type_code"),
            _TAIL.pack(
                _mass_units(claims.tare_kg, "tare_kg"),
                _mass_units(claims.net_kg, "net_kg"),
                _due_days(claims.inspection_due),
                _filled_minutes(claims.filled_at),
            ),
        ]
    )


def decode_payload(payload: bytes) -> LabelClaims:
    """Strictly parse signed bytes; anything that would not re-encode identically is rejected."""
    if not isinstance(payload, bytes) or not payload:
        raise TokenError("malformed", "payload is empty")
    if payload[0] != FORMAT_VERSION:
        raise TokenError("unsupported_version", f"format version {payload[0]} is not supported")
    pos = 1 + KEY_ID_LEN + LABEL_ID_LEN
    texts = []
    for _ in range(3):
        end = pos + 1 + (payload[pos] if pos < len(payload) else 0)
        texts.append(payload[pos + 1 : end])
        pos = end
    try:
        tare, net, due, minutes = _TAIL.unpack_from(payload, pos)
        claims = LabelClaims(
            key_id=payload[1 : 1 + KEY_ID_LEN],
            label_id=payload[1 + KEY_ID_LEN : 1 + KEY_ID_LEN + LABEL_ID_LEN],
            serial=texts[0].decode("utf-8"),
            brand_code=texts[1].decode("ascii"),
            type_code=texts[2].decode("ascii"),
            tare_kg=Decimal(tare).scaleb(-2),
            net_kg=Decimal(net).scaleb(-2),
            inspection_due=DATE_EPOCH + timedelta(days=due),
            filled_at=TIME_EPOCH + timedelta(minutes=minutes),
        )
        canonical = encode_payload(claims)
    except (struct.error, UnicodeDecodeError, OverflowError, TokenError) as exc:
        raise TokenError("malformed", f"payload is invalid: {exc}") from None
    if canonical != payload:
        raise TokenError("malformed", "payload has trailing bytes")
    return claims


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _b32decode_canonical(text: str) -> bytes:
    """Unpadded upper-case base32 to bytes; b"" unless `text` is the only encoding of them.

    Canonical means no character too many (fewer than 5 bits left over) and the left-over
    bits zero, which is exactly when re-encoding the bytes gives `text` back.
    """
    spare_bits = len(text) * 5 % 8
    if not text or spare_bits >= 5:
        return b""
    number = int(text.translate(_B32_TO_INT_DIGITS), 32)
    if number & ((1 << spare_bits) - 1):
        return b""
    return (number >> spare_bits).to_bytes(len(text) * 5 // 8, "big")


def issue_token(claims: LabelClaims, sign: Callable[[bytes], bytes]) -> str:
    """Sign the payload with the station key callback and return the base32 token."""
    payload = encode_payload(claims)
    signature = sign(payload)
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_LEN:
        raise ValueError("sign() must return a 64-byte Ed25519 signature")
    return _b32(payload + signature)


def parse_token(token: str) -> ParsedToken:
    """Decode a token of any case without checking the signature; raises only TokenError."""
    if not isinstance(token, str):
        raise TokenError("malformed", "token must be text")
    text = token.strip()
    if not text:
        raise TokenError("empty", "token is empty")
    if len(text) > MAX_TOKEN_LEN:
        raise TokenError("too_long", f"token is longer than {MAX_TOKEN_LEN} characters")
    if not text.isascii() or not _B32_ALPHABET.issuperset(text.upper()):
        raise TokenError("malformed", "token is not unpadded base32")
    raw = _b32decode_canonical(text.upper())
    if not raw:
        raise TokenError("malformed", "token is not canonical unpadded base32")
    if len(raw) <= SIGNATURE_LEN:
        raise TokenError("malformed", "token is too short")
    payload, signature = raw[:-SIGNATURE_LEN], raw[-SIGNATURE_LEN:]
    return ParsedToken(claims=decode_payload(payload), payload=payload, signature=signature)


def signature_holds(parsed: ParsedToken, public_key_raw: bytes) -> bool:
    """True only if the Ed25519 signature covers the exact payload under this raw public key."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw).verify(parsed.signature, parsed.payload)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def token_from_text(text: str) -> str:
    """Pull the token out of whatever a scanner produced: a bare token or a .../v/<token> URL."""
    if not isinstance(text, str):
        raise TokenError("malformed", "expected text")
    stripped = text.strip().split("#", 1)[0].split("?", 1)[0]
    if not stripped:
        raise TokenError("empty", "no token given")
    parts = stripped.removesuffix("/").split("/")
    if len(parts) > 1 and (parts[-2] not in ("v", "V") or not parts[-1]):
        raise TokenError("malformed", "URL does not end in /V/<token>")
    return parts[-1].upper() if parts[-1].isascii() else parts[-1]


def label_url(base_url: str, token: str) -> str:
    """Upper-case URL so the whole QR payload stays in alphanumeric mode."""
    return base_url.rstrip("/").upper() + "/V/" + token.upper()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url decoding, as JWK members use."""
    if not isinstance(text, str) or not _B64URL_RE.fullmatch(text):
        raise TokenError("malformed", "not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or _b64url(raw) != text:
        raise TokenError("malformed", "not canonical unpadded base64url")
    return raw


def jwk_thumbprint(public_key_raw: bytes) -> str:
    """RFC 7638 thumbprint, used as the JWKS 'kid' so key ids are derivable, not assigned."""
    if not isinstance(public_key_raw, bytes) or len(public_key_raw) != 32:
        raise ValueError("an Ed25519 public key is exactly 32 bytes")
    members = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(public_key_raw)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
    return _b64url(hashlib.sha256(canonical).digest())


def key_id_from_thumbprint(kid: str) -> bytes:
    """Truncate a thumbprint to the 8-byte key id carried in tokens."""
    digest = b64url_decode(kid)
    if len(digest) != hashlib.sha256().digest_size:
        raise TokenError("malformed", "kid is not a SHA-256 thumbprint")
    return digest[:KEY_ID_LEN]


def public_jwk(public_key_raw: bytes) -> dict:
    """JWKS entry for a station key, without the lpg_* lifecycle members."""
    kid = jwk_thumbprint(public_key_raw)
    x = _b64url(public_key_raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}


def manual_code(label_id: bytes) -> str:
    """Human-readable label id for reading aloud when the QR is damaged."""
    _fixed_bytes(label_id, LABEL_ID_LEN, "label_id")
    value = int.from_bytes(label_id, "big")
    digits = "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(13)))
    code = digits + _CROCKFORD_CHECK[value % 37]
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def parse_manual_code(text: str) -> bytes:
    """Inverse of manual_code, forgiving of case, separators and O/I/L look-alikes."""
    if not isinstance(text, str) or not text.isascii():
        raise TokenError("malformed", "expected ASCII text")
    compact = "".join(text.split()).replace("-", "").upper().translate(_CROCKFORD_ALIASES)
    body, check = compact[:-1], compact[-1:]
    if len(compact) != 14 or not set(body) <= set(_CROCKFORD) or check not in _CROCKFORD_CHECK:
        raise TokenError("malformed", "a manual code is 14 Crockford base32 characters")
    value = sum(_CROCKFORD.index(ch) << (5 * i) for i, ch in enumerate(reversed(body)))
    if value >> (8 * LABEL_ID_LEN):
        raise TokenError("malformed", "manual code is out of range")
    if _CROCKFORD_CHECK[value % 37] != check:
        raise TokenError("bad_check", "manual code check character does not match")
    return value.to_bytes(LABEL_ID_LEN, "big")
