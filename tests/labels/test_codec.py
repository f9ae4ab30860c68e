"""Label token codec: round trips, tamper detection, strict rejection, and the spec's example."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import string
import struct
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from traceability.labels.codec import (
    FORMAT_VERSION,
    MAX_TOKEN_LEN,
    TIME_EPOCH,
    LabelClaims,
    TokenError,
    decode_payload,
    encode_payload,
    issue_token,
    jwk_thumbprint,
    key_id_from_thumbprint,
    label_url,
    manual_code,
    parse_manual_code,
    parse_token,
    public_jwk,
    signature_holds,
    token_from_text,
)

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "label-format.md"
EXAMPLE_SEED = bytes(range(32))
EXAMPLE_BASE_URL = "https://lpg.example.vn"
LONG_BASE_URL = "https://truyxuat.lpg-registry.example.vn"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_SYMBOLS = CROCKFORD + "*~$=U"


def raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def example_key() -> tuple[Ed25519PrivateKey, bytes]:
    private = Ed25519PrivateKey.from_private_bytes(EXAMPLE_SEED)
    return private, raw_public(private)


def example_claims(public_key_raw: bytes) -> LabelClaims:
    return LabelClaims(
        key_id=key_id_from_thumbprint(jwk_thumbprint(public_key_raw)),
        label_id=bytes.fromhex("0123456789abcdef"),
        serial="VGAS12-2024-00012345",
        brand_code="VGAS",
        type_code="12",
        tare_kg=Decimal("15.20"),
        net_kg=Decimal("12.00"),
        inspection_due=date(2029, 6, 30),
        filled_at=datetime(2025, 3, 14, 8, 30, tzinfo=UTC),
    )


def qr_version(text: str) -> int:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    assert [chunk.mode for chunk in qr.data_list] == [qrcode.util.MODE_ALPHA_NUM]
    return qr.version


def worst_case_url() -> str:
    private, public = example_key()
    claims = replace(
        example_claims(public), serial="S" * 32, brand_code="B" * 16, type_code="T" * 8
    )
    return label_url(LONG_BASE_URL, issue_token(claims, private.sign))


def _field_rows(claims: LabelClaims, payload: bytes) -> list[tuple[str, str, str]]:
    rows = [("version", "u8", str(FORMAT_VERSION)), ("key_id", "8 bytes", "see JWK below")]
    rows.append(("label_id", "8 bytes", f"manual code {manual_code(claims.label_id)}"))
    for name, value in (
        ("serial", claims.serial),
        ("brand_code", claims.brand_code),
        ("type_code", claims.type_code),
    ):
        size = len(value.encode())
        rows += [(f"{name} length", "u8", str(size)), (name, f"{size} bytes", f'"{value}"')]
    tare, net, due, minutes = struct.unpack(">HHHI", payload[-10:])
    rows += [
        ("tare", "u16", f"{tare} x 10 g = {claims.tare_kg} kg"),
        ("net", "u16", f"{net} x 10 g = {claims.net_kg} kg"),
        ("inspection_due", "u16", f"{due} days after 2000-01-01 = {claims.inspection_due}"),
        (
            "filled_at",
            "u32",
            f"{minutes} min after 2000-01-01T00:00Z = {claims.filled_at:%Y-%m-%dT%H:%MZ}",
        ),
    ]
    return rows


def render_example() -> str:
    """Markdown for the spec's worked example, regenerated from the codec so it cannot drift."""
    private, public = example_key()
    claims = example_claims(public)
    payload = encode_payload(claims)
    token = issue_token(claims, private.sign)
    signature = base64.b32decode(token + "=" * (-len(token) % 8))[len(payload) :]
    sizes = [1, 8, 8]
    for value in (claims.serial, claims.brand_code, claims.type_code):
        sizes += [1, len(value.encode())]
    sizes += [2, 2, 2, 4]
    lines = ["| Offset | Size | Field | Hex | Meaning |", "|---:|---|---|---|---|"]
    offset = 0
    for size, (name, kind, meaning) in zip(sizes, _field_rows(claims, payload), strict=True):
        chunk = payload[offset : offset + size].hex()
        lines.append(f"| {offset} | {kind} | {name} | `{chunk}` | {meaning} |")
        offset += size
    url = label_url(EXAMPLE_BASE_URL, token)
    long_url = label_url(LONG_BASE_URL, token)
    thumbprint_input = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": public_jwk(public)["x"]}, separators=(",", ":")
    )
    jwk = public_jwk(public) | {
        "lpg_status": "active",
        "lpg_valid_from": "2025-01-01T00:00:00Z",
        "lpg_retired_at": None,
        "lpg_compromised_at": None,
        "lpg_station": "Tram chiet nap Vinh Loc",
    }
    return "\n".join(
        [
            f"Private key seed (hex): `{EXAMPLE_SEED.hex()}`",
            "",
            f"Public key (hex): `{public.hex()}`",
            "",
            f"Payload ({len(payload)} bytes):",
            "",
            "```",
            payload.hex(),
            "```",
            "",
            *lines,
            "",
            f"Signature ({len(signature)} bytes, Ed25519 over the {len(payload)} payload bytes):",
            "",
            "```",
            signature.hex(),
            "```",
            "",
            f"Token ({len(token)} characters):",
            "",
            "```",
            token,
            "```",
            "",
            f"URL ({len(url)} characters, QR version {qr_version(url)} at level M):",
            "",
            "```",
            url,
            "```",
            "",
            f"Same token under the 40-character base URL `{LONG_BASE_URL.upper()}`: "
            f"{len(long_url)} characters, QR version {qr_version(long_url)} at level M.",
            "",
            "Thumbprint input (RFC 7638 canonical JSON, UTF-8):",
            "",
            "```",
            thumbprint_input,
            "```",
            "",
            f"SHA-256 of it (hex): `{hashlib.sha256(thumbprint_input.encode()).hexdigest()}`",
            "",
            f"kid (base64url of the digest): `{jwk_thumbprint(public)}`; key_id (first 8 bytes): "
            f"`{claims.key_id.hex()}`",
            "",
            "JWKS entry:",
            "",
            "```json",
            json.dumps({"keys": [jwk]}, indent=2),
            "```",
            "",
            f"Manual code: `{manual_code(claims.label_id)}`",
            "",
            f"Worst case (40-character base URL, 32-byte serial, 16-byte brand, 8-byte type): "
            f"{len(worst_case_url())} characters, QR version {qr_version(worst_case_url())} "
            f"at level M.",
        ]
    )


def _doc_example() -> str:
    text = DOC_PATH.read_text(encoding="utf-8")
    match = re.search(r"<!-- example:begin -->\n(.*)\n<!-- example:end -->", text, re.S)
    assert match, "docs/label-format.md lacks the example markers"
    return match.group(1)


def test_doc_example_matches_codec() -> None:
    assert _doc_example() == render_example()


def example_token() -> tuple[str, bytes, LabelClaims]:
    private, public = example_key()
    claims = example_claims(public)
    return issue_token(claims, private.sign), public, claims


def test_round_trip_preserves_every_field() -> None:
    token, public, claims = example_token()
    parsed = parse_token(token)
    assert parsed.claims == claims
    for name in LabelClaims.__slots__:
        assert getattr(parsed.claims, name) == getattr(claims, name), name
    assert parsed.claims.filled_at.tzinfo is not None
    assert parsed.claims.filled_at.utcoffset() == timedelta(0)
    assert parsed.claims.tare_kg == Decimal("15.20") and parsed.claims.net_kg == Decimal("12")
    assert signature_holds(parsed, public)
    assert parse_token(token.lower()) == parsed
    assert parsed.payload == encode_payload(claims) and len(parsed.signature) == 64


def test_non_utc_filled_at_is_normalised() -> None:
    _, public = example_key()
    ict = timezone(timedelta(hours=7))
    claims = replace(example_claims(public), filled_at=datetime(2025, 3, 14, 15, 30, tzinfo=ict))
    decoded = decode_payload(encode_payload(claims))
    assert decoded.filled_at == datetime(2025, 3, 14, 8, 30, tzinfo=UTC)
    assert decoded.filled_at.tzinfo == UTC


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def test_every_single_byte_change_is_detected() -> None:
    token, public, _ = example_token()
    raw = base64.b32decode(token + "=" * (-len(token) % 8))
    accepted = 0
    for index in range(len(raw)):
        for flip in range(1, 256):
            mutated = bytearray(raw)
            mutated[index] ^= flip
            try:
                parsed = parse_token(_b32(bytes(mutated)))
            except TokenError:
                continue
            accepted += 1
            assert not signature_holds(parsed, public), (index, flip)
    assert accepted > 0


def test_signature_holds_rejects_other_and_invalid_keys() -> None:
    token, _, _ = example_token()
    parsed = parse_token(token)
    other = raw_public(Ed25519PrivateKey.generate())
    assert not signature_holds(parsed, other)
    assert not signature_holds(parsed, b"\x00" * 31)
    assert not signature_holds(parsed, "not bytes")  # type: ignore[arg-type]


def _resigned(payload: bytes) -> str:
    private, _ = example_key()
    return _b32(payload + private.sign(payload))


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda t: "", "empty"),
        (lambda t: "   \n", "empty"),
        (lambda t: t[:-1], "malformed"),
        (lambda t: t[:-8], "malformed"),
        (lambda t: t[:100], "malformed"),
        (lambda t: t[:2], "malformed"),
        (lambda t: t + "=" * (-len(t) % 8 or 8), "malformed"),
        (lambda t: t + "A", "malformed"),
        (lambda t: t + "AAAAAAAA", "malformed"),
        (lambda t: t + "A" * (MAX_TOKEN_LEN + 1 - len(t)), "too_long"),
        (lambda t: t[:-1] + "1", "malformed"),
        (lambda t: t[:50] + "0" + t[51:], "malformed"),
        (lambda t: t[:50] + "!" + t[51:], "malformed"),
        (lambda t: t[:50] + "É" + t[51:], "malformed"),
        (lambda t: t[:50] + " " + t[51:], "malformed"),
        (lambda t: "AL" + t[2:], "unsupported_version"),
        (lambda t: "AA" + t[2:], "unsupported_version"),
    ],
)
def test_bad_tokens_raise_token_error(mangle, code: str) -> None:
    token, _, _ = example_token()
    with pytest.raises(TokenError) as info:
        parse_token(mangle(token))
    assert info.value.code == code


def test_non_canonical_trailing_bits_are_rejected() -> None:
    token, _, _ = example_token()
    assert len(token) % 8 == 0 or token[-1] in "AQ"
    raw = base64.b32decode(token + "=" * (-len(token) % 8))
    padded = _b32(raw + b"\x00")
    noncanonical = padded[:-1] + ("B" if padded[-1] == "A" else "A")
    with pytest.raises(TokenError):
        parse_token(noncanonical)


def test_wrong_version_even_when_validly_signed() -> None:
    _, public = example_key()
    payload = bytes([2]) + encode_payload(example_claims(public))[1:]
    with pytest.raises(TokenError) as info:
        parse_token(_resigned(payload))
    assert info.value.code == "unsupported_version"


def test_non_string_token_is_token_error() -> None:
    with pytest.raises(TokenError):
        parse_token(b"ABC")  # type: ignore[arg-type]


def _payload_with(serial: bytes = b"S1", tail: bytes | None = None) -> bytes:
    _, public = example_key()
    claims = example_claims(public)
    head = bytes([1]) + claims.key_id + claims.label_id
    body = bytes([len(serial)]) + serial + b"\x04VGAS\x0212"
    return head + body + (tail if tail is not None else struct.pack(">HHHI", 1, 1, 1, 1))


@pytest.mark.parametrize(
    "payload",
    [
        _payload_with() + b"\x00",
        _payload_with()[:-1],
        _payload_with(serial=b""),
        _payload_with(serial=b"S" * 33),
        _payload_with(serial=b"\xff\xfe"),
        _payload_with(serial=b"A\x07B"),
        _payload_with(serial=b"A\xe2\x80\xaeB"),
        _payload_with(tail=struct.pack(">HHHI", 0, 1, 1, 1)),
        _payload_with(tail=struct.pack(">HHHI", 1, 0, 1, 1)),
        _payload_with(tail=struct.pack(">HHHI", 1, 1, 1, 0xFFFFFFFF)),
        bytes([1]) + bytes(20),
        b"",
    ],
)
def test_decode_payload_is_strict(payload: bytes) -> None:
    with pytest.raises(TokenError) as info:
        decode_payload(payload)
    assert info.value.code == "malformed"
    with pytest.raises(TokenError):
        parse_token(_resigned(payload) if payload else "")


def test_decode_payload_accepts_the_smallest_valid_payload() -> None:
    assert decode_payload(_payload_with()).serial == "S1"


@pytest.mark.parametrize(
    "changes",
    [
        {"key_id": b"\x00" * 7},
        {"label_id": b"\x00" * 9},
        {"serial": ""},
        {"serial": "Đ" * 17},
        {"serial": "AB\nC"},
        {"brand_code": "VGÁS"},
        {"brand_code": "B" * 17},
        {"type_code": ""},
        {"tare_kg": Decimal("0")},
        {"tare_kg": Decimal("655.36")},
        {"tare_kg": Decimal("12.345")},
        {"tare_kg": Decimal("NaN")},
        {"net_kg": 12.5},
        {"net_kg": Decimal("-1")},
        {"inspection_due": date(1999, 12, 31)},
        {"inspection_due": date(2179, 6, 7)},
        {"inspection_due": datetime(2029, 1, 1, tzinfo=UTC)},
        {"filled_at": datetime(2025, 3, 14, 8, 30)},
        {"filled_at": datetime(2025, 3, 14, 8, 30, 15, tzinfo=UTC)},
        {"filled_at": datetime(1999, 12, 31, 23, 59, tzinfo=UTC)},
    ],
)
def test_encode_rejects_invalid_claims(changes: dict) -> None:
    _, public = example_key()
    claims = replace(example_claims(public), **changes)
    with pytest.raises(TokenError) as info:
        encode_payload(claims)
    assert info.value.code == "invalid_claims"


def test_encode_accepts_range_limits() -> None:
    _, public = example_key()
    claims = replace(
        example_claims(public),
        serial="Đ" * 16,
        tare_kg=Decimal("655.35"),
        net_kg=Decimal("0.01"),
        inspection_due=date(2179, 6, 6),
        filled_at=TIME_EPOCH,
    )
    assert decode_payload(encode_payload(claims)) == claims


def test_issue_token_rejects_a_bad_signer() -> None:
    _, public = example_key()
    with pytest.raises(ValueError, match="64-byte"):
        issue_token(example_claims(public), lambda payload: b"\x00" * 63)


MAX_MINUTES = (datetime(9999, 12, 31, 23, 59, tzinfo=UTC) - TIME_EPOCH) // timedelta(minutes=1)
printable_ascii = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
valid_claims = st.builds(
    LabelClaims,
    key_id=st.binary(min_size=8, max_size=8),
    label_id=st.binary(min_size=8, max_size=8),
    serial=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Zl", "Zp")),
        min_size=1,
        max_size=32,
    ).filter(lambda s: len(s.encode()) <= 32),
    brand_code=st.text(printable_ascii, min_size=1, max_size=16),
    type_code=st.text(printable_ascii, min_size=1, max_size=8),
    tare_kg=st.integers(1, 0xFFFF).map(lambda n: Decimal(n).scaleb(-2)),
    net_kg=st.integers(1, 0xFFFF).map(lambda n: Decimal(n).scaleb(-2)),
    inspection_due=st.dates(date(2000, 1, 1), date(2179, 6, 6)),
    filled_at=st.integers(0, MAX_MINUTES).map(lambda m: TIME_EPOCH + timedelta(minutes=m)),
)


@given(valid_claims)
def test_property_round_trip(claims: LabelClaims) -> None:
    token = issue_token(claims, lambda payload: bytes(64))
    assert len(token) <= 240
    assert parse_token(token).claims == claims
    assert decode_payload(encode_payload(claims)) == claims


def _only_token_errors(text: str) -> None:
    with contextlib.suppress(TokenError):
        parse_token(text)
    with contextlib.suppress(TokenError):
        parse_token(token_from_text(text))


@given(st.text(max_size=500))
def test_property_parse_arbitrary_text(text: str) -> None:
    _only_token_errors(text)


@given(st.text(alphabet=string.ascii_letters + "234567=", max_size=420))
def test_property_parse_base32ish_text(text: str) -> None:
    _only_token_errors(text)


@given(st.binary(max_size=260))
def test_property_parse_arbitrary_bytes(raw: bytes) -> None:
    _only_token_errors(_b32(raw))
    _only_token_errors(_b32(bytes([FORMAT_VERSION]) + raw))


@settings(max_examples=200)
@given(st.binary(max_size=100), st.binary(min_size=64, max_size=64))
def test_property_decode_version_one_payloads(body: bytes, signature: bytes) -> None:
    _only_token_errors(_b32(bytes([FORMAT_VERSION]) + body + signature))


@pytest.mark.parametrize(
    "template",
    [
        "{t}",
        "{l}",
        "  {t}\n",
        "https://lpg.example.vn/v/{t}",
        "HTTPS://LPG.EXAMPLE.VN/V/{t}",
        "https://lpg.example.vn/V/{l}?src=scan#top",
        "https://lpg.example.vn/v/{t}/",
        "lpg.example.vn/some/prefix/V/{t}",
        "/v/{t}",
    ],
)
def test_token_from_text_accepts_urls_and_bare_tokens(template: str) -> None:
    token, _, claims = example_token()
    found = token_from_text(template.format(t=token, l=token.lower()))
    assert found == token
    assert parse_token(found).claims == claims


@pytest.mark.parametrize(
    "text",
    ["", "   ", "https://lpg.example.vn/x/ABC", "https://lpg.example.vn/v/", "https://a/v//"],
)
def test_token_from_text_rejects_non_label_urls(text: str) -> None:
    with pytest.raises(TokenError):
        token_from_text(text)


def test_label_url_is_upper_case_and_qr_alphanumeric() -> None:
    token, _, _ = example_token()
    url = label_url("https://lpg.example.vn/", token.lower())
    assert url == "HTTPS://LPG.EXAMPLE.VN/V/" + token
    assert qr_version(url) <= 10


def test_qr_fits_version_10_with_40_char_base_and_20_char_serial() -> None:
    assert len(LONG_BASE_URL) == 40
    private, public = example_key()
    claims = example_claims(public)
    assert len(claims.serial) == 20
    url = label_url(LONG_BASE_URL, issue_token(claims, private.sign))
    assert qr_version(url) <= 10
    assert len(url) <= 311


def test_worst_case_label_still_fits_version_10() -> None:
    assert len(worst_case_url()) <= 311
    assert qr_version(worst_case_url()) <= 10


def test_thumbprint_matches_rfc_8037_example() -> None:
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    raw = base64.urlsafe_b64decode(x + "=")
    assert jwk_thumbprint(raw) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert key_id_from_thumbprint(jwk_thumbprint(raw)) == bytes.fromhex("90facafea9b15566")


def test_public_jwk_members() -> None:
    _, public = example_key()
    jwk = public_jwk(public)
    assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
    assert jwk["kid"] == jwk_thumbprint(public) and len(jwk["kid"]) == 43
    assert base64.urlsafe_b64decode(jwk["x"] + "=") == public


@pytest.mark.parametrize("kid", ["", "abc", "!" * 43, "A" * 42 + "=", "A" * 44, "A" * 43 + " "])
def test_key_id_from_bad_thumbprint(kid: str) -> None:
    with pytest.raises(TokenError):
        key_id_from_thumbprint(kid)


def test_jwk_thumbprint_rejects_wrong_key_length() -> None:
    with pytest.raises(ValueError):
        jwk_thumbprint(b"\x01" * 31)


@given(st.binary(min_size=8, max_size=8))
def test_manual_code_round_trip(label_id: bytes) -> None:
    code = manual_code(label_id)
    assert re.fullmatch(r"[0-9A-Z*~$=]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z][0-9A-Z*~$=]", code)
    assert parse_manual_code(code) == label_id
    loose = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert parse_manual_code(loose) == label_id


def test_manual_code_known_value() -> None:
    assert manual_code(bytes(8)) == "0000-0000-0000-00"
    assert manual_code(b"\xff" * 8) == "FZZZ-ZZZZ-ZZZZ-Z" + CHECK_SYMBOLS[(2**64 - 1) % 37]


@pytest.mark.parametrize("label_id", [bytes.fromhex("0123456789abcdef"), b"\xff" * 8, bytes(8)])
def test_every_single_character_typo_is_caught(label_id: bytes) -> None:
    compact = manual_code(label_id).replace("-", "")
    for position, original in enumerate(compact):
        symbols = CHECK_SYMBOLS if position == len(compact) - 1 else CROCKFORD
        for typo in symbols:
            if typo == original:
                continue
            with pytest.raises(TokenError):
                parse_manual_code(compact[:position] + typo + compact[position + 1 :])


def test_adjacent_transpositions_in_the_body_are_caught() -> None:
    compact = manual_code(bytes.fromhex("0123456789abcdef")).replace("-", "")
    for i in range(len(compact) - 2):
        if compact[i] != compact[i + 1]:
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
            with pytest.raises(TokenError):
                parse_manual_code(swapped)


def test_wrong_check_char_reports_bad_check() -> None:
    code = manual_code(bytes.fromhex("0123456789abcdef"))
    wrong = "0" if code[-1] != "0" else "1"
    with pytest.raises(TokenError) as info:
        parse_manual_code(code[:-1] + wrong)
    assert info.value.code == "bad_check"


@pytest.mark.parametrize(
    "text", ["", "0000-0000-0000-0", "0000-0000-0000-000", "U000-0000-0000-00"]
)
def test_manual_code_rejects_bad_shapes(text: str) -> None:
    with pytest.raises(TokenError):
        parse_manual_code(text)


if __name__ == "__main__":
    doc = DOC_PATH.read_text(encoding="utf-8")
    start, end = "<!-- example:begin -->\n", "\n<!-- example:end -->"
    head, rest = doc.split(start, 1)
    DOC_PATH.write_text(head + start + render_example() + end + rest.split(end, 1)[1], "utf-8")
