"""E-mail rendering in the recipient's language: once per template for many recipients, each
recipient's own values (name, link, place in line) put in afterwards."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.backends.django import DjangoTemplates
from django.template.loader import select_template
from django.utils import translation
from django.utils.html import escape

from notifications.email import one_line

_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
# One secret per process: a recipient cannot type a marker into their name. A marker is
# "<field>-<token>"; what autoescaping, linebreaks and the like leave unchanged.
_TOKEN = uuid.uuid4().hex
_MARKED = re.compile(f"([A-Za-z_][A-Za-z0-9_]*)-{_TOKEN}")
# Any trace of the token after the values are in (a filter upper-cased or cut a marker).
_LEFTOVER = re.compile(_TOKEN[:12], re.IGNORECASE)
_REUSED_SIZE = 256
_reused: dict[Hashable, Rendered] = {}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@functools.cache
def _text_templates() -> DjangoTemplates:
    """The project's template setup without HTML autoescaping, for subjects and plain text."""
    base = settings.TEMPLATES[0]
    return DjangoTemplates(
        {
            "NAME": "notifications-text",
            "DIRS": base.get("DIRS", []),
            "APP_DIRS": base.get("APP_DIRS", True),
            "OPTIONS": {**base.get("OPTIONS", {}), "autoescape": False},
        }
    )


def _render(names: list[str], context: dict[str, Any], *, html: bool) -> str:
    if html:
        return select_template(names).render(context)
    engine = _text_templates()
    for name in names:
        try:
            return engine.get_template(name).render(context)
        except TemplateDoesNotExist:
            continue
    raise TemplateDoesNotExist(", ".join(names))


def render_message(template: str, context: Mapping[str, Any], *, language: str) -> Rendered:
    """Render ``<template>_subject.txt``, ``.txt`` and ``.html`` in the recipient's language.

    Rendered when the change is made (translated when raised), never in the worker. For each
    part a language variant (``<template>.en.txt``, ``<template>_subject.en.txt``) is used if
    it exists, else the common template (which may use ``{% translate %}``). Text parts are
    rendered without HTML escaping. Templates may extend ``notifications/email/base.txt`` and
    ``base.html`` (layout and footer in the recipient's language); ``site_url`` and
    ``language`` are in the context.
    """
    context = {"site_url": settings.SITE_URL, "language": language, **context}
    with translation.override(language):
        subject = _render(
            [f"{template}_subject.{language}.txt", f"{template}_subject.txt"], context, html=False
        )
        text = _render([f"{template}.{language}.txt", f"{template}.txt"], context, html=False)
        html = _render([f"{template}.{language}.html", f"{template}.html"], context, html=True)
    # Template tags leave blank lines behind; a plain-text reader wants at most one in a row.
    text = _BLANK_LINES.sub("\n\n", text.strip()) + "\n"
    return Rendered(subject=one_line(subject), text=text, html=html)


def _shape(language: str, values: Mapping[str, Any]) -> tuple:
    """What a rendering with markers depends on besides the shared context: the language, the
    names of the values and the empty ones, which the template may branch on (``{% if x %}``)."""
    return (language, tuple(sorted((k, None if v else repr(v)) for k, v in values.items())))


def _put_in(marked: Rendered, values: Mapping[str, Any]) -> Rendered | None:
    """``marked`` with each marker replaced by its value (escaped in HTML); None where a marker
    was changed by the template or names no value, so the caller renders the whole message."""
    plain = {key: str(value) for key, value in values.items() if value}
    escaped = {key: escape(value) for key, value in plain.items()}
    try:
        result = Rendered(
            subject=_MARKED.sub(lambda m: plain[m[1]], marked.subject),
            text=_MARKED.sub(lambda m: plain[m[1]], marked.text),
            html=_MARKED.sub(lambda m: escaped[m[1]], marked.html),
        )
    except KeyError:
        return None
    if any(_LEFTOVER.search(part) for part in (result.subject, result.text, result.html)):
        return None
    return result


def render_each(
    template: str,
    shared: Mapping[str, Any],
    people: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    reuse_key: Hashable | None = None,
) -> list[Rendered]:
    """``template`` for each of ``people`` (language, own values), rendered once per language
    and set of empty values, with each person's values put in where the template shows them.

    Only the values reach one person's message; ``shared`` is everybody's, so the caller never
    puts one person's data there. With ``reuse_key`` (naming everything ``shared`` holds) the
    rendering is kept per process and reused by later calls with the same key.
    """
    counts: dict[tuple, int] = {}
    for language, values in people:
        shape = _shape(language, values)
        counts[shape] = counts.get(shape, 0) + 1
    marked: dict[tuple, Rendered] = {}
    result = []
    for language, values in people:
        shape = _shape(language, values)
        whole = {**shared, **values}
        if reuse_key is None and counts[shape] == 1:  # nobody shares it: render it as it is
            result.append(render_message(template, whole, language=language))
            continue
        if shape not in marked:
            key = (reuse_key, template, shape) if reuse_key is not None else None
            found = _reused.get(key) if key is not None else None
            if found is None:
                markers = {k: (f"{k}-{_TOKEN}" if v else v) for k, v in values.items()}
                found = render_message(template, {**shared, **markers}, language=language)
                if key is not None:
                    if len(_reused) >= _REUSED_SIZE:
                        _reused.clear()
                    _reused[key] = found
            marked[shape] = found
        personal = _put_in(marked[shape], values)
        result.append(personal or render_message(template, whole, language=language))
    return result
