"""Verify a label against a saved JWKS, for inspectors who have no connectivity at the cylinder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .codec import (
    LabelClaims,
    TokenError,
    b64url_decode,
    jwk_thumbprint,
    key_id_from_thumbprint,
    parse_token,
    signature_holds,
    token_from_text,
)

VERDICTS = (
    "signature_valid",
    "key_revoked",
    "unknown_key",
    "bad_signature",
    "malformed",
    "signed_outside_key_validity",
)
KEY_STATUSES = ("active", "retired", "revoked")
OFFLINE_CAVEAT = (
    "Offline check: it proves only that a registered station signed these fields; it cannot "
    "tell whether the label was later superseded or voided, so confirm online when possible."
)


@dataclass(frozen=True)
class OfflineResult:
    """Outcome an inspector acts on; claims are present but untrusted unless verdict is valid."""

    verdict: str
    claims: LabelClaims | None
    station: str | None
    key_status: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class _Key:
    kid: str
    public_key_raw: bytes
    status: str
    valid_from: datetime
    retired_at: datetime | None
    compromised_at: datetime | None
    station: str | None


def _instant(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO-8601 timestamp")
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _optional_instant(jwk: dict, name: str) -> datetime | None:
    value = jwk.get(name)
    return None if value is None else _instant(value, name)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _candidates(jwks: Any, key_id: bytes) -> list[tuple[str, bytes, dict]]:
    """JWKS entries whose thumbprint (recomputed from x, never trusted from kid) matches key_id."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    found = []
    for jwk in keys if isinstance(keys, list) else []:
        if not isinstance(jwk, dict) or (jwk.get("kty"), jwk.get("crv")) != ("OKP", "Ed25519"):
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", "EdDSA") != "EdDSA":
            continue
        try:
            raw = b64url_decode(jwk.get("x"))
            kid = jwk_thumbprint(raw)
        except ValueError:
            continue
        if jwk.get("kid", kid) == kid and key_id_from_thumbprint(kid) == key_id:
            found.append((kid, raw, jwk))
    return found


def _key_from(kid: str, raw: bytes, jwk: dict) -> _Key:
    status = jwk.get("lpg_status")
    if status not in KEY_STATUSES:
        raise ValueError(f"lpg_status {status!r} is not one of {', '.join(KEY_STATUSES)}")
    station = jwk.get("lpg_station")
    return _Key(
        kid=kid,
        public_key_raw=raw,
        status=status,
        valid_from=_instant(jwk.get("lpg_valid_from"), "lpg_valid_from"),
        retired_at=_optional_instant(jwk, "lpg_retired_at"),
        compromised_at=_optional_instant(jwk, "lpg_compromised_at"),
        station=station if isinstance(station, str) else None,
    )


def _judge(key: _Key, claims: LabelClaims) -> tuple[str, str]:
    filled = claims.filled_at
    stamp = filled.strftime("%Y-%m-%dT%H:%MZ")
    if key.status == "revoked" and (
        key.compromised_at is None or filled >= _floor_minute(key.compromised_at)
    ):
        since = _iso(key.compromised_at) if key.compromised_at else "an unknown time"
        return "key_revoked", (
            f"The signing key was revoked (compromised since {since}) and this label claims a "
            f"fill at {stamp}; treat it as untrusted."
        )
    if filled < _floor_minute(key.valid_from) or (key.retired_at and filled > key.retired_at):
        return "signed_outside_key_validity", (
            f"Fill time {stamp} lies outside the key's validity period "
            f"({_iso(key.valid_from)} to "
            f"{_iso(key.retired_at) if key.retired_at else 'now'}); treat it as untrusted."
        )
    detail = f"Signature valid under key {key.kid}."
    if key.status == "revoked" and key.compromised_at is not None:
        detail += (
            f" The key was later revoked (compromised {_iso(key.compromised_at)}); the fill time"
            " predates that, but a thief holding the key could backdate it, so confirm online."
        )
    return "signature_valid", f"{detail} {OFFLINE_CAVEAT}"


def verify_offline(jwks: dict, text: str) -> OfflineResult:
    """Check a scanned URL or token against a saved JWKS; never raises for bad input."""
    try:
        parsed = parse_token(token_from_text(text))
    except TokenError as exc:
        return OfflineResult("malformed", None, None, None, f"Not a valid label token: {exc}")
    claims = parsed.claims
    matches = _candidates(jwks, claims.key_id)
    if not matches:
        return OfflineResult(
            "unknown_key",
            claims,
            None,
            None,
            f"No key with id {claims.key_id.hex()} in the saved key set; refresh it when online.",
        )
    matches.sort(key=lambda match: match[2].get("lpg_status") != "revoked")
    kid, raw, jwk = matches[0]
    try:
        key = _key_from(kid, raw, jwk)
    except (ValueError, OverflowError) as exc:
        return OfflineResult(
            "unknown_key", claims, None, None, f"Saved key {kid} is unusable: {exc}"
        )
    if not signature_holds(parsed, key.public_key_raw):
        return OfflineResult(
            "bad_signature",
            claims,
            key.station,
            key.status,
            f"The signature does not match key {kid}; the label was altered or forged.",
        )
    verdict, detail = _judge(key, claims)
    return OfflineResult(verdict, claims, key.station, key.status, detail)
