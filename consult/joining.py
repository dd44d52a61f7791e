"""The steps every application to join goes through, whether to the network
(consult/membership.py) or to the expert pool (experts/joining.py): store it and e-mail the
confirmation link, or answer an address in use neutrally; confirm the address (double opt-in)
and tell the coordinators; record the decision; the first password of an admitted account.
What differs between the two kinds (model, link purpose, messages, checks) is a `Kind`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from consult import links
from consult.joining_models import EMAIL_UNVERIFIED, PENDING
from consult.membership_mail import notify_coordinators, send_notice
from core import locking
from core.errors import Conflict, DomainError, Invalid, NotFound
from core.roles import is_coordinator

ACCOUNT_SETUP = "account-setup"
# Why an address cannot apply now (stored as membership's `inert`, as a flag by experts).
ACCOUNT, APPLICATION = "account", "application"


@dataclass(frozen=True)
class Notice:
    """One e-mail: the outbox's kind and the texts (translated by whoever builds it)."""

    kind: str
    subject: str
    paragraphs: Sequence[str]
    action_url: str = ""
    action_label: str = ""


@dataclass(frozen=True)
class Kind:
    """What one kind of application brings to the shared steps."""

    model: Any
    purpose: str  # of the signed confirmation link
    key: str  # the start of its e-mails' dedup keys
    confirm_page: str  # URL name of the page the confirmation link opens
    open_statuses: tuple[str, ...]  # confirmed and undecided
    related: tuple[str, ...]  # what the coordinators' list shows with each application
    # Lazily translated messages, made text when raised (in the request's language).
    in_use: Promise  # on confirmation: the address has an account or an open application
    taken: Promise  # on confirmation: a parallel one won (a constraint said so)
    decided: Promise  # on a decision: already decided or not confirmed
    applicant_name: Callable[[Any], str]
    inert: Callable[[str], Any]  # the stored `inert` for a reason ("" = can be confirmed)
    confirmation: Callable[[Any, str], Notice]  # (application, link)
    address_in_use: Callable[[Any], Notice]  # to the address's owner, instead of a link
    new_application: Callable[[Any], Notice]  # to the coordinators, in German
    declined: Callable[[Any, str], Notice]  # (application, reason)
    conflict: Callable[[Any], DomainError | None] = lambda application: None  # on confirmation


def confirm_age() -> dt.timedelta:
    return dt.timedelta(hours=settings.MEMBERSHIP_CONFIRM_HOURS)


def url(name: str, **kwargs: Any) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs)


def tell_applicant(
    kind: Kind, application: Any, *, dedup_key: str, notice: Callable[[], Notice]
) -> None:
    """Queue the e-mail `notice()` builds, in the applicant's language, to the applicant."""
    with translation.override(application.language):
        send_notice(
            recipient=application.email,
            recipient_name=kind.applicant_name(application),
            language=application.language,
            dedup_key=dedup_key,
            **dataclasses.asdict(notice()),
        )


# --- applying and confirming ------------------------------------------------------------------


def address_in_use(kind: Kind, email: str, *, now: dt.datetime, exclude: int | None = None) -> str:
    """Why this address cannot apply now (ACCOUNT, APPLICATION) or "" if it can."""
    if get_user_model().objects.filter(email__iexact=email).exists():
        return ACCOUNT
    fresh_unverified = Q(
        status=EMAIL_UNVERIFIED, inert=kind.inert(""), created_at__gt=now - confirm_age()
    )
    open_ = kind.model.objects.filter(
        Q(status__in=kind.open_statuses) | fresh_unverified, email__iexact=email
    ).exclude(pk=exclude)
    return APPLICATION if open_.exists() else ""


def submit(kind: Kind, /, *, now: dt.datetime, **fields: Any) -> Any:
    """Store an application (`fields` checked by the caller) and e-mail its confirmation link;
    an address in use gets a notice instead and the application can never be confirmed (the
    caller's answer is the same, so nobody learns who has an account)."""
    reason = address_in_use(kind, fields["email"], now=now)
    application = kind.model.objects.create(
        **fields,
        consent_at=now,
        inert=kind.inert(reason),
        confirm_nonce="" if reason else links.new_nonce(),
        created_at=now,
    )
    if reason:
        # At most one such notice per address a day: the form cannot flood a mailbox.
        day = now.date().isoformat()
        dedup_key = f"{kind.key}:duplicate:{application.email.lower()}:{day}"
        notice = partial(kind.address_in_use, application)
    else:
        token = links.make_token(kind.purpose, application.pk, application.confirm_nonce)
        dedup_key = f"{kind.key}:{application.pk}:confirm"
        notice = partial(kind.confirmation, application, url(kind.confirm_page, token=token))
    tell_applicant(kind, application, dedup_key=dedup_key, notice=notice)
    return application


def _confirm_parts(kind: Kind, token: str) -> tuple[int, str]:
    parts = links.read_token(kind.purpose, token, max_age=confirm_age())
    if len(parts) != 2 or not isinstance(parts[0], int) or not isinstance(parts[1], str):
        raise Invalid(_("Dieser Link ist ungültig."), code="link_invalid")
    return parts[0], parts[1]


def _check_nonce(application: Any, nonce: str) -> Any:
    if application is None or not nonce or application.confirm_nonce != nonce:
        raise links.used_link()
    return application


def application_for_token(kind: Kind, token: str) -> Any:
    """The application a confirmation link names, if the link still works (else a clear 400)."""
    application_id, nonce = _confirm_parts(kind, token)
    return _check_nonce(kind.model.objects.filter(pk=application_id).first(), nonce)


@transaction.atomic
def confirm_email(kind: Kind, *, token: str, now: dt.datetime | None = None) -> Any:
    """Double opt-in: the address is confirmed, the application waits for a decision and the
    coordinators are told."""
    now = now or timezone.now()
    application_id, nonce = _confirm_parts(kind, token)
    application = _check_nonce(locking.lock(kind.model.objects.filter(pk=application_id)), nonce)
    if application.status != EMAIL_UNVERIFIED:
        raise links.used_link()
    if conflict := kind.conflict(application):
        raise conflict
    if address_in_use(kind, application.email, now=now, exclude=application.pk):
        raise Conflict(str(kind.in_use), code="email_in_use")
    application.status, application.confirmed_at, application.confirm_nonce = PENDING, now, ""
    try:
        with transaction.atomic():
            application.save(update_fields=["status", "confirmed_at", "confirm_nonce"])
    except IntegrityError:  # a parallel confirmation (same address, or kind's key) won
        raise Conflict(str(kind.taken), code="application_exists") from None
    with translation.override("de"):
        notice = kind.new_application(application)
        dedup_key = f"{kind.key}:{application.pk}:new"
        notify_coordinators(dedup_key=dedup_key, **dataclasses.asdict(notice))
    return application


# --- deciding (coordinators) ------------------------------------------------------------------


def applications_for(kind: Kind, user: Any) -> QuerySet[Any]:
    """Coordinators see every application; for everyone else none exists (404)."""
    if not is_coordinator(user):
        return kind.model.objects.none()
    return kind.model.objects.select_related(*kind.related)


def open_application(kind: Kind, actor: Any, application_id: int) -> Any:
    """The application, locked, while it waits for a decision (404 for non-coordinators)."""
    application = locking.lock(applications_for(kind, actor).filter(pk=application_id))
    if application is None:
        raise NotFound(_("Nicht gefunden."))
    if application.status not in kind.open_statuses:
        raise Conflict(str(kind.decided), code="invalid_transition")
    return application


def record_decision(
    application: Any, *, actor: Any, status: str, now: dt.datetime, **fields: Any
) -> None:
    application.status, application.decided_at, application.decided_by = status, now, actor
    for name, value in fields.items():
        setattr(application, name, value)
    application.save(update_fields=["status", "decided_at", "decided_by", *fields])


def decline(kind: Kind, application: Any, *, actor: Any, reason: str, now: dt.datetime) -> Any:
    """Decline an open application (reason checked by the caller) and e-mail the reason."""
    status = application.Status.DECLINED
    record_decision(application, actor=actor, status=status, now=now, reason=reason)
    tell_applicant(
        kind,
        application,
        dedup_key=f"{kind.key}:{application.pk}:declined",
        notice=partial(kind.declined, application, reason),
    )
    return application


# --- the first password of an admitted account ------------------------------------------------


def username_for(email: str) -> str:
    User = get_user_model()
    base = email.lower()[:150]
    username, n = base, 2
    while User.objects.filter(username__iexact=username).exists():
        suffix = f"-{n}"
        username, n = base[: 150 - len(suffix)] + suffix, n + 1
    return username


def set_password_url(user: Any) -> str:
    token = links.make_token(ACCOUNT_SETUP, user.pk, links.password_fingerprint(user))
    return url("set-password", token=token)


def user_for_password_token(token: str) -> Any:
    """The user a set-password link names, while the link still works (else a clear 400)."""
    max_age = dt.timedelta(hours=settings.MEMBERSHIP_SET_PASSWORD_HOURS)
    parts = links.read_token(ACCOUNT_SETUP, token, max_age=max_age)
    if len(parts) != 2 or not isinstance(parts[0], int):
        raise Invalid(_("Dieser Link ist ungültig."), code="link_invalid")
    user = get_user_model().objects.filter(pk=parts[0], is_active=True).first()
    if user is None or links.password_fingerprint(user) != parts[1]:
        raise links.used_link()
    return user
