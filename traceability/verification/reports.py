"""Consumer reports of suspect cylinders, queued for inspectors; contact details sealed at rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from traceability.crypto import Keyring
from traceability.db import Database
from traceability.errors import ValidationFailed
from traceability.labels.codec import TokenError, parse_token, token_from_text
from traceability.models import ConsumerReport, Label
from traceability.verification.scanlog import coarse

REPORT_REASONS = (
    "serial_mismatch",
    "seal_broken",
    "underweight",
    "leak_or_damage",
    "label_suspect",
    "illegal_refill",
    "other",
)
MAX_TEXT = 1000
MAX_CONTACT = 200
CONTACT_PURPOSE = "personal-data"
# Reports sealed before the AAD named their row; still opened, see `open_contact`.
LEGACY_CONTACT_AAD = b"consumer_reports.sealed_contact"


def contact_aad(report_id: int) -> bytes:
    """Binds a sealed contact to its report: copied onto another row, it no longer opens."""
    return LEGACY_CONTACT_AAD + b":" + str(report_id).encode()


def open_contact(keyring: Keyring, report_id: int, sealed: bytes) -> bytes:
    """The contact sealed on this report (raises InvalidTag when it was sealed for another)."""
    try:
        return keyring.open(CONTACT_PURPOSE, sealed, contact_aad(report_id))
    except InvalidTag:
        return keyring.open(CONTACT_PURPOSE, sealed, LEGACY_CONTACT_AAD)


class UnknownReportReason(ValidationFailed):
    code = "unknown_report_reason"
    message_vi = "Lý do báo cáo không hợp lệ."
    message_en = "Unknown report reason."


@dataclass(frozen=True, slots=True)
class NewReport:
    """What a member of the public may send; everything but the reason is optional."""

    reason: str
    token: str | None = None
    text: str | None = None
    contact: str | None = None
    latitude: float | None = None
    longitude: float | None = None


def _label_of(session, token_text: str | None) -> tuple[int | None, int | None]:  # type: ignore[no-untyped-def]
    """The registered label a token names, if any; a forged one still gets its report stored."""
    if not token_text:
        return None, None
    try:
        parsed = parse_token(token_from_text(token_text))
    except TokenError:
        return None, None
    row = session.execute(
        select(Label.id, Label.cylinder_id).where(Label.label_uid == parsed.claims.label_id)
    ).first()
    return (row.id, row.cylinder_id) if row else (None, None)


def _clean(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationFailed(f"at most {limit} characters")
    return text or None


def submit_report(
    db: Database, keyring: Keyring, report: NewReport, *, client_hash: str, now: datetime
) -> int:
    """Store a report in the inspectors' queue and return its id."""
    if report.reason not in REPORT_REASONS:
        raise UnknownReportReason(f"reason must be one of: {', '.join(REPORT_REASONS)}")
    text = _clean(report.text, MAX_TEXT)
    contact = _clean(report.contact, MAX_CONTACT)
    with db.transaction() as session:
        label_id, cylinder_id = _label_of(session, report.token)
        item = ConsumerReport(
            label_id=label_id,
            cylinder_id=cylinder_id,
            reason=report.reason,
            text=text,
            latitude=coarse(report.latitude, -90, 90),
            longitude=coarse(report.longitude, -180, 180),
            client_hash=client_hash,
            created_at=now,
        )
        session.add(item)
        session.flush()  # the id the sealed contact is bound to
        if contact:
            item.sealed_contact = keyring.seal(
                CONTACT_PURPOSE, contact.encode(), contact_aad(item.id)
            )
        return item.id
