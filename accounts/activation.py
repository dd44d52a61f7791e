"""A coordinator deactivates or reactivates an account. Deactivating ends the account's sessions
and API tokens at once (a reactivated account logs in afresh) and pauses an expert's profile;
the last active coordinator account is never deactivated."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from core import locking
from core.errors import Conflict, NotFound
from core.roles import COORDINATOR, is_coordinator
from experts import joining as expert_joining
from experts.models import ExpertProfile


def _coordinator_accounts() -> Q:
    return Q(groups__name=COORDINATOR) | Q(is_superuser=True)


def end_sessions(user: Any) -> int:
    """Delete every session logged in as `user`; returns how many. Sessions are stored per key,
    not per user, so the live ones are read once (a rare act of a coordinator). Sessions kept
    outside the database (cache, cookies) cannot be listed; while the account is inactive they
    authenticate nobody anyway (the login backends refuse inactive users)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    model = store.get_model_class()
    wanted = str(user.pk)
    keys = [
        session.session_key
        for session in model.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == wanted
    ]
    for key in keys:
        store(session_key=key).delete()  # the cached copy too, where the engine keeps one
    return len(keys)


@transaction.atomic
def set_account_active(*, actor: Any, user_id: int, active: bool) -> Any:
    """Deactivate or reactivate the account `user_id` (coordinators only; anyone else 404).
    Doing what is already so changes nothing."""
    User = get_user_model()
    if not is_coordinator(actor):
        raise NotFound(_("Nicht gefunden."))
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("Nicht gefunden."))
    if not active and User.objects.filter(_coordinator_accounts(), pk=user.pk).exists():
        # One lock for every coordinator's deactivation: two coordinators deactivating each
        # other at the same moment cannot both see the other one still active.
        locking.lock(Group.objects.filter(name=COORDINATOR))
        others = User.objects.filter(_coordinator_accounts(), is_active=True).exclude(pk=user.pk)
        if not others.exists():
            raise Conflict(
                _("Das letzte aktive Koordinationskonto lässt sich nicht deaktivieren."),
                code="last_coordinator",
            )
    user = locking.lock(User.objects.filter(pk=user.pk))
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        Token.objects.filter(user=user).delete()
        end_sessions(user)
        # An expert who cannot log in cannot answer a booking: out of the matching until a
        # coordinator activates them again (their existing bookings stay).
        expert = ExpertProfile.objects.filter(user=user, active=True).first()
        if expert is not None:
            expert_joining.set_activity(actor=actor, expert_id=expert.pk, active=False)
    return user
