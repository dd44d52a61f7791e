"""The audit trail: which models django-auditlog records, and the reads of the trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from core.audit import record as record  # the write path lives in the kernel

# Personal data stays out of the diffs: the trail outlives the anonymisation of a registration
# (retention.py), so names and addresses would survive in it. Tokens are secrets.
_PERSONAL = ["name", "email", "token", "municipality_name"]


def tracked_models() -> dict[str, tuple[type[Model], list[str]]]:
    """Label → (model, fields left out of the diff) for every model the trail records."""
    from bookings.models import ConsultationBooking
    from consult.membership_models import Invitation, MembershipApplication
    from consult.models import Municipality, StaffMembership
    from events.models import Event, EventSession, Registration
    from exchange.models import Debate, ModerationAction, NewsItem, Post, Thread
    from experts.joining_models import ExpertApplication
    from experts.models import ExpertProfile
    from library.models import Resource

    searchable = ["search_text", "search_vector", "body_html"]
    # Accounts: activation and roles (groups) are recorded; who the person is and their logins
    # are not (an account's deletion empties them, the trail must not keep them).
    account_personal = ["username", "first_name", "last_name", "email", "password", "last_login"]
    return {
        "account": (get_user_model(), account_personal),
        "event": (Event, []),
        "session": (EventSession, []),
        "registration": (Registration, _PERSONAL),
        "booking": (ConsultationBooking, ["room"]),
        "municipality": (Municipality, ["feed_token"]),
        "membership": (StaffMembership, []),
        "application": (MembershipApplication, [*_PERSONAL, "confirm_nonce", "contact_name"]),
        "invitation": (Invitation, [*_PERSONAL, "nonce"]),
        "expert": (ExpertProfile, ["feed_token"]),
        "expert_application": (ExpertApplication, [*_PERSONAL, "confirm_nonce"]),
        "resource": (Resource, []),
        "thread": (Thread, searchable),
        "post": (Post, searchable),
        "moderation": (ModerationAction, []),
        "debate": (Debate, []),
        "news": (NewsItem, ["body_html_de", "body_html_en"]),
    }


def register_models() -> None:
    for model, excluded in tracked_models().values():
        if not auditlog.contains(model):
            m2m = [f.name for f in model._meta.many_to_many]
            auditlog.register(model, exclude_fields=excluded, m2m_fields=m2m)


def _content_type(label: str) -> ContentType | None:
    entry = tracked_models().get(label)
    return ContentType.objects.get_for_model(entry[0]) if entry else None


def entries(
    *,
    kind: str = "",
    object_id: int | None = None,
    user: str = "",
    day_from: date | None = None,
    day_to: date | None = None,
) -> QuerySet[LogEntry]:
    """The trail, newest first, filtered by object type, id, acting user and dates."""
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    if kind:
        content_type = _content_type(kind)
        qs = qs.filter(content_type=content_type) if content_type else qs.none()
    if object_id is not None:
        qs = qs.filter(object_id=object_id)
    if user:
        qs = qs.filter(actor__username__icontains=user)
    if day_from:
        qs = qs.filter(timestamp__date__gte=day_from)
    if day_to:
        qs = qs.filter(timestamp__date__lte=day_to)
    return qs


def history_of(obj: Model, *, limit: int = 50) -> list[Any]:
    """The newest changes of one object (its back-office page shows them)."""
    return list(
        LogEntry.objects.get_for_object(obj)
        .select_related("actor")
        .order_by("-timestamp", "-id")[:limit]
    )
