"""Every single-byte change of a genuine token fails verification, and so does truncation."""

from __future__ import annotations

import base64

from tests.verification.labelkit import now
from traceability.verification import ScanContext, Verdict, VerifySettings, evaluate_token, lookup


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def _memoise(monkeypatch, name: str) -> None:
    """The registry does not change during the sweep: answer repeated look-ups from memory."""
    original = getattr(lookup, name)
    answers: dict[bytes, object] = {}

    def cached(executor, key, **kwargs):
        if key not in answers:
            answers[key] = original(executor, key, **kwargs)
        return answers[key]

    monkeypatch.setattr(lookup, name, cached)


def test_every_single_byte_change_is_rejected(db, labelled, monkeypatch):
    _memoise(monkeypatch, "label_row")
    _memoise(monkeypatch, "key_row")
    token = labelled.label_a.token
    raw = base64.b32decode(token + "=" * (-len(token) % 8))
    settings, context, moment = VerifySettings(), ScanContext(), now()
    accepted = []
    with db.read_engine.connect() as connection:
        assert (
            evaluate_token(
                connection, token, now=moment, settings=settings, context=context
            ).verdict
            == Verdict.GENUINE
        )
        for position in range(len(raw)):
            for value in range(256):
                if value == raw[position]:
                    continue
                changed = raw[:position] + bytes([value]) + raw[position + 1 :]
                result = evaluate_token(
                    connection, _b32(changed), now=moment, settings=settings, context=context
                )
                if result.verdict != Verdict.NOT_GENUINE or result.public["cylinder"]:
                    accepted.append((position, value, result.verdict))
    assert accepted == []


def test_truncated_and_extended_tokens_are_rejected(db, labelled):
    token = labelled.label_a.token
    with db.read_engine.connect() as connection:
        for text in (token[:-1], token[:-8], token + "A", token + "AAAAAAAA", token[8:]):
            result = evaluate_token(
                connection, text, now=now(), settings=VerifySettings(), context=ScanContext()
            )
            assert result.verdict == Verdict.NOT_GENUINE, text
