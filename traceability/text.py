"""Vietnamese-aware text folding so "Bien Hoa" finds "Biên Hòa" on SQLite and PostgreSQL alike."""

from __future__ import annotations

import unicodedata

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse whitespace: the stored search form."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def like_pattern(query: str) -> str:
    """A LIKE pattern matching the folded query anywhere, with wildcards in the query escaped."""
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
