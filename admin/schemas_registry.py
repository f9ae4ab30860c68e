"""Marshmallow building blocks shared by the registry's HTTP modules.

Text fields are trimmed and refuse control characters (PostgreSQL rejects NUL bytes, and nobody
types a tab into a company name); ids are bounded so no database sees an out-of-range integer.
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from flask import request

from traceability.errors import NotFound
from traceability.paging import MAX_PER_PAGE
from traceability.registry import etag

MAX_ID = 2**63 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Text(ma.fields.String):
    """A trimmed single-line string with bounded length."""

    def __init__(
        self, max_length: int, min_length: int = 1, pattern: str | None = None, **kwargs: Any
    ) -> None:
        checks: list[Any] = [ma.validate.Length(min_length, max_length)]
        if pattern:  # checked after trimming, so `$` cannot be satisfied by a trailing newline
            checks.append(ma.validate.Regexp(pattern, error=kwargs.pop("error", None)))
        super().__init__(validate=checks, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if _CONTROL.search(text):
            raise ma.ValidationError("Control characters are not allowed.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate such as "\ud800" sent as a JSON escape
            raise ma.ValidationError("Not valid Unicode text.") from None
        return text


def Id(**kwargs: Any) -> ma.fields.Integer:
    """A positive database id."""
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(1, MAX_ID), **kwargs)


def QueryId(**kwargs: Any) -> ma.fields.Integer:
    """A positive database id in a query string (where everything arrives as text)."""
    return ma.fields.Integer(validate=ma.validate.Range(1, MAX_ID), **kwargs)


def Code(pattern: str, max_length: int, **kwargs: Any) -> ma.fields.String:
    """An ASCII identifier; stored as given after trimming and upper-casing."""
    return UpperCode(
        validate=[ma.validate.Length(1, max_length), ma.validate.Regexp(pattern)], **kwargs
    )


class UpperCode(ma.fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text.isascii():  # before upper(): "ß".upper() is "SS"
            raise ma.ValidationError("ASCII letters, digits and - . _ only.")
        return text.upper()


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 100_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, MAX_PER_PAGE))


def page_of(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A page envelope `{items, page, per_page, total}` for one item schema."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
            "total": ma.fields.Integer(metadata={"description": "Rows matching, all pages"}),
        },
        name=name,
    )


def checked_id(value: int, what: str) -> int:
    """Path ids beyond the database's integer range cannot exist: answer 404, not 500."""
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"{what} not found")
    return value


def if_match() -> frozenset[int]:
    """The versions the request's If-Match accepts (428 when it has none)."""
    return etag.expected_versions(request.headers.get("If-Match"))


def with_etag(body: dict[str, Any], status: int = 200) -> tuple[dict[str, Any], int, dict]:
    """A response carrying the representation's ETag for a later conditional PATCH."""
    return body, status, {"ETag": etag.etag_of_version(body["version"])}


ETAG_HEADER = {
    "ETag": {
        "description": "The representation's version; send it back in If-Match to change it.",
        "schema": {"type": "string", "example": '"v3"'},
    }
}

PRECONDITION_DOCS = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "schema": {"type": "string"},
            "description": 'The ETag from the GET you edited (e.g. `"v3"`).',
        }
    ]
}
