"""One page of a query's rows plus the total, so every list endpoint pages the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    """Rows of one page; `total` counts every row the filters match."""

    items: list[T]
    page: int
    per_page: int
    total: int


def fetch_page(session: Session, stmt: Select[Any], page: int, per_page: int) -> Page[Any]:
    """Run `stmt` (already filtered and ordered) for one page and count all its matches."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)
