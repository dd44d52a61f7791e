"""Reads of the exchange, scoped by who asks: members see members' threads, everyone the public
ones; coordinators also what moderation hid. "Not yours" is NotFound (invariant 4)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from consult.models import Municipality, Topic
from core.errors import NotFound
from core.roles import is_coordinator, municipality_id_of
from exchange import search
from exchange.access import is_member
from exchange.models import (
    Attachment,
    ContactRequest,
    HelpfulVote,
    Post,
    PostReport,
    Subscription,
    Thread,
)

# The index columns are large (a tsvector, the stems) and never shown: left out of every read.
_INDEX = ("search_text", "search_vector")


def visible_threads(user: Any) -> QuerySet[Thread]:
    queryset = Thread.objects.defer(*_INDEX)
    if is_coordinator(user):
        return queryset
    queryset = queryset.filter(hidden=False)
    return queryset if is_member(user) else queryset.filter(public=True)


def _with_opening(queryset: QuerySet[Thread]) -> QuerySet[Thread]:
    return queryset.select_related("topic", "author", "organisation", "first_post").defer(
        *(f"first_post__{name}" for name in _INDEX)
    )


def thread_list(*, user: Any, search_text: str = "", topic: str = "") -> QuerySet[Thread]:
    """Threads for the list: filtered by topic slug and (cleaned) search text, newest first."""
    queryset = _with_opening(visible_threads(user))
    if topic:
        queryset = queryset.filter(topic__slug=topic)
    if search_text:
        return search.apply(queryset, search_text, vendor=connection.vendor)
    return queryset.order_by("-last_post_at", "-id")


def thread_for(*, user: Any, thread_id: int) -> Thread:
    try:
        return _with_opening(visible_threads(user)).get(pk=thread_id)
    except Thread.DoesNotExist:
        raise NotFound(_("Dieses Thema gibt es nicht.")) from None


def posts_of(*, user: Any, thread: Thread) -> QuerySet[Post]:
    """The thread's posts in order, with everything a page or the API shows of each."""
    queryset = (
        thread.posts.select_related("author", "organisation", "quote__author")
        .defer(*_INDEX, *(f"quote__{name}" for name in _INDEX))
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    return queryset if is_coordinator(user) else queryset.filter(hidden=False)


def post_for(*, user: Any, post_id: int) -> Post:
    """A post in a thread the user can see (hidden posts only for coordinators)."""
    queryset = Post.objects.select_related("thread", "author").filter(
        thread__in=visible_threads(user)
    )
    if not is_coordinator(user):
        queryset = queryset.filter(hidden=False)
    try:
        return queryset.get(pk=post_id)
    except Post.DoesNotExist:
        raise NotFound(_("Diesen Beitrag gibt es nicht.")) from None


def attachment_for(*, user: Any, attachment_id: int) -> Attachment:
    queryset = Attachment.objects.select_related("post").filter(
        post__thread__in=visible_threads(user)
    )
    if not is_coordinator(user):
        queryset = queryset.filter(post__hidden=False)
    try:
        return queryset.get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise NotFound(_("Diesen Anhang gibt es nicht.")) from None


def helpful_post_ids(*, user: Any, post_ids: Iterable[int]) -> set[int]:
    """Which of these posts the user already found helpful (one query)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        HelpfulVote.objects.filter(user=user, post_id__in=list(post_ids)).values_list(
            "post_id", flat=True
        )
    )


def follows_thread(*, user: Any, thread: Thread) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Subscription.objects.filter(user=user, thread=thread).exists()


def subscriptions_of(user: Any) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user=user).select_related("thread", "topic")


def topics() -> QuerySet[Topic]:
    return Topic.objects.all()


def open_reports() -> QuerySet[PostReport]:
    return PostReport.objects.filter(resolved_at__isnull=True).select_related(
        "post__thread", "reporter"
    )


# --- contacts -----------------------------------------------------------------------------------


def contact_requests_for(user: Any) -> QuerySet[ContactRequest]:
    """Both directions of the caller's organisation; nothing for people without one."""
    organisation_id = municipality_id_of(user)
    queryset = ContactRequest.objects.select_related(
        "sender_organisation", "recipient_organisation", "sender", "decided_by"
    )
    if organisation_id is None:
        return queryset.none()
    return queryset.filter(
        Q(sender_organisation_id=organisation_id) | Q(recipient_organisation_id=organisation_id)
    )


def contact_request_for(*, user: Any, request_id: int) -> ContactRequest:
    try:
        return contact_requests_for(user).get(pk=request_id)
    except ContactRequest.DoesNotExist:
        raise NotFound(_("Diese Kontaktanfrage gibt es nicht.")) from None


def contactable_organisation(*, user: Any, organisation_id: int) -> Municipality:
    """Another member organisation open to exchange (else NotFound: not listed for contact)."""
    try:
        return Municipality.objects.exclude(pk=municipality_id_of(user)).get(
            pk=organisation_id, open_to_exchange=True
        )
    except Municipality.DoesNotExist:
        raise NotFound(_("Diese Organisation ist nicht für Kontaktanfragen offen.")) from None
