"""The coordinators' decision on a membership application (approve, decline, ask for more) and
the first password: approval creates the organisation and its admin, whose account gets a
password from a signed, expiring, single-use link."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from consult import joining
from consult.cities import city_by_ags, german_cities
from consult.joining import Notice
from consult.membership import KIND, Status, _ags_taken
from consult.models import MembershipApplication, Municipality, StaffMembership
from core.errors import Conflict, FieldErrors
from core.roles import MUNICIPAL_STAFF
from core.validators import check_text

# Where a German organisation without AGS is placed on the map until a coordinator sets it:
# its state's capital (population and coordinates from the shipped list).
STATE_CAPITALS = {
    "Baden-Württemberg": "Stuttgart",
    "Bayern": "München",
    "Berlin": "Berlin",
    "Brandenburg": "Potsdam",
    "Bremen": "Bremen",
    "Hamburg": "Hamburg",
    "Hessen": "Wiesbaden",
    "Mecklenburg-Vorpommern": "Schwerin",
    "Niedersachsen": "Hannover",
    "Nordrhein-Westfalen": "Düsseldorf",
    "Rheinland-Pfalz": "Mainz",
    "Saarland": "Saarbrücken",
    "Sachsen": "Dresden",
    "Sachsen-Anhalt": "Magdeburg",
    "Schleswig-Holstein": "Kiel",
    "Thüringen": "Erfurt",
}


# --- deciding (coordinators) ------------------------------------------------------------------


def applications_for(user: Any) -> QuerySet[MembershipApplication]:
    """Coordinators see every application; everyone else none (so theirs are 404)."""
    return joining.applications_for(KIND, user)


def _unique_slug(name: str) -> str:
    base = slugify(name.replace("ß", "ss"))[:180] or "organisation"
    slug, n = base, 2
    while Municipality.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _place(application: MembershipApplication) -> dict[str, Any]:
    """Coordinates and population: the city of the AGS, else the state's capital (an
    approximation the coordinators can correct), else 0/0 for abroad (unknown)."""
    entry = city_by_ags(application.ags) if application.ags else None
    if entry is None and application.state in STATE_CAPITALS:
        capital = STATE_CAPITALS[application.state]
        entry = next((c for c in german_cities() if c.name == capital), None)
        if entry is not None:
            return {"latitude": entry.latitude, "longitude": entry.longitude}
    if entry is None:
        return {"latitude": 0.0, "longitude": 0.0}
    return {
        "latitude": entry.latitude,
        "longitude": entry.longitude,
        "population": entry.population,
        "district": entry.district,
    }


def create_member_account(*, organisation: Municipality, email: str, name: str, role: str) -> Any:
    """A user bound to `organisation` with no usable password yet (set from an e-mailed link)."""
    User = get_user_model()
    first, _sep, last = name.strip().partition(" ")
    user = User(username=joining.username_for(email), email=email, first_name=first[:150])
    user.last_name = last[:150]
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=MUNICIPAL_STAFF)[0])
    StaffMembership.objects.create(user=user, municipality=organisation, role=role)
    return user


@transaction.atomic
def approve(
    *, actor: Any, application_id: int, now: dt.datetime | None = None
) -> MembershipApplication:
    """Admit the applicant: the organisation, its admin account, and the set-password e-mail."""
    now = now or timezone.now()
    application = joining.open_application(KIND, actor, application_id)
    if conflict := _ags_taken(application.ags, exclude=application.pk):
        raise conflict
    if get_user_model().objects.filter(email__iexact=application.email).exists():
        raise Conflict(
            _("Zu dieser E-Mail-Adresse gibt es inzwischen ein Konto."), code="email_in_use"
        )
    organisation = Municipality(
        name=application.organisation_name,
        slug=_unique_slug(application.organisation_name),
        kind=application.kind,
        country=application.country,
        state=application.state,
        ags=application.ags,
        website=application.website,
        contact_email=application.email,
        member_since=timezone.localdate(now),
        **_place(application),
    )
    organisation.full_clean()
    organisation.save()
    user = create_member_account(
        organisation=organisation,
        email=application.email,
        name=application.contact_name,
        role=StaffMembership.Role.ADMIN,
    )
    joining.record_decision(
        application, actor=actor, status=Status.APPROVED, now=now, organisation=organisation
    )
    joining.tell_applicant(
        KIND,
        application,
        dedup_key=f"membership:{application.pk}:approved",
        notice=partial(_welcome, application, user),
    )
    return application


def _welcome(application: MembershipApplication, user: Any) -> Notice:
    return Notice(
        kind="membership_approved",
        subject=_("Willkommen im Netzwerk Bürgerhaushalt"),
        paragraphs=[
            _("„%(name)s“ ist jetzt Mitglied des Netzwerks Bürgerhaushalt.")
            % {"name": application.organisation.name},
            _(
                "Bitte legen Sie über den Link ein Passwort fest. Danach melden Sie sich mit "
                "Ihrer E-Mail-Adresse %(email)s an und können Kolleg*innen einladen. Der "
                "Link gilt %(days)d Tage und nur einmal."
            )
            % {"email": application.email, "days": settings.MEMBERSHIP_SET_PASSWORD_HOURS // 24},
        ],
        action_url=joining.set_password_url(user),
        action_label=_("Passwort festlegen"),
    )


def _check_text(name: str, text: str, *, multi_line: bool = False) -> str:
    text = (text or "").strip()
    errors = FieldErrors()
    if not text:
        errors.add(name, _("Dieses Feld ist nötig."))
    check_text(errors, {name: text}, multi_line=[name] if multi_line else [])
    errors.raise_if_any()
    return text


@transaction.atomic
def decline(
    *, actor: Any, application_id: int, reason: str, now: dt.datetime | None = None
) -> MembershipApplication:
    reason = _check_text("reason", reason, multi_line=True)
    application = joining.open_application(KIND, actor, application_id)
    return joining.decline(KIND, application, actor=actor, reason=reason, now=now or timezone.now())


@transaction.atomic
def request_info(
    *, actor: Any, application_id: int, message: str, now: dt.datetime | None = None
) -> MembershipApplication:
    """ "Please tell us more": the applicant answers by replying to the e-mail."""
    message = _check_text("message", message, multi_line=True)
    now = now or timezone.now()
    application = joining.open_application(KIND, actor, application_id)
    application.status = Status.INFO_REQUESTED
    application.info_message = message
    application.save(update_fields=["status", "info_message"])
    joining.tell_applicant(
        KIND,
        application,
        dedup_key=f"membership:{application.pk}:info:{now.isoformat()}",
        notice=partial(_question, application, message),
    )
    return application


def _question(application: MembershipApplication, message: str) -> Notice:
    return Notice(
        kind="membership_info_requested",
        subject=_("Rückfrage zu Ihrem Mitgliedsantrag"),
        paragraphs=[
            _("zu Ihrem Mitgliedsantrag für „%(name)s“ hat die Koordination eine Frage:")
            % {"name": application.organisation_name},
            message,
            _("Bitte antworten Sie einfach auf diese E-Mail."),
        ],
    )
