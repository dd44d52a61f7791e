"""What every app may read about an account: its preferences (the language of its e-mails).

Here, in the kernel, because every app that writes to a person needs it and none may import
``accounts`` (which sits on top); ``core.preferences`` reads and writes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Each language named in itself, as the language switch does.
LANGUAGES = [("de", "Deutsch"), ("en", "English")]


class AccountPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_preference"
    )
    language = models.CharField(_("Sprache"), max_length=8, choices=LANGUAGES, default="de")

    class Meta:
        verbose_name = _("Kontoeinstellung")
        verbose_name_plural = _("Kontoeinstellungen")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
