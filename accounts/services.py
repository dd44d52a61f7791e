"""Deleting an account: the person goes, what the other side needs stays, anonymised.

The user row itself stays as an anonymous, inactive placeholder: bookings, requests and
library entries point at it (``created_by``, ``submitted_by``), and an expert's profile is
protected by its bookings, so deleting the row would either cascade away what others need or
fail. Everything that identifies the person is removed or replaced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from consult.models import StaffMembership, new_token
from core.errors import Conflict
from core.models import AccountPreference
from events import registration as event_registration
from events import retention as event_retention
from events.models import Registration
from experts.models import ExpertProfile
from notifications.models import Notification

DELETED_NAME = "Gelöschtes Konto"


def delete_account(*, user: Any, now: datetime | None = None) -> None:
    """Anonymise the account and the person's data; idempotent.

    Upcoming event registrations under the account's address are cancelled (the seat goes
    to the waiting list) and anonymised; those of ended events are anonymised only, so the
    events keep their attendance. Bookings stay with the request and the expert; an expert's
    profile is emptied and deactivated, so it is never matched again.
    """
    if user.is_superuser:
        raise Conflict(
            _("Ein Administrationskonto wird in der Administration gelöscht, nicht hier."),
            code="superuser",
        )
    now = now or timezone.now()
    email = (user.email or "").strip()
    if email:
        _forget_registrations(email, now=now)
    with transaction.atomic():
        if email:
            Notification.objects.filter(recipient__iexact=email).exclude(
                status=Notification.Status.SENDING
            ).delete()
        _empty_expert_profile(user)
        StaffMembership.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        Token.objects.filter(user=user).delete()
        AccountPreference.objects.filter(user=user).delete()
        user.groups.clear()
        user.user_permissions.clear()
        user.username = f"geloescht-{user.pk}"
        user.first_name = ""
        user.last_name = ""
        user.email = ""
        user.is_active = False
        user.is_staff = False
        # An unusable password also ends every session (their hash no longer matches).
        user.set_unusable_password()
        user.save()


def _forget_registrations(email: str, *, now: datetime) -> None:
    registrations = list(
        Registration.objects.filter(email__iexact=email, anonymised_at__isnull=True)
        .annotate(last_end=Max("event__sessions__end"))
        .values_list("pk", "token", "status", "last_end")
    )
    ended = []
    for pk, token, status, last_end in registrations:
        if status in Registration.LIVE and (last_end is None or last_end > now):
            event_registration.forget(token=token, now=now)  # cancel (waiting list moves up)
        else:
            ended.append(pk)
    if ended:
        event_retention.anonymise_registrations(registration_ids=ended, now=now)


def _empty_expert_profile(user: Any) -> None:
    ExpertProfile.objects.filter(user=user).update(
        display_name=DELETED_NAME,
        organisation="",
        email="",
        bio_de="",
        bio_en="",
        home_latitude=None,
        home_longitude=None,
        home_city="",
        meeting_url="",
        active=False,
        # The old calendar feed link stops working.
        feed_token=new_token(),
    )
