"""Experts join the pool: they apply (double opt-in through consult.links, as membership
applications do) or a coordinator invites them; an approval or an invitation creates the
account with an inactive profile and e-mails the first-password link (consult's); a
coordinator then activates the expert for matching."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consult import joining as steps
from consult import services as consult_services
from consult.joining import Notice
from core.errors import Conflict, FieldErrors, NotFound
from core.roles import is_coordinator
from core.validators import check_text
from experts import services as expert_services
from experts.joining_models import ExpertApplication
from experts.models import ExpertProfile
from experts.selectors import json_list_has

Status = ExpertApplication.Status
CONFIRM = "expert-confirm"


def _language(value: str) -> str:
    return "en" if (value or "").startswith("en") else "de"


@dataclass(frozen=True)
class Candidate:
    display_name: str
    email: str
    organisation: str = ""
    bio: str = ""
    topics: list[dict[str, Any]] = field(default_factory=list)
    references: str = ""
    language: str = "de"
    consent: bool = False


def _check(candidate: Candidate, *, needs_consent: bool = True) -> list[dict[str, Any]]:
    """Every broken rule in one 400; returns the topics as [{"topic", "level"}]."""
    errors = FieldErrors()
    if needs_consent and not candidate.consent:
        errors.add("consent", _("Bitte stimmen Sie der Verarbeitung Ihrer Angaben zu."))
    if not candidate.display_name.strip():
        errors.add("display_name", _("Bitte Ihren Namen angeben."))
    check_text(
        errors,
        {
            "display_name": candidate.display_name,
            "organisation": candidate.organisation,
            "bio": candidate.bio,
            "references": candidate.references,
        },
        single_line=["display_name", "organisation"],
        multi_line=["bio", "references"],
    )
    levels = consult_services.topic_values(
        errors, list(candidate.topics), key="level", label=_("Stufe")
    )
    errors.raise_if_any()
    return [{"topic": topic.slug, "level": level} for topic, level in levels]


# --- applying ---------------------------------------------------------------------------------


@transaction.atomic
def apply(*, candidate: Candidate, now: dt.datetime | None = None) -> ExpertApplication:
    """Store an application and e-mail its confirmation link; an address already in use gets
    a notice instead (the caller's answer is the same, so nobody learns who has an account)."""
    return steps.submit(
        KIND,
        now=now or timezone.now(),
        topics=_check(candidate),
        display_name=candidate.display_name.strip(),
        email=candidate.email.strip(),
        organisation=candidate.organisation.strip(),
        bio=candidate.bio.strip(),
        references=candidate.references.strip(),
        language=_language(candidate.language),
    )


def _confirmation(application: ExpertApplication, link: str) -> Notice:
    return Notice(
        kind="expert_application_confirm",
        subject=_("Bitte bestätigen Sie Ihre E-Mail-Adresse"),
        paragraphs=[
            _(
                "vielen Dank für Ihre Bewerbung als Expert*in beim Netzwerk "
                "Bürgerhaushalt. Bitte öffnen Sie den Link und klicken Sie dort auf "
                "„Adresse bestätigen“."
            ),
            _("Der Link gilt %(hours)d Stunden und nur einmal.")
            % {"hours": settings.MEMBERSHIP_CONFIRM_HOURS},
        ],
        action_url=link,
        action_label=_("E-Mail-Adresse bestätigen"),
    )


def _address_in_use(application: ExpertApplication) -> Notice:
    return Notice(
        kind="expert_application_duplicate",
        subject=_("Ihre Bewerbung als Expert*in"),
        paragraphs=[
            _(
                "jemand – vielleicht Sie selbst – hat sich mit dieser E-Mail-Adresse als "
                "Expert*in beworben. Zu dieser Adresse gibt es schon ein Konto oder eine "
                "offene Bewerbung, deshalb haben wir keine zweite angelegt."
            ),
            _("Melden Sie sich an, oder warten Sie auf die Antwort der Koordination."),
        ],
        action_url=settings.SITE_URL + reverse("login"),
        action_label=_("Zur Anmeldung"),
    )


def _new_application(application: ExpertApplication) -> Notice:
    return Notice(
        kind="expert_application_new",
        subject=_("Neue Bewerbung als Expert*in: %(name)s") % {"name": application.display_name},
        paragraphs=[
            _("%(name)s möchte im Pool der Expert*innen mitarbeiten.")
            % {"name": application.display_name}
        ],
        action_url=settings.SITE_URL + reverse("expert-pool"),
        action_label=_("Bewerbungen ansehen"),
    )


def _declined(application: ExpertApplication, reason: str) -> Notice:
    return Notice(
        kind="expert_declined",
        subject=_("Ihre Bewerbung als Expert*in"),
        paragraphs=[
            _("vielen Dank für Ihre Bewerbung. Leider können wir Sie nicht aufnehmen."),
            reason,
        ],
    )


KIND = steps.Kind(
    model=ExpertApplication,
    purpose=CONFIRM,
    key="expert-application",
    confirm_page="expert-join-confirm",
    open_statuses=(Status.PENDING,),
    related=("decided_by", "expert"),
    in_use=gettext_lazy(
        "Zu dieser E-Mail-Adresse gibt es bereits ein Konto oder eine offene Bewerbung."
    ),
    taken=gettext_lazy("Zu dieser E-Mail-Adresse liegt bereits eine Bewerbung vor."),
    decided=gettext_lazy(
        "Über diese Bewerbung ist schon entschieden oder die Adresse ist nicht bestätigt."
    ),
    applicant_name=lambda application: application.display_name,
    inert=bool,
    confirmation=_confirmation,
    address_in_use=_address_in_use,
    new_application=_new_application,
    declined=_declined,
)


# --- deciding and inviting (coordinators) -----------------------------------------------------


def applications_for(user: Any) -> QuerySet[ExpertApplication]:
    """Coordinators see every application; for everyone else none exists (404)."""
    return steps.applications_for(KIND, user)


def _admit(*, actor: Any, application: ExpertApplication) -> ExpertProfile:
    """The account (no usable password yet) and an inactive profile; the set-password e-mail."""
    if get_user_model().objects.filter(email__iexact=application.email).exists():
        message = _("Zu dieser E-Mail-Adresse gibt es schon ein Konto.")
        raise Conflict(message, code="email_in_use", fields={"email": [message]})
    bio = {"bio_en" if application.language == "en" else "bio_de": application.bio}
    expert = expert_services.create_profile(
        actor=actor,
        username=steps.username_for(application.email),
        display_name=application.display_name,
        topics=application.topics,
        email=application.email,
        organisation=application.organisation,
        languages=[application.language],
        active=False,
        **bio,
    )
    steps.tell_applicant(
        KIND,
        application,
        dedup_key=f"expert-application:{application.pk}:welcome",
        notice=partial(_welcome, application, expert.user),
    )
    return expert


def _welcome(application: ExpertApplication, user: Any) -> Notice:
    return Notice(
        kind="expert_welcome",
        subject=_("Willkommen im Pool der Expert*innen"),
        paragraphs=[
            _("Sie sind in den Pool der Expert*innen des Netzwerks Bürgerhaushalt aufgenommen.")
            if application.source == ExpertApplication.Source.APPLICATION
            else _(
                "die Koordination des Netzwerks Bürgerhaushalt lädt Sie in den Pool der "
                "Expert*innen ein."
            ),
            _(
                "Bitte legen Sie über den Link ein Passwort fest, melden Sie sich mit Ihrer "
                "E-Mail-Adresse %(email)s an und vervollständigen Sie Ihr Profil (Themen, "
                "Regionen, Formate, Verfügbarkeit). Danach schaltet die Koordination Sie "
                "für Anfragen frei. Der Link gilt %(days)d Tage und nur einmal."
            )
            % {
                "email": application.email,
                "days": settings.MEMBERSHIP_SET_PASSWORD_HOURS // 24,
            },
        ],
        action_url=steps.set_password_url(user),
        action_label=_("Passwort festlegen"),
    )


@transaction.atomic
def approve(
    *, actor: Any, application_id: int, now: dt.datetime | None = None
) -> ExpertApplication:
    application = steps.open_application(KIND, actor, application_id)
    expert = _admit(actor=actor, application=application)
    steps.record_decision(
        application, actor=actor, status=Status.APPROVED, now=now or timezone.now(), expert=expert
    )
    return application


@transaction.atomic
def decline(
    *, actor: Any, application_id: int, reason: str, now: dt.datetime | None = None
) -> ExpertApplication:
    application = steps.open_application(KIND, actor, application_id)
    reason = (reason or "").strip()
    errors = FieldErrors()
    if not reason:
        errors.add("reason", _("Bitte eine Begründung angeben."))
    check_text(errors, {"reason": reason}, multi_line=["reason"])
    errors.raise_if_any()
    return steps.decline(KIND, application, actor=actor, reason=reason, now=now or timezone.now())


@transaction.atomic
def invite(
    *,
    actor: Any,
    display_name: str,
    email: str,
    organisation: str = "",
    language: str = "de",
    now: dt.datetime | None = None,
) -> ExpertApplication:
    """A coordinator invites an expert: the account and inactive profile now, the
    set-password link by e-mail (expiring, single use, refused when changed)."""
    if not is_coordinator(actor):
        raise NotFound(_("Nicht gefunden."))
    now = now or timezone.now()
    candidate = Candidate(display_name=display_name, email=email, organisation=organisation)
    _check(candidate, needs_consent=False)
    application = ExpertApplication.objects.create(
        source=ExpertApplication.Source.INVITATION,
        display_name=display_name.strip(),
        email=email.strip(),
        organisation=organisation.strip(),
        language=_language(language),
        status=Status.APPROVED,
        decided_at=now,
        decided_by=actor,
        created_at=now,
    )
    application.expert = _admit(actor=actor, application=application)
    application.save(update_fields=["expert"])
    return application


# --- activation -------------------------------------------------------------------------------


POOL_STATUSES = ("active", "paused")


def experts_for(
    user: Any, *, text: str = "", topic: str = "", state: str = "", status: str = ""
) -> QuerySet[ExpertProfile]:
    """The pool for coordinators (nobody else), searched by name, e-mail or organisation, a
    topic (slug), a Land served and the status (active or paused), paused first."""
    if not is_coordinator(user):
        return ExpertProfile.objects.none()
    qs = ExpertProfile.objects.select_related("user").order_by("active", "display_name", "id")
    if text:
        qs = qs.filter(
            Q(display_name__icontains=text)
            | Q(email__icontains=text)
            | Q(organisation__icontains=text)
        )
    if topic:
        qs = qs.filter(topic_levels__topic__slug=topic)
    if state:
        qs = qs.filter(json_list_has("states", state))
    if status in POOL_STATUSES:
        qs = qs.filter(active=status == "active")
    return qs


@transaction.atomic
def set_activity(
    *, actor: Any, expert_id: int, active: bool | None, monthly_capacity: int | None = None
) -> ExpertProfile:
    """Activate an expert for matching or pause them (the matcher leaves a paused expert out;
    their bookings stay); and/or set their monthly capacity. None leaves a value as it is."""
    expert = experts_for(actor).filter(pk=expert_id).first()
    if expert is None:
        raise NotFound(_("Nicht gefunden."))
    changes: dict[str, Any] = {}
    if active is not None:
        changes["active"] = active
    if monthly_capacity is not None:
        changes["monthly_capacity"] = monthly_capacity
    expert = expert_services.update_profile(actor=actor, expert=expert, **changes)
    if active:
        ExpertApplication.objects.filter(expert=expert, activated_at__isnull=True).update(
            activated_at=timezone.now()
        )
    return expert
