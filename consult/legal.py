"""The legal pages: read in the visitor's language (Markdown rendered safely), changed by
coordinators with a kept history, and the accessibility feedback sent to the coordinators."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import nh3
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from consult.legal_models import LegalPage, LegalPageRevision
from consult.membership_mail import notify_coordinators, send_notice
from core import locking
from core.errors import FieldErrors, NotFound
from core.roles import is_coordinator
from core.validators import check_text

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "hr"}
# Raw HTML off: whatever tags a coordinator types become text; nh3 is the second fence.
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(source: str) -> SafeString:
    """Sanitised HTML of a page's Markdown; links may point into this site (/datenschutz/)."""
    html = nh3.clean(
        _parser.render(source),
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return mark_safe(html)  # noqa: S308 - cleaned by nh3 just above


def _placeholders() -> dict[str, Any]:
    return {
        "retention_days": settings.PARTICIPANT_DATA_RETENTION_DAYS,
        "membership_confirm_hours": settings.MEMBERSHIP_CONFIRM_HOURS,
    }


@dataclass(frozen=True)
class ShownPage:
    slug: str
    title: str
    html: SafeString
    language: str
    updated_at: dt.datetime


def shown_page(slug: str, *, language: str) -> ShownPage:
    """The page in `language` (English falls back to German where a text is empty)."""
    page = LegalPage.objects.filter(slug=slug).first()
    if page is None:
        raise NotFound(_("Nicht gefunden."))
    english = language.startswith("en") and bool(page.body_en.strip())
    body = page.body_en if english else page.body_de
    for name, value in _placeholders().items():
        body = body.replace("{" + name + "}", str(value))
    return ShownPage(
        slug=page.slug,
        title=(page.title_en or page.title_de) if english else page.title_de,
        html=render_markdown(body),
        language="en" if english else "de",
        updated_at=page.updated_at,
    )


def pages_for(user: Any) -> QuerySet[LegalPage]:
    """Coordinators edit every page; for everyone else there is none to edit (404)."""
    if not is_coordinator(user):
        return LegalPage.objects.none()
    return LegalPage.objects.select_related("updated_by")


def page_history(user: Any, slug: str) -> QuerySet[LegalPageRevision]:
    return (
        LegalPageRevision.objects.filter(page__in=pages_for(user), page__slug=slug)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
    )


@transaction.atomic
def update_page(
    *,
    actor: Any,
    slug: str,
    title_de: str,
    title_en: str,
    body_de: str,
    body_en: str,
    now: dt.datetime | None = None,
) -> LegalPage:
    """Save a page and keep the version it replaces, with who changed it."""
    page = locking.lock(pages_for(actor).filter(slug=slug))
    if page is None:
        raise NotFound(_("Nicht gefunden."))
    errors = FieldErrors()
    if not title_de.strip():
        errors.add("title_de", _("Bitte einen Titel angeben."))
    if not body_de.strip():
        errors.add("body_de", _("Bitte einen Text angeben."))
    check_text(
        errors,
        {"title_de": title_de, "title_en": title_en, "body_de": body_de, "body_en": body_en},
        single_line=["title_de", "title_en"],
        multi_line=["body_de", "body_en"],
    )
    errors.raise_if_any()
    now = now or timezone.now()
    LegalPageRevision.objects.create(
        page=page,
        title_de=page.title_de,
        title_en=page.title_en,
        body_de=page.body_de,
        body_en=page.body_en,
        changed_at=page.updated_at,
        changed_by=page.updated_by,
    )
    page.title_de, page.title_en = title_de.strip(), title_en.strip()
    page.body_de, page.body_en = body_de, body_en
    page.updated_at, page.updated_by = now, actor
    page.save()
    return page


# --- accessibility feedback -------------------------------------------------------------------


@transaction.atomic
def send_accessibility_feedback(
    *, name: str, email: str, message: str, page_url: str, language: str
) -> int:
    """E-mail the feedback to every coordinator and confirm it to the sender; returns how many
    coordinators were told. The caller limits how often one client may send."""
    errors = FieldErrors()
    if not message.strip():
        errors.add("message", _("Bitte beschreiben Sie das Problem."))
    check_text(
        errors,
        {"name": name, "message": message, "page_url": page_url},
        single_line=["name", "page_url"],
        multi_line=["message"],
    )
    errors.raise_if_any()
    language = "en" if language.startswith("en") else "de"
    key = secrets.token_hex(8)
    with translation.override("de"):
        told = notify_coordinators(
            kind="accessibility_feedback",
            dedup_key=f"accessibility:{key}",
            subject=_("Rückmeldung zur Barrierefreiheit"),
            paragraphs=[
                _("%(name)s (%(email)s) meldet eine Barriere:")
                % {"name": name.strip() or _("Ohne Namen"), "email": email},
                message.strip(),
                _("Betroffene Seite: %(url)s") % {"url": page_url.strip() or "—"},
            ],
        )
    with translation.override(language):
        send_notice(
            recipient=email,
            recipient_name=name.strip(),
            language=language,
            kind="accessibility_feedback_received",
            # One confirmation per address a day: the form cannot be used to flood a mailbox.
            dedup_key=f"accessibility:received:{email.lower()}:{timezone.now().date()}",
            subject=_("Ihre Rückmeldung zur Barrierefreiheit"),
            paragraphs=[
                _(
                    "vielen Dank für Ihre Rückmeldung. Sie ist bei der Koordination des "
                    "Netzwerks angekommen; wir antworten in der Regel innerhalb von zwei Wochen."
                )
            ],
            action_url=settings.SITE_URL + reverse("legal-accessibility"),
            action_label=_("Erklärung zur Barrierefreiheit"),
        )
    return told
