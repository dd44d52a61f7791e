"""People of an organisation: its admin invites colleagues by e-mail, removes them and hands the
admin role on. Another organisation's people and invitations do not exist for the caller (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from consult import links
from consult.membership_decisions import create_member_account
from consult.membership_mail import send_notice
from consult.models import Invitation, Municipality, StaffMembership
from core import locking
from core.errors import Conflict, FieldErrors, Invalid, NotFound
from core.roles import MUNICIPAL_STAFF, is_coordinator
from core.validators import check_text

Role = StaffMembership.Role
ACCEPT = "invitation"


def _not_found() -> NotFound:
    return NotFound(_("Nicht gefunden."))


def membership_of(user: Any) -> StaffMembership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return StaffMembership.objects.filter(user=user).select_related("municipality").first()


def is_organisation_admin(user: Any) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.role == Role.ADMIN


def _organisation(actor: Any, organisation_id: int, *, manage: bool) -> Municipality:
    """The organisation if the actor may see it (a member, a coordinator) or manage it (its
    admin, a coordinator); any other is 404."""
    if is_coordinator(actor):
        organisation = Municipality.objects.filter(pk=organisation_id).first()
    else:
        membership = membership_of(actor)
        ok = membership is not None and membership.municipality_id == organisation_id
        if ok and manage and membership.role != Role.ADMIN:
            ok = False
        organisation = membership.municipality if ok and membership else None
    if organisation is None:
        raise _not_found()
    return organisation


def people_of(*, actor: Any, organisation_id: int) -> QuerySet[StaffMembership]:
    organisation = _organisation(actor, organisation_id, manage=False)
    return (
        StaffMembership.objects.filter(municipality=organisation)
        .select_related("user")
        .order_by("-role", "user__last_name", "user__username")
    )


def invitations_for(actor: Any) -> QuerySet[Invitation]:
    """Coordinators: all; an organisation's admin: its own; everyone else: none."""
    qs = Invitation.objects.select_related("organisation", "invited_by")
    if is_coordinator(actor):
        return qs
    membership = membership_of(actor)
    if membership is None or membership.role != Role.ADMIN:
        return qs.none()
    return qs.filter(organisation_id=membership.municipality_id)


# --- invitations ------------------------------------------------------------------------------


def _invitation_age() -> dt.timedelta:
    return dt.timedelta(days=settings.MEMBERSHIP_INVITATION_DAYS)


@transaction.atomic
def invite(
    *,
    actor: Any,
    organisation_id: int,
    email: str,
    role: str = Role.STAFF,
    language: str = "de",
    now: dt.datetime | None = None,
) -> Invitation:
    """Invite a colleague; an address that has an account already is refused (409): the
    inviting admin is a vetted member, and an account belongs to one organisation."""
    now = now or timezone.now()
    organisation = _organisation(actor, organisation_id, manage=True)
    email = email.strip()
    if role not in Role.values:
        raise Invalid(_("Unbekannte Rolle."), fields={"role": [_("Unbekannte Rolle.")]})
    if get_user_model().objects.filter(email__iexact=email).exists():
        message = _("Zu dieser E-Mail-Adresse gibt es bereits ein Konto.")
        raise Conflict(message, code="email_in_use", fields={"email": [message]})
    # An expired invitation to the same address makes way for the new one.
    Invitation.objects.filter(
        organisation=organisation,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__lte=now,
    ).update(revoked_at=now)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organisation=organisation,
                email=email,
                role=role,
                language=language if language in ("de", "en") else "de",
                invited_by=actor,
                nonce=links.new_nonce(),
                created_at=now,
                expires_at=now + _invitation_age(),
            )
    except IntegrityError:
        message = _("Diese Adresse ist schon eingeladen.")
        raise Conflict(message, code="already_invited", fields={"email": [message]}) from None
    token = links.make_token(ACCEPT, invitation.pk, invitation.nonce)
    inviter = actor.get_full_name() or actor.get_username()
    with translation.override(invitation.language):
        send_notice(
            recipient=email,
            recipient_name="",
            language=invitation.language,
            kind="invitation",
            dedup_key=f"invitation:{invitation.pk}",
            subject=_("Einladung zum Netzwerk Bürgerhaushalt: %(name)s")
            % {"name": organisation.name},
            paragraphs=[
                _(
                    "%(inviter)s lädt Sie ein, im Netzwerk Bürgerhaushalt für „%(name)s“ "
                    "mitzuarbeiten."
                )
                % {"inviter": inviter, "name": organisation.name},
                _(
                    "Über den Link legen Sie Ihr Passwort fest; danach melden Sie sich mit "
                    "dieser E-Mail-Adresse an. Der Link gilt bis %(date)s und nur einmal."
                )
                % {"date": date_format(timezone.localtime(invitation.expires_at).date())},
            ],
            action_url=settings.SITE_URL + reverse("invitation-accept", kwargs={"token": token}),
            action_label=_("Einladung annehmen"),
        )
    return invitation


@transaction.atomic
def revoke_invitation(
    *, actor: Any, invitation_id: int, now: dt.datetime | None = None
) -> Invitation:
    invitation = locking.lock(invitations_for(actor).filter(pk=invitation_id))
    if invitation is None:
        raise _not_found()
    if invitation.accepted_at or invitation.revoked_at:
        raise Conflict(
            _("Diese Einladung ist schon angenommen oder zurückgezogen."),
            code="invalid_transition",
        )
    invitation.revoked_at = now or timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_for_token(token: str, *, now: dt.datetime | None = None) -> Invitation:
    """The invitation a link names while it can be accepted (else a clear 400)."""
    parts = links.read_token(ACCEPT, token, max_age=_invitation_age())
    if len(parts) != 2 or not isinstance(parts[0], int):
        raise Invalid(_("Dieser Link ist ungültig."), code="link_invalid")
    invitation = Invitation.objects.select_related("organisation").filter(pk=parts[0]).first()
    if invitation is None or invitation.nonce != parts[1]:
        raise Invalid(_("Dieser Link ist ungültig."), code="link_invalid")
    status = invitation.status(now)
    if status == "accepted":
        raise links.used_link()
    if status == "revoked":
        raise Invalid(_("Diese Einladung wurde zurückgezogen."), code="link_revoked")
    if status == "expired":
        raise Invalid(
            _("Diese Einladung ist abgelaufen. Bitte lassen Sie sich neu einladen."),
            code="link_expired",
        )
    return invitation


@transaction.atomic
def accept_invitation(
    *, token: str, name: str, password: str, now: dt.datetime | None = None
) -> Any:
    """The colleague's account, bound to the organisation, with the password they chose
    (validated by the caller's SetPasswordForm)."""
    now = now or timezone.now()
    errors = FieldErrors()
    check_text(errors, {"name": name}, single_line=["name"])
    errors.raise_if_any()
    invitation = invitation_for_token(token, now=now)
    invitation = locking.lock(Invitation.objects.filter(pk=invitation.pk))
    if invitation is None or invitation.status(now) != "open":
        raise links.used_link()
    User = get_user_model()
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise Conflict(
            _("Zu dieser E-Mail-Adresse gibt es bereits ein Konto."), code="email_in_use"
        )
    user = create_member_account(
        organisation=invitation.organisation,
        email=invitation.email,
        name=name,
        role=invitation.role,
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user


# --- removing, handing on ---------------------------------------------------------------------


def _locked_person(actor: Any, organisation_id: int, user_id: int) -> StaffMembership:
    organisation = _organisation(actor, organisation_id, manage=True)
    person = locking.lock(
        StaffMembership.objects.select_related("user").filter(
            municipality=organisation, user_id=user_id
        )
    )
    if person is None:
        raise _not_found()
    return person


@transaction.atomic
def remove_person(*, actor: Any, organisation_id: int, user_id: int) -> None:
    """The colleague loses access: the binding goes and the account is deactivated (their
    plans, requests and bookings stay with the organisation)."""
    person = _locked_person(actor, organisation_id, user_id)
    if person.role == Role.ADMIN:
        raise Conflict(
            _("Die Administration kann nicht entfernt werden. Geben Sie die Rolle zuerst ab."),
            code="admin_cannot_be_removed",
        )
    user = person.user
    person.delete()
    user.is_active = False
    user.save(update_fields=["is_active"])
    user.groups.remove(*Group.objects.filter(name=MUNICIPAL_STAFF))


@transaction.atomic
def hand_over_admin(*, actor: Any, organisation_id: int, user_id: int) -> StaffMembership:
    """Make a colleague the organisation's admin; the previous admin stays as staff."""
    person = _locked_person(actor, organisation_id, user_id)
    if person.role == Role.ADMIN:
        raise Conflict(_("Diese Person ist bereits die Administration."), code="already_admin")
    StaffMembership.objects.filter(municipality_id=organisation_id, role=Role.ADMIN).update(
        role=Role.STAFF
    )
    person.role = Role.ADMIN
    person.save(update_fields=["role"])
    return person
