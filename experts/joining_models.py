"""How experts join the pool (issue 17): an application with double opt-in, or a coordinator's
invitation; either way a row here records who joined how and who decided."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from consult.joining_models import JoiningApplication
from core.validators import no_control_characters, no_control_characters_multiline


class ExpertApplication(JoiningApplication):
    class Status(models.TextChoices):
        EMAIL_UNVERIFIED = "email_unverified", _("E-Mail nicht bestätigt")
        PENDING = "pending", _("wartet auf Entscheidung")
        APPROVED = "approved", _("aufgenommen")
        DECLINED = "declined", _("abgelehnt")

    class Source(models.TextChoices):
        APPLICATION = "application", _("Bewerbung")
        INVITATION = "invitation", _("Einladung durch die Koordination")

    source = models.CharField(
        _("Weg"), max_length=12, choices=Source.choices, default=Source.APPLICATION
    )
    display_name = models.CharField(_("Name"), max_length=200, validators=[no_control_characters])
    organisation = models.CharField(
        _("Organisation"), max_length=200, blank=True, validators=[no_control_characters]
    )
    bio = models.TextField(_("Profil"), blank=True, validators=[no_control_characters_multiline])
    # [{"topic": slug, "level": 1..3}, ...]: checked against the topics by the service.
    topics = models.JSONField(_("Themen"), default=list, blank=True)
    references = models.TextField(
        _("Referenzen"), blank=True, validators=[no_control_characters_multiline]
    )
    consent_at = models.DateTimeField(_("Einwilligung am"), null=True, blank=True)
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.EMAIL_UNVERIFIED
    )
    # Answered like a new one, but never confirmable: the address has an account or an open
    # application (its owner is told by e-mail; the caller cannot tell the difference).
    inert = models.BooleanField(default=False)
    expert = models.ForeignKey(
        "experts.ExpertProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Until a coordinator first activates the expert, the expert cannot switch themselves on.
    activated_at = models.DateTimeField(_("freigeschaltet am"), null=True, blank=True)

    class Meta(JoiningApplication.Meta):
        verbose_name = _("Bewerbung als Expert*in")
        verbose_name_plural = _("Bewerbungen als Expert*in")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=Q(status="pending"), name="expert_application_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_status_display()})"
