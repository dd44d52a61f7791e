"""Joining the network: apply, confirm the address (double opt-in), and the coordinators'
decision (approve, decline, ask for more). Approval creates the organisation and its admin.

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
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from consult import links
from consult.choices import MUNICIPAL_KINDS, FederalState, OrganisationKind
from consult.cities import city_by_ags, german_cities
from consult.countries import GERMANY, is_country_code
from consult.membership_mail import send_notice
from consult.models import MembershipApplication, Municipality, StaffMembership
from core.errors import Conflict, FieldErrors, Invalid, NotFound
from core.roles import COORDINATOR, MUNICIPAL_STAFF, is_coordinator
from core.validators import check_text

Status = MembershipApplication.Status
CONFIRM = "membership-confirm"
ACCOUNT_SETUP = "account-setup"
# Confirmed and undecided: at most one per AGS and per address (constraints in the model).
OPEN_STATUSES = (Status.PENDING, Status.INFO_REQUESTED)

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


def _confirm_age() -> dt.timedelta:
    return dt.timedelta(hours=settings.MEMBERSHIP_CONFIRM_HOURS)


def _set_password_age() -> dt.timedelta:
    return dt.timedelta(hours=settings.MEMBERSHIP_SET_PASSWORD_HOURS)


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
    country = (data.country or "").strip().upper()
    state, ags = (data.state or "").strip(), (data.ags or "").strip()
    if not data.consent:
        errors.add("consent", _("Bitte stimmen Sie der Verarbeitung Ihrer Angaben zu."))
    if data.kind not in OrganisationKind.values:
        errors.add("kind", _("Unbekannte Art der Organisation."))
    if not is_country_code(country):
        errors.add("country", _("Unbekannter Ländercode (ISO 3166-1 alpha-2, z. B. DE)."))
    if state and state not in FederalState.values:
        errors.add("state", _("Unbekanntes Bundesland."))
    elif state and country != GERMANY:
        errors.add("state", _("Ein Bundesland gibt es nur für Organisationen in Deutschland."))
    if ags:
        entry = city_by_ags(ags)
        if country != GERMANY:
            errors.add("ags", _("Einen Gemeindeschlüssel gibt es nur in Deutschland."))
        elif data.kind not in MUNICIPAL_KINDS:
            errors.add("ags", _("Einen Gemeindeschlüssel haben nur Kommunen."))
        elif not (len(ags) == 8 and ags.isdigit()):
            errors.add("ags", _("Der Gemeindeschlüssel hat genau 8 Ziffern."))
        elif entry is None:
            errors.add("ags", _("Diesen Gemeindeschlüssel kennen wir nicht."))
        elif state and state != entry.state:
            errors.add(
                "state",
                _("Der Gemeindeschlüssel gehört zu %(state)s.") % {"state": entry.state},
            )
        else:
            state = entry.state
    check_text(
        errors,
        {"organisation_name": data.organisation_name, "contact_name": data.contact_name},
        single_line=["organisation_name", "contact_name"],
    )
    if country == GERMANY and not state and "state" not in errors.fields:
        errors.add("state", _("Für Deutschland bitte das Bundesland angeben."))
    errors.raise_if_any()
    return Applicant(
        organisation_name=data.organisation_name.strip(),
        kind=data.kind,
        contact_name=data.contact_name.strip(),
        email=data.email.strip(),
        language=data.language if data.language in ("de", "en") else "de",
        country=country,
        state=state,
        ags=ags,
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
    application = (
        MembershipApplication.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=application_id)
        .first()
    )
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
    coordinators = get_user_model().objects.filter(
        Q(groups__name=COORDINATOR) | Q(is_superuser=True), is_active=True
    )
    for user in coordinators.exclude(email="").distinct():
        with translation.override("de"):
            send_notice(
                recipient=user.email,
                recipient_name=user.get_full_name() or user.get_username(),
                language="de",
                kind="membership_new",
                dedup_key=f"membership:{application.pk}:new:{user.pk}",
                subject=_("Neuer Mitgliedsantrag: %(name)s")
                % {"name": application.organisation_name},
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


# --- deciding (coordinators) ------------------------------------------------------------------


def applications_for(user: Any) -> QuerySet[MembershipApplication]:
    """Coordinators see every application; everyone else none (so theirs are 404)."""
    if not is_coordinator(user):
        return MembershipApplication.objects.none()
    return MembershipApplication.objects.select_related("organisation", "decided_by")


def _locked_application(actor: Any, application_id: int) -> MembershipApplication:
    application = (
        applications_for(actor)
        .select_for_update(no_key=True, of=("self",))
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise NotFound(_("Nicht gefunden."))
    if application.status not in OPEN_STATUSES:
        raise Conflict(
            _("Über diesen Antrag ist schon entschieden oder die Adresse ist nicht bestätigt."),
            code="invalid_transition",
        )
    return application


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


def _username_for(email: str) -> str:
    User = get_user_model()
    base = email.lower()[:150]
    username, n = base, 2
    while User.objects.filter(username__iexact=username).exists():
        suffix = f"-{n}"
        username, n = base[: 150 - len(suffix)] + suffix, n + 1
    return username


def create_member_account(*, organisation: Municipality, email: str, name: str, role: str) -> Any:
    """A user bound to `organisation` with no usable password yet (set from an e-mailed link)."""
    User = get_user_model()
    first, _sep, last = name.strip().partition(" ")
    user = User(username=_username_for(email), email=email, first_name=first[:150])
    user.last_name = last[:150]
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=MUNICIPAL_STAFF)[0])
    StaffMembership.objects.create(user=user, municipality=organisation, role=role)
    return user


def set_password_url(user: Any) -> str:
    token = links.make_token(ACCOUNT_SETUP, user.pk, links.password_fingerprint(user))
    return _url("set-password", token=token)


@transaction.atomic
def approve(
    *, actor: Any, application_id: int, now: dt.datetime | None = None
) -> MembershipApplication:
    """Admit the applicant: the organisation, its admin account, and the set-password e-mail."""
    now = now or timezone.now()
    application = _locked_application(actor, application_id)
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
    application.status = Status.APPROVED
    application.decided_at, application.decided_by = now, actor
    application.organisation = organisation
    application.save(update_fields=["status", "decided_at", "decided_by", "organisation"])
    with translation.override(application.language):
        days = settings.MEMBERSHIP_SET_PASSWORD_HOURS // 24
        send_notice(
            recipient=application.email,
            recipient_name=application.contact_name,
            language=application.language,
            kind="membership_approved",
            dedup_key=f"membership:{application.pk}:approved",
            subject=_("Willkommen im Netzwerk Bürgerhaushalt"),
            paragraphs=[
                _("„%(name)s“ ist jetzt Mitglied des Netzwerks Bürgerhaushalt.")
                % {"name": organisation.name},
                _(
                    "Bitte legen Sie über den Link ein Passwort fest. Danach melden Sie sich mit "
                    "Ihrer E-Mail-Adresse %(email)s an und können Kolleg*innen einladen. Der "
                    "Link gilt %(days)d Tage und nur einmal."
                )
                % {"email": application.email, "days": days},
            ],
            action_url=set_password_url(user),
            action_label=_("Passwort festlegen"),
        )
    return application


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
    application = _locked_application(actor, application_id)
    application.status = Status.DECLINED
    application.decided_at, application.decided_by = now or timezone.now(), actor
    application.reason = reason
    application.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    with translation.override(application.language):
        send_notice(
            recipient=application.email,
            recipient_name=application.contact_name,
            language=application.language,
            kind="membership_declined",
            dedup_key=f"membership:{application.pk}:declined",
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
    return application


@transaction.atomic
def request_info(
    *, actor: Any, application_id: int, message: str, now: dt.datetime | None = None
) -> MembershipApplication:
    """ "Please tell us more": the applicant answers by replying to the e-mail."""
    message = _check_text("message", message, multi_line=True)
    now = now or timezone.now()
    application = _locked_application(actor, application_id)
    application.status = Status.INFO_REQUESTED
    application.info_message = message
    application.save(update_fields=["status", "info_message"])
    with translation.override(application.language):
        send_notice(
            recipient=application.email,
            recipient_name=application.contact_name,
            language=application.language,
            kind="membership_info_requested",
            dedup_key=f"membership:{application.pk}:info:{now.isoformat()}",
            subject=_("Rückfrage zu Ihrem Mitgliedsantrag"),
            paragraphs=[
                _("zu Ihrem Mitgliedsantrag für „%(name)s“ hat die Koordination eine Frage:")
                % {"name": application.organisation_name},
                message,
                _("Bitte antworten Sie einfach auf diese E-Mail."),
            ],
        )
    return application


# --- the first password -----------------------------------------------------------------------


def user_for_password_token(token: str) -> Any:
    """The user a set-password link names, while the link still works (else a clear 400)."""
    parts = links.read_token(ACCOUNT_SETUP, token, max_age=_set_password_age())
    if len(parts) != 2 or not isinstance(parts[0], int):
        raise Invalid(_("Dieser Link ist ungültig."), code="link_invalid")
    user = get_user_model().objects.filter(pk=parts[0], is_active=True).first()
    if user is None or links.password_fingerprint(user) != parts[1]:
        raise links.used_link()
    return user
