"""Optimistic concurrency for any row with a `version` column: ETag out, If-Match in.

A client PATCHes with the ETag it read; a missing If-Match is refused (428) so no client can
overwrite a change it never saw, a stale one is refused (412). The web layer turns the header
into an expected version (`expected_version`); the service locks the row, compares (`ensure_current`)
and bumps the version on change (`bump`), all in one transaction.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from traceability.errors import DomainError, NotFound, PreconditionFailed


class PreconditionRequired(DomainError):
    status = 428
    code = "precondition_required"
    message_vi = "Cần gửi kèm If-Match với ETag đã đọc để tránh ghi đè thay đổi của người khác."
    message_en = "Send If-Match with the ETag you read, so nobody's change is overwritten."


class Versioned(Protocol):
    id: Any
    version: int


V = TypeVar("V", bound=Versioned)

_TAG = re.compile(r'^(?:W/)?"v(\d{1,18})"$')


def etag_of_version(version: int) -> str:
    """The strong ETag of a row version, e.g. `"v3"`."""
    return f'"v{version}"'


def etag_for(entity: Versioned) -> str:
    return etag_of_version(entity.version)


def expected_versions(if_match: str | None) -> frozenset[int]:
    """The versions an If-Match header accepts; 428 when absent, `*` or unreadable."""
    if not if_match or not if_match.strip():
        raise PreconditionRequired("If-Match header missing")
    versions = set()
    for part in if_match.split(","):
        match = _TAG.match(part.strip())
        if match is None:
            raise PreconditionRequired(f"If-Match must carry an ETag of this API, got {part!r}")
        versions.add(int(match.group(1)))
    return frozenset(versions)


def load_for_update(session: Session, model: type[V], entity_id: int, what: str) -> V:
    """Fetch and lock a row (PostgreSQL row lock; SQLite writers are already serialised)."""
    entity = session.get(model, entity_id, with_for_update=True)
    if entity is None:
        raise NotFound(f"{what} not found")
    return entity


def ensure_current(entity: Versioned, accepted: frozenset[int]) -> None:
    """Refuse (412) when the row changed since the client read it."""
    if entity.version not in accepted:
        raise PreconditionFailed(
            f"current version is {entity.version}", current_etag=etag_for(entity)
        )


def bump(entity: Versioned, changed: dict[str, Any]) -> None:
    """Advance the version when something changed, so every earlier ETag goes stale."""
    if changed:
        entity.version += 1
