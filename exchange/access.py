"""Who takes part in the exchange: members are municipal staff, experts and coordinators."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.errors import Forbidden
from core.errors import RateLimited as RateLimited  # moved to the kernel; kept here for callers
from core.pages import is_expert, is_staff_member
from core.roles import is_coordinator


def is_member(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return is_coordinator(user) or is_staff_member(user) or is_expert(user)


def require_member(user: Any) -> None:
    if not is_member(user):
        raise Forbidden(
            _("Nur Mitglieder des Netzwerks können hier schreiben."), code="members_only"
        )
