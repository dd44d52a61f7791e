"""Roles as Django groups: network coordinator, municipal staff, expert.

A coordinator is in the "coordinator" group (or a superuser); municipal staff are bound to one
municipality by StaffMembership; an expert is bound to an ExpertProfile (experts app).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

COORDINATOR = "coordinator"
MUNICIPAL_STAFF = "municipal_staff"
EXPERT = "expert"

# Which app models each role may touch through the admin (coordinators: all of ours).
_APPS = ("consult", "experts", "bookings", "events", "notifications", "library")
_STAFF_MODELS = {"participationplan", "consultationrequest", "requesttopic"}
_EXPERT_MODELS = {"expertprofile", "experttopic", "availabilityrule", "availabilityexception"}


def is_coordinator(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_coordinator", None)
    if cached is None:
        cached = user.groups.filter(name=COORDINATOR).exists()
        user._is_coordinator = cached
    return cached


def coordinators() -> QuerySet[Any]:
    """Every active coordinator account that has an e-mail address (to tell them something)."""
    return (
        get_user_model()
        .objects.filter(Q(groups__name=COORDINATOR) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .distinct()
    )


def municipality_id_of(user: Any) -> int | None:
    """The municipality a staff user works for, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = getattr(user, "municipal_staff", None) if _has(user, "municipal_staff") else None
    return membership.municipality_id if membership else None


def _has(user: Any, relation: str) -> bool:
    try:
        getattr(user, relation)
    except Exception:  # RelatedObjectDoesNotExist differs per relation
        return False
    return True


def ensure_role_groups(**_kwargs: Any) -> None:
    """Create the three groups with their permissions (idempotent; runs after every migrate)."""
    perms = Permission.objects.filter(content_type__app_label__in=_APPS).select_related(
        "content_type"
    )
    coordinator, _ = Group.objects.get_or_create(name=COORDINATOR)
    staff, _ = Group.objects.get_or_create(name=MUNICIPAL_STAFF)
    expert, _ = Group.objects.get_or_create(name=EXPERT)
    coordinator.permissions.set(perms)
    staff.permissions.set([p for p in perms if p.content_type.model in _STAFF_MODELS])
    expert.permissions.set([p for p in perms if p.content_type.model in _EXPERT_MODELS])
