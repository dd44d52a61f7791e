"""Joining the network: membership applications and invitations of colleagues (issue 17)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consult.choices import FederalState, OrganisationKind
from consult.joining_models import LANGUAGES, JoiningApplication


class MembershipApplication(JoiningApplication):
    class Status(models.TextChoices):
        EMAIL_UNVERIFIED = "email_unverified", _("E-Mail nicht bestätigt")
        PENDING = "pending", _("wartet auf Entscheidung")
        INFO_REQUESTED = "info_requested", _("Rückfrage gestellt")
        APPROVED = "approved", _("aufgenommen")
        DECLINED = "declined", _("abgelehnt")

    class Inert(models.TextChoices):
        """Why an application can never be confirmed: it was answered neutrally (the caller
        cannot tell an address in use from a new one) and the address's owner was told."""

        NO = "", _("—")
        ACCOUNT = "account", _("E-Mail gehört zu einem Konto")
        APPLICATION = "application", _("E-Mail hat schon einen offenen Antrag")

    OPEN = (Status.PENDING, Status.INFO_REQUESTED)

    organisation_name = models.CharField(_("Name der Organisation"), max_length=200)
    kind = models.CharField(_("Art"), max_length=20, choices=OrganisationKind.choices)
    country = models.CharField(_("Land (ISO 3166)"), max_length=2, default="DE")
    state = models.CharField(
        _("Bundesland"), max_length=40, choices=FederalState.choices, blank=True
    )
    ags = models.CharField(_("Amtlicher Gemeindeschlüssel"), max_length=8, blank=True)
    website = models.URLField(_("Website"), blank=True)
    contact_name = models.CharField(_("Ansprechperson"), max_length=200)
    consent_at = models.DateTimeField(_("Einwilligung am"))
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.EMAIL_UNVERIFIED
    )
    inert = models.CharField(max_length=12, choices=Inert.choices, default="", blank=True)
    info_message = models.TextField(_("Rückfrage"), blank=True)
    organisation = models.ForeignKey(
        "consult.Municipality",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )

    class Meta(JoiningApplication.Meta):
        verbose_name = _("Mitgliedsantrag")
        verbose_name_plural = _("Mitgliedsanträge")
        constraints = [
            # At most one confirmed, undecided application per address and per AGS: a second
            # one waits for the first decision (races settled by the database, not Python).
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(status__in=["pending", "info_requested"]),
                name="membership_open_email",
            ),
            models.UniqueConstraint(
                fields=["ags"],
                condition=Q(status__in=["pending", "info_requested"]) & ~Q(ags=""),
                name="membership_open_ags",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="membership_status")]

    def __str__(self) -> str:
        return f"{self.organisation_name} ({self.get_status_display()})"


class Invitation(models.Model):
    """An organisation's admin invites a colleague by e-mail; the link works once, expires and
    can be revoked."""

    organisation = models.ForeignKey(
        "consult.Municipality", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("E-Mail"))
    role = models.CharField(
        _("Rolle"),
        max_length=10,
        choices=[("admin", _("Administration")), ("staff", _("Mitarbeiter*in"))],
        default="staff",
    )
    language = models.CharField(_("Sprache"), max_length=2, choices=LANGUAGES, default="de")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("gültig bis"))
    accepted_at = models.DateTimeField(_("angenommen am"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("zurückgezogen am"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Einladung")
        verbose_name_plural = _("Einladungen")
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    def status(self, now: datetime | None = None) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "open"
