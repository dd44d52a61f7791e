"""What every application to join has, whether to the network (consult.MembershipApplication)
or to the expert pool (experts.ExpertApplication): the address confirmed by double opt-in and
the coordinators' decision. Status, consent and "inert" differ per kind and stay there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

LANGUAGES = [("de", "Deutsch"), ("en", "English")]
# Every kind's statuses begin with these two: the address is not confirmed yet, then it is and
# the application waits for the coordinators.
EMAIL_UNVERIFIED, PENDING = "email_unverified", "pending"


class JoiningApplication(models.Model):
    email = models.EmailField(_("E-Mail"))
    language = models.CharField(_("Sprache"), max_length=2, choices=LANGUAGES, default="de")
    # Part of the signed confirmation link; emptied once used, so a link works once.
    confirm_nonce = models.CharField(max_length=32, blank=True)
    confirmed_at = models.DateTimeField(_("E-Mail bestätigt am"), null=True, blank=True)
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entschieden von"),
    )
    reason = models.TextField(_("Begründung"), blank=True)
    created_at = models.DateTimeField(_("eingegangen am"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
