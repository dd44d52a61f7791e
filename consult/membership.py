"""Joining the network: apply and confirm the address (double opt-in). The coordinators'
decision is in consult/membership_decisions.py.

Duplicates: an AGS that is a member or has a confirmed open application is refused with 409
(membership is public, so this reveals nothing private). An e-mail address that has an account
or an open application is answered exactly like a new one (201, `email_unverified`): the
application is stored inert (it can never be confirmed) and the address's owner is told by
e-mail instead, so that the form cannot be used to find out who has an account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consult import links
from consult.countries import GERMANY
from consult.membership_mail import notify_coordinators, send_notice
from consult.models import MembershipApplication, Municipality
from consult.organisations import check_place, require_state_in_germany
from core import locking
from core.errors import Conflict, FieldErrors, Invalid
from core.validators import check_text

Status = MembershipApplication.Status
CONFIRM = "membership-confirm"
# Confirmed and undecided: at most one per AGS and per address (constraints in the model).
OPEN_STATUSES = (Status.PENDING, Status.INFO_REQUESTED)


def _confirm_age() -> dt.timedelta:
    return dt.timedelta(hours=settings.MEMBERSHIP_CONFIRM_HOURS)


def _url(name: str, **kwargs: Any) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs)


# --- applying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    organisation_name: str
    kind: str
    contact_name: str
    email: str
    language: str = "de"
    country: str = GERMANY
    state: str = ""
    ags: str = ""
    website: str = ""
    consent: bool = False


def check_application(data: Applicant) -> Applicant:
    """The rules of an application (shape is the serializer's job): every broken one is named
    in one 400. Returns the application with the state filled in from the AGS."""
    errors = FieldErrors()
    if not data.consent:
        errors.add("consent", _("Bitte stimmen Sie der Verarbeitung Ihrer Angaben zu."))
    place = check_place(
        errors, kind=data.kind, country=data.country, state=data.state, ags=data.ags
    )
    check_text(
        errors,
        {"organisation_name": data.organisation_name, "contact_name": data.contact_name},
        single_line=["organisation_name", "contact_name"],
    )
    require_state_in_germany(errors, place)
    errors.raise_if_any()
    return Applicant(
        organisation_name=data.organisation_name.strip(),
        kind=data.kind,
        contact_name=data.contact_name.strip(),
        email=data.email.strip(),
        language=data.language if data.language in ("de", "en") else "de",
        country=place.country,
        state=place.state,
        ags=place.ags,
        website=data.website.strip(),
        consent=True,
    )


def _ags_taken(ags: str, *, exclude: int | None = None) -> Conflict | None:
    if not ags:
        return None
    if Municipality.objects.filter(ags=ags).exists():
        message = _("Diese Kommune ist bereits Mitglied des Netzwerks.")
        return Conflict(message, code="already_member", fields={"ags": [message]})
    open_applications = MembershipApplication.objects.filter(ags=ags, status__in=OPEN_STATUSES)
    if open_applications.exclude(pk=exclude).exists():
        message = _("Für diese Kommune liegt bereits ein Mitgliedsantrag vor.")
        return Conflict(message, code="application_exists", fields={"ags": [message]})
    return None


def _email_in_use(email: str, *, now: dt.datetime, exclude: int | None = None) -> str:
    """Why this address cannot apply now ("account", "application") or "" if it can."""
    if get_user_model().objects.filter(email__iexact=email).exists():
        return MembershipApplication.Inert.ACCOUNT
    fresh_unverified = Q(
        status=Status.EMAIL_UNVERIFIED, inert="", created_at__gt=now - _confirm_age()
    )
    open_ = MembershipApplication.objects.filter(
        Q(status__in=OPEN_STATUSES) | fresh_unverified, email__iexact=email
    ).exclude(pk=exclude)
    return MembershipApplication.Inert.APPLICATION if open_.exists() else ""


@transaction.atomic
def apply(*, applicant: Applicant, now: dt.datetime | None = None) -> MembershipApplication:
    """Store an application and e-mail its confirmation link (or, for an address in use, tell
    its owner instead: the caller sees the same answer either way)."""
    now = now or timezone.now()
    data = check_application(applicant)
    if conflict := _ags_taken(data.ags):
        raise conflict
    inert = _email_in_use(data.email, now=now)
    application = MembershipApplication.objects.create(
        organisation_name=data.organisation_name,
        kind=data.kind,
        country=data.country,
        state=data.state,
        ags=data.ags,
        website=data.website,
        contact_name=data.contact_name,
        email=data.email,
        language=data.language,
        consent_at=now,
        inert=inert,
        confirm_nonce="" if inert else links.new_nonce(),
        created_at=now,
    )
    with translation.override(application.language):
        if inert:
            _mail_address_in_use(application, now=now)
        else:
            _mail_confirmation(application)
    return application


def _mail_confirmation(application: MembershipApplication) -> None:
    token = links.make_token(CONFIRM, application.pk, application.confirm_nonce)
    hours = settings.MEMBERSHIP_CONFIRM_HOURS
    send_notice(
        recipient=application.email,
        recipient_name=application.contact_name,
        language=application.language,
        kind="membership_confirm",
        dedup_key=f"membership:{application.pk}:confirm",
        subject=_("Bitte bestätigen Sie Ihre E-Mail-Adresse"),
        paragraphs=[
            _(
                "vielen Dank für den Mitgliedsantrag für „%(name)s“ beim Netzwerk "
                "Bürgerhaushalt. Bitte bestätigen Sie, dass diese E-Mail-Adresse Ihnen gehört: "
                "Öffnen Sie den Link und klicken Sie dort auf „Adresse bestätigen“."
            )
            % {"name": application.organisation_name},
            _(
                "Der Link gilt %(hours)d Stunden und nur einmal. Wenn Sie keinen Antrag "
                "gestellt haben, ignorieren Sie diese E-Mail einfach."
            )
            % {"hours": hours},
        ],
        action_url=_url("membership-confirm", token=token),
        action_label=_("E-Mail-Adresse bestätigen"),
    )


def _mail_address_in_use(application: MembershipApplication, *, now: dt.datetime) -> None:
    if application.inert == MembershipApplication.Inert.ACCOUNT:
        paragraphs = [
            _(
                "jemand – vielleicht Sie selbst – hat mit dieser E-Mail-Adresse die "
                "Mitgliedschaft für „%(name)s“ beantragt. Zu dieser Adresse gibt es bereits ein "
                "Konto, deshalb haben wir keinen zweiten Antrag angelegt."
            )
            % {"name": application.organisation_name},
            _(
                "Melden Sie sich einfach an. Falls Sie Ihr Passwort vergessen haben, können "
                "Sie auf der Anmeldeseite ein neues anfordern."
            ),
        ]
        action_url, action_label = settings.SITE_URL + reverse("login"), _("Zur Anmeldung")
    else:
        paragraphs = [
            _(
                "jemand – vielleicht Sie selbst – hat mit dieser E-Mail-Adresse noch einmal die "
                "Mitgliedschaft für „%(name)s“ beantragt. Zu dieser Adresse liegt bereits ein "
                "offener Antrag vor, deshalb haben wir keinen zweiten angelegt."
            )
            % {"name": application.organisation_name},
            _(
                "Falls Sie Ihre Adresse noch nicht bestätigt haben, nutzen Sie bitte den Link "
                "aus unserer ersten E-Mail. Sonst meldet sich die Koordination bei Ihnen."
            ),
        ]
        action_url, action_label = "", ""
    send_notice(
        recipient=application.email,
        recipient_name=application.contact_name,
        language=application.language,
        kind="membership_duplicate",
        # At most one such notice per address a day: the form cannot be used to flood a mailbox.
        dedup_key=f"membership:duplicate:{application.email.lower()}:{now.date().isoformat()}",
        subject=_("Ihr Mitgliedsantrag beim Netzwerk Bürgerhaushalt"),
        paragraphs=paragraphs,
        action_url=action_url,
        action_label=action_label,
    )


def application_for_token(token: str) -> MembershipApplication:
    """The application a confirmation link names, if the link still works (else a clear 400)."""
    application_id, nonce = _confirm_parts(token)
    application = MembershipApplication.objects.filter(pk=application_id).first()
    if application is None or not nonce or application.confirm_nonce != nonce:
        raise links.used_link()
    return application


def _confirm_parts(token: str) -> tuple[int, str]:
    parts = links.read_token(CONFIRM, token, max_age=_confirm_age())
    if len(parts) != 2 or not isinstance(parts[0], int) or not isinstance(parts[1], str):
        raise Invalid(_("Dieser Link ist ungültig."), code="link_invalid")
    return parts[0], parts[1]


@transaction.atomic
def confirm_email(*, token: str, now: dt.datetime | None = None) -> MembershipApplication:
    """Double opt-in: the address is confirmed, the application waits for a decision."""
    now = now or timezone.now()
    application_id, nonce = _confirm_parts(token)
    application = locking.lock(MembershipApplication.objects.filter(pk=application_id))
    if application is None or not nonce or application.confirm_nonce != nonce:
        raise links.used_link()
    if application.status != Status.EMAIL_UNVERIFIED:
        raise links.used_link()
    if conflict := _ags_taken(application.ags, exclude=application.pk):
        raise conflict
    if _email_in_use(application.email, now=now, exclude=application.pk):
        raise Conflict(
            _("Zu dieser E-Mail-Adresse gibt es bereits ein Konto oder einen offenen Antrag."),
            code="email_in_use",
        )
    application.status = Status.PENDING
    application.confirmed_at = now
    application.confirm_nonce = ""
    try:
        with transaction.atomic():
            application.save(update_fields=["status", "confirmed_at", "confirm_nonce"])
    except IntegrityError:  # a parallel confirmation for the same AGS or address won
        raise Conflict(
            _("Für diese Kommune oder Adresse liegt bereits ein Mitgliedsantrag vor."),
            code="application_exists",
        ) from None
    _mail_coordinators(application)
    return application


def _mail_coordinators(application: MembershipApplication) -> None:
    with translation.override("de"):
        notify_coordinators(
            kind="membership_new",
            dedup_key=f"membership:{application.pk}:new",
            subject=_("Neuer Mitgliedsantrag: %(name)s") % {"name": application.organisation_name},
            paragraphs=[
                _("„%(name)s“ (%(kind)s) hat die Mitgliedschaft beantragt.")
                % {
                    "name": application.organisation_name,
                    "kind": application.get_kind_display(),
                }
            ],
            action_url=settings.SITE_URL + reverse("membership-decisions"),
            action_label=_("Anträge ansehen"),
        )
