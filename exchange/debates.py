"""Thematic debates: coordinators open one (invitations e-mailed to the staff of the invited
kinds of organisation), members contribute in its thread while it is open, and at the end the
coordinator publishes a summary that stays readable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consult.choices import OrganisationKind
from consult.models import Topic
from core.errors import Conflict, FieldErrors, Forbidden, NotFound
from core.preferences import language_of
from core.roles import is_coordinator
from exchange import markdown, search
from exchange.access import is_member
from exchange.models import Debate, Post, Thread
from library.models import Resource
from notifications.services import Message, Recipient, send_many

MAX_TITLE = 200
MAX_TEXT = 20_000
# Kinds a debate carries the discussion to (issue 20): schools, youth parliaments, associations …
INVITABLE_KINDS = tuple(OrganisationKind.values)
EDITABLE = (
    "title_de",
    "title_en",
    "description_de",
    "description_en",
    "starts_at",
    "ends_at",
    "invited_kinds",
)


def require_coordinator(user: Any) -> None:
    if not is_coordinator(user):
        raise Forbidden(_("Debatten eröffnen Koordinator*innen."), code="coordinators_only")


def phase(debate: Debate, now: dt.datetime | None = None) -> str:
    """ "upcoming", "open" or "closed"."""
    now = now or timezone.now()
    if now < debate.starts_at:
        return "upcoming"
    return "open" if now < debate.ends_at else "closed"


# --- reads --------------------------------------------------------------------------------------


def debates_for(user: Any) -> QuerySet[Debate]:
    """Members see every debate; others only those whose summary is out and public."""
    queryset = Debate.objects.select_related("topic", "thread")
    if is_member(user):
        return queryset
    return queryset.filter(summary_public=True, summary_published_at__isnull=False)


def debate_for(*, user: Any, debate_id: int) -> Debate:
    found = debates_for(user).prefetch_related("materials").filter(pk=debate_id).first()
    if found is None:
        raise NotFound(_("Diese Debatte gibt es nicht."))
    return found


# --- writes -------------------------------------------------------------------------------------


def _check(
    *, title_de: str, description_de: str, starts_at: Any, ends_at: Any, invited_kinds: Sequence
) -> None:
    errors = FieldErrors()
    if not title_de.strip():
        errors.add("title_de", _("Bitte einen Titel angeben."))
    if len(title_de) > MAX_TITLE:
        errors.add("title_de", _("Höchstens %(n)s Zeichen.") % {"n": MAX_TITLE})
    if not description_de.strip():
        errors.add("description_de", _("Bitte beschreiben Sie die Debatte."))
    if starts_at and ends_at and ends_at <= starts_at:
        errors.add("ends_at", _("Das Ende liegt nach dem Beginn."))
    unknown = [kind for kind in invited_kinds if kind not in INVITABLE_KINDS]
    if unknown:
        errors.add("invited_kinds", _("Unbekannte Art: %(kinds)s") % {"kinds": ", ".join(unknown)})
    errors.raise_if_any()


def _topic(slug: str) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        errors = FieldErrors()
        errors.add("topic", _("Unbekanntes Thema."))
        errors.raise_if_any()
    assert topic is not None
    return topic


def _materials(ids: Sequence[int]) -> list[Resource]:
    found = list(Resource.objects.filter(pk__in=ids, status=Resource.Status.PUBLISHED))
    if len(found) != len(set(ids)):
        errors = FieldErrors()
        errors.add("materials", _("Nicht jedes Material ist in der Bibliothek veröffentlicht."))
        errors.raise_if_any()
    return found


def _render_texts(debate: Debate) -> None:
    debate.description_html_de = markdown.render(debate.description_de)
    debate.description_html_en = markdown.render(debate.description_en)
    debate.summary_html_de = markdown.render(debate.summary_de)
    debate.summary_html_en = markdown.render(debate.summary_en)


@transaction.atomic
def open_debate(
    *,
    user: Any,
    title_de: str,
    title_en: str = "",
    description_de: str,
    description_en: str = "",
    topic_slug: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    invited_kinds: Sequence[str] = (),
    material_ids: Sequence[int] = (),
) -> Debate:
    """Open a debate with its thread and e-mail the invitations (in the same transaction)."""
    require_coordinator(user)
    _check(
        title_de=title_de,
        description_de=description_de,
        starts_at=starts_at,
        ends_at=ends_at,
        invited_kinds=invited_kinds,
    )
    topic = _topic(topic_slug)
    materials = _materials(material_ids)
    title = " ".join(title_de.split())
    thread = Thread.objects.create(
        title=title,
        topic=topic,
        kind=Thread.Kind.DISCUSSION,
        author=user,
        post_count=1,
        last_post_at=timezone.now(),
        search_text=search.stems(title),
    )
    first = Post.objects.create(
        thread=thread,
        author=user,
        body=description_de,
        body_html=markdown.render(description_de),
        search_text=search.stems(description_de),
    )
    thread.first_post = first
    thread.save(update_fields=["first_post"])
    debate = Debate(
        title_de=title,
        title_en=" ".join(title_en.split()),
        description_de=description_de,
        description_en=description_en,
        topic=topic,
        starts_at=starts_at,
        ends_at=ends_at,
        invited_kinds=sorted(set(invited_kinds)),
        thread=thread,
        created_by=user,
    )
    _render_texts(debate)
    debate.save()
    debate.materials.set(materials)
    invite(debate=debate)
    return debate


@transaction.atomic
def update_debate(*, user: Any, debate_id: int, **changes: Any) -> Debate:
    """Change the texts, dates, topic, materials or invited kinds; newly invited kinds are
    e-mailed (the outbox's dedup key keeps those invited before from a second e-mail)."""
    require_coordinator(user)
    debate = Debate.objects.select_for_update(of=("self",)).filter(pk=debate_id).first()
    if debate is None:
        raise NotFound(_("Diese Debatte gibt es nicht."))
    material_ids = changes.pop("material_ids", None)
    topic_slug = changes.pop("topic_slug", None)
    for name in EDITABLE:
        if name in changes:
            setattr(debate, name, changes[name])
    _check(
        title_de=debate.title_de,
        description_de=debate.description_de,
        starts_at=debate.starts_at,
        ends_at=debate.ends_at,
        invited_kinds=debate.invited_kinds,
    )
    if topic_slug:
        debate.topic = _topic(topic_slug)
    debate.invited_kinds = sorted(set(debate.invited_kinds))
    _render_texts(debate)
    debate.save()
    if material_ids is not None:
        debate.materials.set(_materials(material_ids))
    if debate.thread_id:
        Thread.objects.filter(pk=debate.thread_id).update(title=debate.title_de, topic=debate.topic)
    invite(debate=debate)
    return debate


@transaction.atomic
def publish_summary(
    *,
    user: Any,
    debate_id: int,
    summary_de: str,
    summary_en: str = "",
    public: bool = False,
    now: dt.datetime | None = None,
) -> Debate:
    """The coordinator's summary at the end; it stays readable (public or members-only)."""
    require_coordinator(user)
    now = now or timezone.now()
    debate = Debate.objects.select_for_update(of=("self",)).filter(pk=debate_id).first()
    if debate is None:
        raise NotFound(_("Diese Debatte gibt es nicht."))
    if now < debate.ends_at:
        raise Conflict(
            _("Die Zusammenfassung erscheint, wenn die Debatte zu Ende ist."),
            code="debate_not_ended",
        )
    errors = FieldErrors()
    if not summary_de.strip():
        errors.add("summary_de", _("Bitte eine Zusammenfassung schreiben."))
    if len(summary_de) > 40_000 or len(summary_en) > 40_000:
        errors.add("summary_de", _("Höchstens %(n)s Zeichen.") % {"n": 40_000})
    errors.raise_if_any()
    debate.summary_de, debate.summary_en = summary_de, summary_en
    debate.summary_public = public
    debate.summary_published_at = debate.summary_published_at or now
    _render_texts(debate)
    debate.save()
    if debate.thread_id:
        # The debate is over: its thread takes no more posts, and a public summary's
        # contributions are as readable as the summary itself.
        Thread.objects.filter(pk=debate.thread_id).update(locked=True, public=public)
    return debate


def check_open_for_posts(*, thread: Thread, now: dt.datetime | None = None) -> None:
    """A debate's thread takes contributions only while the debate is open."""
    debate = Debate.objects.filter(thread_id=thread.pk).only("starts_at", "ends_at").first()
    if debate is None:
        return
    current = phase(debate, now)
    if current == "upcoming":
        raise Conflict(_("Diese Debatte hat noch nicht begonnen."), code="debate_not_started")
    if current == "closed":
        raise Conflict(_("Diese Debatte ist beendet."), code="debate_closed")


# --- invitations --------------------------------------------------------------------------------


def debate_url(debate_id: int) -> str:
    return settings.SITE_URL + reverse("exchange:debate", args=[debate_id])


def invite(*, debate: Debate) -> int:
    """E-mail the staff of every organisation of the invited kinds, each in their language,
    once per person (the dedup key); returns how many were addressed."""
    if not debate.invited_kinds:
        return 0
    staff = (
        get_user_model()
        .objects.filter(
            municipal_staff__municipality__kind__in=debate.invited_kinds, is_active=True
        )
        .exclude(email="")
        .select_related("account_preference")
        .distinct()
    )
    by_language: dict[str, list[Recipient]] = {}
    for member in staff:
        language = language_of(member)
        by_language.setdefault(language, []).append(
            Recipient(
                email=member.email,
                name=member.get_full_name(),
                language=language,
                dedup_key=f"exchange-debate-invite:{debate.pk}:{member.pk}",
            )
        )
    messages = []
    for language, people in by_language.items():
        with translation.override(language):
            title = debate.title_en if language == "en" and debate.title_en else debate.title_de
            description = (
                debate.description_en
                if language == "en" and debate.description_en
                else debate.description_de
            )
            when = {
                "start": timezone.localtime(debate.starts_at).strftime("%d.%m.%Y"),
                "end": timezone.localtime(debate.ends_at).strftime("%d.%m.%Y"),
            }
            context = {
                "subject": _("Einladung zur Debatte: %(title)s") % {"title": title},
                "paragraphs": [
                    _("Ihre Organisation ist zur Debatte „%(title)s“ eingeladen.")
                    % {"title": title},
                    markdown.excerpt(description, 800),
                    _("Beiträge sind vom %(start)s bis zum %(end)s möglich.") % when,
                ],
                "action_url": debate_url(debate.pk),
                "action_label": _("Zur Debatte"),
            }
        messages.append(
            Message(
                kind="exchange_debate_invite",
                template="notifications/email/notice",
                context=context,
                recipients=people,
            )
        )
    if messages:
        send_many(messages)
    return sum(len(people) for people in by_language.values())
