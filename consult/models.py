"""The members' side: organisations (municipalities and the other kinds), their people, plans
and consultation requests.

The topic taxonomy lives here too: plans, requests, experts and the library all use it, and this
is the ground floor every other app may import.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from consult.choices import (
    LANGUAGE_CHOICES,
    MUNICIPAL_KINDS,
    ConsultationFormat,
    FederalState,
    OrganisationKind,
    ProcedureType,
    Stage,
    size_class,
)
from consult.countries import is_country_code
from core.validators import no_control_characters, no_control_characters_multiline


def new_token() -> str:
    """An unguessable secret for private links (calendar feeds, self-service)."""
    return secrets.token_urlsafe(32)


class Topic(models.Model):
    slug = models.SlugField(unique=True)
    name_de = models.CharField(
        _("Name (deutsch)"), max_length=120, validators=[no_control_characters]
    )
    name_en = models.CharField(
        _("Name (englisch)"), max_length=120, validators=[no_control_characters]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("Thema")
        verbose_name_plural = _("Themen")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_de


class Municipality(models.Model):
    """A member organisation. Named Municipality in code and table because every foreign key,
    the API `/api/v1/municipalities/` and the data predate the other kinds (see `Organisation`)."""

    name = models.CharField(_("Name"), max_length=200, validators=[no_control_characters])
    slug = models.SlugField(unique=True, max_length=200)
    ags = models.CharField(
        _("Amtlicher Gemeindeschlüssel"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{8}$", _("Der AGS hat genau 8 Ziffern."))],
    )
    # Required where the country is Germany (checked in clean() and by a constraint).
    state = models.CharField(
        _("Bundesland"), max_length=40, choices=FederalState.choices, blank=True
    )
    kind = models.CharField(
        _("Art"), max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.STADT
    )
    country = models.CharField(
        _("Land (ISO 3166)"),
        max_length=2,
        default="DE",
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Zwei Großbuchstaben (ISO 3166-1)."))],
    )
    website = models.URLField(_("Website"), blank=True)
    listed = models.BooleanField(_("im öffentlichen Mitgliederverzeichnis"), default=False)
    district = models.CharField(
        _("Landkreis"), max_length=200, blank=True, validators=[no_control_characters]
    )
    population = models.PositiveIntegerField(_("Einwohner*innen"), null=True, blank=True)
    latitude = models.FloatField(
        _("Breitengrad"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("Längengrad"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    member_since = models.DateField(_("Mitglied seit"), null=True, blank=True)
    open_to_exchange = models.BooleanField(_("offen für Erfahrungsaustausch"), default=False)
    contact_email = models.EmailField(_("Kontakt-E-Mail"), blank=True)
    feed_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Kommune")
        verbose_name_plural = _("Kommunen")
        constraints = [
            models.UniqueConstraint(fields=["ags"], condition=~Q(ags=""), name="municipality_ags"),
            models.CheckConstraint(
                condition=~Q(country="DE") | ~Q(state=""), name="organisation_state_in_germany"
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="municipality_coordinates",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def size_class(self) -> str:
        return size_class(self.population)

    @property
    def is_municipal(self) -> bool:
        return self.kind in MUNICIPAL_KINDS

    def clean(self) -> None:
        super().clean()
        if self.country == "DE" and not self.state:
            raise ValidationError({"state": _("Für Deutschland bitte das Bundesland angeben.")})
        if self.country and not is_country_code(self.country):
            raise ValidationError({"country": _("Unbekannter Ländercode (ISO 3166-1 alpha-2).")})


# The domain's name for a member (DESIGN.md 4): one model whatever the kind.
Organisation = Municipality


class StaffMembership(models.Model):
    """Binds a user to the one organisation they work for ("Person of an organisation"); its
    admin invites and removes colleagues and may hand the role on."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administration")
        STAFF = "staff", _("Mitarbeiter*in")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="municipal_staff"
    )
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(_("Rolle"), max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(_("seit"), default=timezone.now)

    class Meta:
        verbose_name = _("Mitarbeiter*in einer Kommune")
        verbose_name_plural = _("Mitarbeitende der Kommunen")

    def __str__(self) -> str:
        return f"{self.user} @ {self.municipality}"


class ParticipationPlan(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="plans")
    title = models.CharField(
        _("Titel"), max_length=200, blank=True, validators=[no_control_characters]
    )
    stage = models.CharField(_("Stand"), max_length=20, choices=Stage.choices, default=Stage.IDEA)
    procedure_type = models.CharField(
        _("Verfahrensart"), max_length=30, choices=ProcedureType.choices
    )
    budget_eur = models.DecimalField(
        _("Budget (EUR)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    # Lists of choice values (consult.choices.Channel / TargetGroup); validated in the serializer.
    channels = models.JSONField(_("Beteiligungswege"), default=list, blank=True)
    target_groups = models.JSONField(_("Zielgruppen"), default=list, blank=True)
    # [{"phase": Phase value, "start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}], in order.
    phases = models.JSONField(_("Phasen"), default=list, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="plans")
    description = models.TextField(
        _("Beschreibung"), blank=True, validators=[no_control_characters_multiline]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "id"]
        verbose_name = _("Beteiligungsvorhaben")
        verbose_name_plural = _("Beteiligungsvorhaben")
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_eur__isnull=True) | Q(budget_eur__gte=0), name="plan_budget"
            )
        ]

    def __str__(self) -> str:
        return self.title or f"{self.municipality}: {self.get_procedure_type_display()}"


class ConsultationRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("offen")
        MATCHED = "matched", _("Vorschläge erstellt")
        BOOKED = "booked", _("gebucht")
        CLOSED = "closed", _("abgeschlossen")

    plan = models.ForeignKey(ParticipationPlan, on_delete=models.CASCADE, related_name="requests")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    topics = models.ManyToManyField(Topic, through="RequestTopic", related_name="requests")
    format = models.CharField(
        _("Format"), max_length=10, choices=ConsultationFormat.choices, default="either"
    )
    language = models.CharField(_("Sprache"), max_length=8, choices=LANGUAGE_CHOICES, default="de")
    earliest = models.DateField(_("frühestens"))
    latest = models.DateField(_("spätestens"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("Dauer (Minuten)"), default=60, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    notes = models.TextField(
        _("Anmerkungen"), blank=True, validators=[no_control_characters_multiline]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Beratungsanfrage")
        verbose_name_plural = _("Beratungsanfragen")
        constraints = [
            models.CheckConstraint(
                condition=Q(latest__gte=models.F("earliest")), name="request_window"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=480),
                name="request_duration",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.plan}"


class RequestTopic(models.Model):
    request = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="topic_weights"
    )
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="+")
    weight = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "topic"], name="request_topic_once"),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=3), name="request_topic_weight"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} ×{self.weight}"


# Membership applications and invitations live in their own module (one concern per module).
from consult.legal_models import LegalPage, LegalPageRevision  # noqa: E402
from consult.membership_models import Invitation, MembershipApplication  # noqa: E402

__all__ = [
    "ConsultationRequest",
    "Invitation",
    "LegalPage",
    "LegalPageRevision",
    "MembershipApplication",
    "Municipality",
    "Organisation",
    "ParticipationPlan",
    "RequestTopic",
    "StaffMembership",
    "Topic",
    "new_token",
]
