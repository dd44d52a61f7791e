"""Joining the network: apply and confirm the address (double opt-in, the steps in
consult/joining.py). The coordinators' decision is in consult/membership_decisions.py.

Duplicates: an AGS that is a member or has a confirmed open application is refused with 409
(membership is public, so this reveals nothing private). An e-mail address that has an account
or an open application is answered exactly like a new one (201, `email_unverified`): the
application is stored inert (it can never be confirmed) and the address's owner is told by
e-mail instead, so that the form cannot be used to find out who has an account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consult import joining
from consult.countries import GERMANY
from consult.joining import Notice
from consult.models import MembershipApplication, Municipality
from consult.organisations import check_place, require_state_in_germany
from core.errors import Conflict, FieldErrors
from core.validators import check_text

Status = MembershipApplication.Status
CONFIRM = "membership-confirm"
# Confirmed and undecided: at most one per AGS and per address (constraints in the model).
OPEN_STATUSES = (Status.PENDING, Status.INFO_REQUESTED)


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


@transaction.atomic
def apply(*, applicant: Applicant, now: dt.datetime | None = None) -> MembershipApplication:
    """Store an application and e-mail its confirmation link (or, for an address in use, tell
    its owner instead: the caller sees the same answer either way)."""
    now = now or timezone.now()
    data = check_application(applicant)
    if conflict := _ags_taken(data.ags):
        raise conflict
    return joining.submit(
        KIND,
        now=now,
        organisation_name=data.organisation_name,
        kind=data.kind,
        country=data.country,
        state=data.state,
        ags=data.ags,
        website=data.website,
        contact_name=data.contact_name,
        email=data.email,
        language=data.language,
    )


# --- the e-mails ------------------------------------------------------------------------------


def _confirmation(application: MembershipApplication, link: str) -> Notice:
    return Notice(
        kind="membership_confirm",
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
            % {"hours": settings.MEMBERSHIP_CONFIRM_HOURS},
        ],
        action_url=link,
        action_label=_("E-Mail-Adresse bestätigen"),
    )


def _address_in_use(application: MembershipApplication) -> Notice:
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
    return Notice(
        kind="membership_duplicate",
        subject=_("Ihr Mitgliedsantrag beim Netzwerk Bürgerhaushalt"),
        paragraphs=paragraphs,
        action_url=action_url,
        action_label=action_label,
    )


def _new_application(application: MembershipApplication) -> Notice:
    return Notice(
        kind="membership_new",
        subject=_("Neuer Mitgliedsantrag: %(name)s") % {"name": application.organisation_name},
        paragraphs=[
            _("„%(name)s“ (%(kind)s) hat die Mitgliedschaft beantragt.")
            % {"name": application.organisation_name, "kind": application.get_kind_display()}
        ],
        action_url=settings.SITE_URL + reverse("membership-decisions"),
        action_label=_("Anträge ansehen"),
    )


def _declined(application: MembershipApplication, reason: str) -> Notice:
    return Notice(
        kind="membership_declined",
        subject=_("Ihr Mitgliedsantrag beim Netzwerk Bürgerhaushalt"),
        paragraphs=[
            _(
                "leider können wir „%(name)s“ nicht als Mitglied aufnehmen. Die "
                "Koordination schreibt dazu:"
            )
            % {"name": application.organisation_name},
            reason,
            _("Wenn Sie Fragen haben, antworten Sie einfach auf diese E-Mail."),
        ],
    )


KIND = joining.Kind(
    model=MembershipApplication,
    purpose=CONFIRM,
    key="membership",
    confirm_page="membership-confirm",
    open_statuses=OPEN_STATUSES,
    related=("organisation", "decided_by"),
    in_use=gettext_lazy(
        "Zu dieser E-Mail-Adresse gibt es bereits ein Konto oder einen offenen Antrag."
    ),
    taken=gettext_lazy("Für diese Kommune oder Adresse liegt bereits ein Mitgliedsantrag vor."),
    decided=gettext_lazy(
        "Über diesen Antrag ist schon entschieden oder die Adresse ist nicht bestätigt."
    ),
    applicant_name=lambda application: application.contact_name,
    inert=str,
    confirmation=_confirmation,
    address_in_use=_address_in_use,
    new_application=_new_application,
    declined=_declined,
    conflict=lambda application: _ags_taken(application.ags, exclude=application.pk),
)
