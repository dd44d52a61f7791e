"""Search text from users made safe for the database's full-text search (library, forum)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from core.errors import Invalid

MAX_QUERY_CHARS = 500
MAX_TERMS = 16
# Private-use characters mark the hits inside the database's snippet, so that the text can be
# escaped as a whole first and the marks turned into <mark> afterwards.
MARK_START = "\ue000"
MARK_END = "\ue001"
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
_WORD = re.compile(r"\w+")


def strip_unsafe(text: str) -> str:
    """Remove control characters (PostgreSQL refuses NUL) and our highlight marks."""
    return _UNSAFE_CHARS.sub(" ", text)


def clean_query(raw: str | None) -> str:
    """The user's search text made safe, or "" when it holds no word at all.

    Longer than MAX_QUERY_CHARS is refused (400, field "q"): nobody types that, and a bounded
    query keeps the database's work bounded.
    """
    raw = raw or ""
    if len(raw) > MAX_QUERY_CHARS:
        raise Invalid(
            _("Der Suchbegriff ist zu lang (höchstens %(n)s Zeichen).") % {"n": MAX_QUERY_CHARS},
            code="query_too_long",
            fields={"q": [_("Höchstens %(n)s Zeichen.") % {"n": MAX_QUERY_CHARS}]},
        )
    text = " ".join(strip_unsafe(raw).split())
    return text if _WORD.search(text) else ""


def fts5_query(text: str) -> str:
    """FTS5 MATCH expression: every word quoted (no operators, columns or prefixes), all needed."""
    terms = _WORD.findall(text)[:MAX_TERMS]
    return " ".join(f'"{term}"' for term in terms)
