"""Finding registry rows: accent-insensitive text filters, pagination, and the cross-entity search.

Names, addresses and serials are stored folded (`traceability.text.fold`) in `*_search` columns,
so one portable `LIKE … ESCAPE '\\'` finds "Biên Hòa" from "bien hoa" on SQLite and PostgreSQL.
Every word of the query must appear (in any order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from traceability.db import Database
from traceability.errors import ValidationFailed
from traceability.models import Brand, Cylinder, Facility, Organisation
from traceability.paging import Page, fetch_page
from traceability.permissions import Permission, Principal
from traceability.text import fold, like_pattern

MAX_QUERY_WORDS = 8
MIN_QUERY_LENGTH = 2
SEARCH_KINDS = ("organisation", "facility", "cylinder")
MAX_SEARCH_LIMIT = 50


class QueryTooShort(ValidationFailed):
    code = "search_query_too_short"
    message_vi = "Hãy nhập ít nhất 2 ký tự để tìm kiếm."
    message_en = "Type at least 2 characters to search."


def paginate(
    session: Session,
    stmt: Select[Any],
    page: int,
    per_page: int,
    describe: Callable[[Any], Any] = lambda row: row,
) -> Page[Any]:
    """One page of a listing (the shared `traceability.paging`), each row described for output."""
    result = fetch_page(session, stmt, page, per_page)
    return Page([describe(row) for row in result.items], result.page, result.per_page, result.total)


def words_match(column: Any, query: str | None) -> list[ColumnElement[bool]]:
    """Conditions requiring every folded word of the query inside a folded column."""
    words = fold(query).split()[:MAX_QUERY_WORDS]
    return [column.like(like_pattern(word), escape="\\") for word in words]


def text_filter(folded: Any, query: str | None, *codes: Any) -> list[ColumnElement[bool]]:
    """Every word in the folded column, or the whole query inside one of the code columns
    (tax code, facility code), so identifiers are found whatever the search column holds."""
    words = words_match(folded, query)
    if not words:
        return []
    pattern = like_pattern(query or "")
    return [or_(and_(*words), *(func.lower(code).like(pattern, escape="\\") for code in codes))]


def _prefix_first(column: Any, query: str) -> Any:
    """Order key: rows whose folded text starts with the whole query come first."""
    prefix = like_pattern(query)[1:]
    return case((column.like(prefix, escape="\\"), 0), else_=1)


def _organisations(session: Session, principal: Principal, q: str, limit: int) -> list[dict]:
    stmt = select(Organisation).where(
        *text_filter(Organisation.name_search, q, Organisation.tax_code)
    )
    if not principal.is_authority:
        stmt = stmt.where(Organisation.id == principal.organisation_id)
    stmt = stmt.order_by(_prefix_first(Organisation.name_search, q), Organisation.name_search)
    return [
        {
            "kind": "organisation",
            "id": org.id,
            "title": org.name,
            "subtitle": " · ".join(part for part in (org.tax_code, org.address) if part),
            "organisation_id": org.id,
        }
        for org in session.scalars(stmt.limit(limit))
    ]


def _facilities(session: Session, principal: Principal, q: str, limit: int) -> list[dict]:
    stmt = select(Facility).where(*text_filter(Facility.name_search, q, Facility.code))
    if not principal.is_authority:
        stmt = stmt.where(Facility.organisation_id == principal.organisation_id)
    stmt = stmt.order_by(_prefix_first(Facility.name_search, q), Facility.name_search)
    return [
        {
            "kind": "facility",
            "id": item.id,
            "title": item.name,
            "subtitle": " · ".join(part for part in (item.code, item.kind, item.address) if part),
            "organisation_id": item.organisation_id,
        }
        for item in session.scalars(stmt.limit(limit))
    ]


def _cylinders(session: Session, principal: Principal, q: str, limit: int) -> list[dict]:
    stmt = (
        select(Cylinder, Brand.code)
        .join(Brand, Brand.id == Cylinder.brand_id)
        .where(*text_filter(Cylinder.serial_search, q))
    )
    if not principal.is_authority:
        stmt = stmt.where(Cylinder.owner_id == principal.organisation_id)
    stmt = stmt.order_by(_prefix_first(Cylinder.serial_search, q), Cylinder.serial_search)
    return [
        {
            "kind": "cylinder",
            "id": cylinder.id,
            "title": cylinder.serial,
            "subtitle": f"{brand_code} · {cylinder.status}",
            "organisation_id": cylinder.owner_id,
        }
        for cylinder, brand_code in session.execute(stmt.limit(limit))
    ]


_FINDERS = {"organisation": _organisations, "facility": _facilities, "cylinder": _cylinders}


def search(
    db: Database,
    principal: Principal,
    q: str,
    kinds: Sequence[str] = SEARCH_KINDS,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Find organisations, facilities and cylinders by name, tax code, address or serial."""
    principal.require(Permission.REGISTRY_READ)
    if len(fold(q)) < MIN_QUERY_LENGTH:
        raise QueryTooShort(f"query {q!r} is too short")
    limit = max(1, min(limit, MAX_SEARCH_LIMIT))
    results: list[dict[str, Any]] = []
    with db.read() as session:
        for kind in SEARCH_KINDS:
            if kind in kinds:
                results.extend(_FINDERS[kind](session, principal, q, limit))
    return results
