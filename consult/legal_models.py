"""The pages a German public website owes its visitors (Impressum, Datenschutz, Barrierefreiheit,
Leichte Sprache): Markdown in German and English, edited by coordinators, every change kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import no_control_characters, no_control_characters_multiline


class LegalPage(models.Model):
    class Slug(models.TextChoices):
        IMPRINT = "impressum", _("Impressum")
        PRIVACY = "datenschutz", _("Datenschutzerklärung")
        ACCESSIBILITY = "barrierefreiheit", _("Erklärung zur Barrierefreiheit")
        EASY_LANGUAGE = "leichte-sprache", _("Leichte Sprache")

    slug = models.SlugField(unique=True, max_length=40, choices=Slug.choices)
    title_de = models.CharField(
        _("Titel (deutsch)"), max_length=200, validators=[no_control_characters]
    )
    title_en = models.CharField(
        _("Titel (englisch)"), max_length=200, validators=[no_control_characters]
    )
    body_de = models.TextField(
        _("Text (deutsch, Markdown)"), validators=[no_control_characters_multiline]
    )
    body_en = models.TextField(
        _("Text (englisch, Markdown)"), validators=[no_control_characters_multiline]
    )
    updated_at = models.DateTimeField(_("geändert am"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("geändert von"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("Rechtliche Seite")
        verbose_name_plural = _("Rechtliche Seiten")

    def __str__(self) -> str:
        return self.get_slug_display()


class LegalPageRevision(models.Model):
    """One saved version of a page: who changed it, when, and what it said before."""

    page = models.ForeignKey(LegalPage, on_delete=models.CASCADE, related_name="revisions")
    title_de = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_de = models.TextField()
    body_en = models.TextField()
    changed_at = models.DateTimeField(_("geändert am"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("geändert von"),
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("Fassung einer rechtlichen Seite")
        verbose_name_plural = _("Fassungen rechtlicher Seiten")

    def __str__(self) -> str:
        return f"{self.page} {self.changed_at:%Y-%m-%d %H:%M}"
