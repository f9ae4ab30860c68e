"""Offline verifier and its CLI: every verdict, hostile JWKS input, and exit codes."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from traceability.labels.cli import verify_offline_command
from traceability.labels.codec import (
    LabelClaims,
    issue_token,
    jwk_thumbprint,
    key_id_from_thumbprint,
    label_url,
    public_jwk,
)
from traceability.labels.offline import OFFLINE_CAVEAT, verify_offline

FILLED = datetime(2025, 3, 14, 8, 30, tzinfo=UTC)


class Station:
    """A signing key plus the JWKS entry a server would publish for it."""

    def __init__(self, seed: int, **lifecycle: object) -> None:
        self.private = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
        self.public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.kid = jwk_thumbprint(self.public)
        self.jwk = public_jwk(self.public) | {
            "lpg_status": "active",
            "lpg_valid_from": "2025-01-01T00:00:00Z",
            "lpg_retired_at": None,
            "lpg_compromised_at": None,
            "lpg_station": f"Station {seed}",
        }
        self.jwk.update(lifecycle)

    def claims(self, filled_at: datetime = FILLED) -> LabelClaims:
        return LabelClaims(
            key_id=key_id_from_thumbprint(self.kid),
            label_id=bytes.fromhex("a1b2c3d4e5f60718"),
            serial="PM45-000777",
            brand_code="PETROVN",
            type_code="45",
            tare_kg=Decimal("35.50"),
            net_kg=Decimal("45.00"),
            inspection_due=date(2027, 1, 31),
            filled_at=filled_at,
        )

    def token(self, filled_at: datetime = FILLED) -> str:
        return issue_token(self.claims(filled_at), self.private.sign)


def jwks(*stations: Station) -> dict:
    return {"keys": [station.jwk for station in stations]}


def test_valid_signature_from_url() -> None:
    station = Station(1)
    url = label_url("https://lpg.example.vn", station.token())
    result = verify_offline(jwks(Station(2), station), url.lower())
    assert result.verdict == "signature_valid"
    assert result.claims == station.claims()
    assert (result.station, result.key_status) == ("Station 1", "active")
    assert "superseded" in result.detail and OFFLINE_CAVEAT in result.detail


def test_retired_key_still_verifies_labels_signed_while_valid() -> None:
    station = Station(1, lpg_status="retired", lpg_retired_at="2025-06-01T00:00:00Z")
    result = verify_offline(jwks(station), station.token())
    assert (result.verdict, result.key_status) == ("signature_valid", "retired")


@pytest.mark.parametrize(
    ("lifecycle", "filled_at"),
    [
        ({"lpg_valid_from": "2025-03-14T08:31:00Z"}, FILLED),
        ({"lpg_status": "retired", "lpg_retired_at": "2025-03-14T08:29:59Z"}, FILLED),
        ({"lpg_retired_at": "2025-01-02T00:00:00+07:00"}, FILLED),
    ],
)
def test_signed_outside_key_validity(lifecycle: dict, filled_at: datetime) -> None:
    station = Station(1, **lifecycle)
    result = verify_offline(jwks(station), station.token(filled_at))
    assert result.verdict == "signed_outside_key_validity"
    assert result.claims is not None


def test_valid_from_within_the_same_minute_is_accepted() -> None:
    station = Station(1, lpg_valid_from="2025-03-14T08:30:45Z")
    assert verify_offline(jwks(station), station.token()).verdict == "signature_valid"


@pytest.mark.parametrize(
    "compromised_at", ["2025-03-14T08:30:00Z", "2025-03-14T08:30:59Z", "2025-02-01T00:00:00Z", None]
)
def test_revoked_key_after_compromise(compromised_at: str | None) -> None:
    station = Station(1, lpg_status="revoked", lpg_compromised_at=compromised_at)
    result = verify_offline(jwks(station), station.token())
    assert (result.verdict, result.key_status) == ("key_revoked", "revoked")


def test_revoked_key_before_compromise_is_valid_but_flagged() -> None:
    station = Station(1, lpg_status="revoked", lpg_compromised_at="2025-04-01T00:00:00Z")
    result = verify_offline(jwks(station), station.token())
    assert (result.verdict, result.key_status) == ("signature_valid", "revoked")
    assert "later revoked" in result.detail and "backdate" in result.detail


def test_unknown_key() -> None:
    result = verify_offline(jwks(Station(2)), Station(1).token())
    assert result.verdict == "unknown_key"
    assert result.station is None and result.claims is not None


def test_bad_signature_when_another_key_signs_under_a_known_key_id() -> None:
    victim, forger = Station(1), Station(2)
    forged = issue_token(victim.claims(), forger.private.sign)
    result = verify_offline(jwks(victim, forger), forged)
    assert result.verdict == "bad_signature"
    assert result.station == "Station 1"


def _b32decode(token: str) -> bytes:
    return base64.b32decode(token + "=" * (-len(token) % 8))


def test_tampered_field_is_bad_signature() -> None:
    station = Station(1)
    genuine = _b32decode(station.token())
    altered = replace(station.claims(), net_kg=Decimal("50.00"))
    altered_payload = _b32decode(issue_token(altered, lambda payload: bytes(64)))[:-64]
    spliced = base64.b32encode(altered_payload + genuine[-64:]).decode().rstrip("=")
    assert verify_offline(jwks(station), spliced).verdict == "bad_signature"


@pytest.mark.parametrize("text", ["", "hello", "https://lpg.example.vn/x/ABC", "A" * 500])
def test_malformed(text: str) -> None:
    result = verify_offline(jwks(Station(1)), text)
    assert (result.verdict, result.claims, result.station) == ("malformed", None, None)


def test_kid_that_is_not_the_thumbprint_of_x_is_ignored() -> None:
    honest, impostor = Station(1), Station(2)
    impostor.jwk["kid"] = honest.kid
    result = verify_offline(jwks(impostor), honest.token())
    assert result.verdict == "unknown_key"


@pytest.mark.parametrize(
    "lifecycle",
    [
        {"lpg_status": "suspended"},
        {"lpg_status": None},
        {"lpg_valid_from": None},
        {"lpg_valid_from": "yesterday"},
        {"lpg_retired_at": 12},
        {"lpg_compromised_at": "2025-13-01T00:00:00Z"},
        {"lpg_valid_from": "0001-01-01T00:00:00+01:00"},
    ],
)
def test_unusable_jwks_metadata_is_unknown_key(lifecycle: dict) -> None:
    station = Station(1, **lifecycle)
    result = verify_offline(jwks(station), station.token())
    assert result.verdict == "unknown_key"
    assert "unusable" in result.detail


def test_revoked_duplicate_entry_wins() -> None:
    station = Station(1)
    revoked = dict(station.jwk, lpg_status="revoked", lpg_compromised_at="2025-01-01T00:00:00Z")
    result = verify_offline({"keys": [station.jwk, revoked]}, station.token())
    assert result.verdict == "key_revoked"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@given(json_values, json_values)
def test_hostile_jwks_never_raises(keys: object, entry: object) -> None:
    station = Station(1)
    for document in ({"keys": keys}, {"keys": [entry, station.jwk]}, keys):
        result = verify_offline(document, station.token())  # type: ignore[arg-type]
        assert result.verdict in {"signature_valid", "unknown_key"}


@given(st.dictionaries(st.sampled_from(sorted(Station(1).jwk)), json_values))
def test_hostile_jwk_members_never_raise(changes: dict) -> None:
    station = Station(1)
    result = verify_offline({"keys": [station.jwk | changes]}, station.token())
    assert result.verdict in {
        "signature_valid",
        "unknown_key",
        "key_revoked",
        "signed_outside_key_validity",
    }


@pytest.fixture
def jwks_file(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(Station(1))), encoding="utf-8")
    return path


def test_cli_valid_plain_text(jwks_file) -> None:
    url = label_url("https://lpg.example.vn", Station(1).token())
    result = CliRunner().invoke(verify_offline_command, ["--jwks", str(jwks_file), url])
    assert result.exit_code == 0, result.output
    assert "signature_valid" in result.output
    for expected in ("PM45-000777", "PETROVN", "35.50", "45.00", "2027-01-31", "2025-03-14T08:30Z"):
        assert expected in result.output
    assert "NOT verified" not in result.output


def test_cli_json_output(jwks_file) -> None:
    args = ["--jwks", str(jwks_file), "--json", Station(1).token()]
    result = CliRunner().invoke(verify_offline_command, args)
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["verdict"] == "signature_valid" and data["station"] == "Station 1"
    assert data["claims"]["serial"] == "PM45-000777"
    assert data["claims"]["label_id"] == "a1b2c3d4e5f60718"


def test_cli_unknown_key_exits_1_and_warns(jwks_file) -> None:
    result = CliRunner().invoke(
        verify_offline_command, ["--jwks", str(jwks_file), Station(9).token()]
    )
    assert result.exit_code == 1
    assert "unknown_key" in result.output and "NOT verified" in result.output


def test_cli_malformed_exits_1(jwks_file) -> None:
    result = CliRunner().invoke(verify_offline_command, ["--jwks", str(jwks_file), "--json", "x"])
    assert result.exit_code == 1
    assert json.loads(result.output)["verdict"] == "malformed"


@pytest.mark.parametrize("content", ["not json", "[1, 2]"])
def test_cli_unreadable_jwks(tmp_path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(verify_offline_command, ["--jwks", str(path), "ABC"])
    assert result.exit_code == 1
    assert "JWKS" in result.output


def test_cli_requires_jwks() -> None:
    assert CliRunner().invoke(verify_offline_command, ["ABC"]).exit_code == 2
