"""Seminars, workshops and webinars of the network, and registrations for them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from consult.choices import LANGUAGE_CHOICES
from consult.models import Municipality, Topic, new_token
from notifications.ics import new_uid


class EventAudience(models.TextChoices):
    """Whom an event is for (a plan's target groups are the residents; an event's, its guests)."""

    ADMINISTRATION = "administration", _("Verwaltung")
    POLITICS = "politics", _("Kommunalpolitik")
    CIVIL_SOCIETY = "civil_society", _("Zivilgesellschaft und Vereine")
    SCHOOLS = "schools", _("Schulen und Jugendparlamente")
    RESEARCH = "research", _("Wissenschaft")
    EVERYONE = "everyone", _("alle Interessierten")


class Event(models.Model):
    class Kind(models.TextChoices):
        SEMINAR = "seminar", _("Seminar")
        WORKSHOP = "workshop", _("Workshop")
        WEBINAR = "webinar", _("Webinar")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        PUBLISHED = "published", _("veröffentlicht")
        CANCELLED = "cancelled", _("abgesagt")

    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    title_de = models.CharField(_("Titel (deutsch)"), max_length=200)
    title_en = models.CharField(_("Titel (englisch)"), max_length=200, blank=True)
    description_de = models.TextField(_("Beschreibung (deutsch)"), blank=True)
    description_en = models.TextField(_("Beschreibung (englisch)"), blank=True)
    target_audience = models.CharField(_("Zielgruppe"), max_length=300, blank=True)
    # Topic slugs (consult.Topic) and EventAudience values as lists: the API reads events as
    # plain rows (selectors.event_rows), and a list column keeps a page at its queries.
    topics = models.JSONField(_("Themen"), default=list, blank=True)
    target_groups = models.JSONField(_("Zielgruppen"), default=list, blank=True)
    language = models.CharField(_("Sprache"), max_length=8, choices=LANGUAGE_CHOICES, default="de")
    place = models.CharField(_("Ort"), max_length=200, blank=True)
    address = models.CharField(_("Adresse"), max_length=300, blank=True)
    online_url = models.URLField(_("Online-Link"), blank=True)
    capacity = models.PositiveIntegerField(_("Plätze"))
    registration_opens = models.DateTimeField(_("Anmeldung ab"))
    registration_closes = models.DateTimeField(_("Anmeldung bis"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organised_events"
    )
    uid = models.CharField(max_length=200, unique=True, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The tables keep the names they had when events lived in bookings/ (no data moves).
        db_table = "bookings_event"
        ordering = ["registration_closes", "id"]
        verbose_name = _("Veranstaltung")
        verbose_name_plural = _("Veranstaltungen")
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_closes__gt=models.F("registration_opens")),
                name="event_registration_window",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def topic_list(self) -> models.QuerySet[Topic]:
        """The event's topics in the taxonomy's order (one query)."""
        return Topic.objects.filter(slug__in=self.topics)

    @property
    def target_group_labels(self) -> list[str]:
        known = EventAudience.values
        return [str(EventAudience(v).label) for v in self.target_groups if v in known]

    @property
    def title(self) -> str:
        return (
            (self.title_en or self.title_de)
            if translation.get_language() == "en"
            else (self.title_de)
        )


class EventSession(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    start = models.DateTimeField(_("Beginn"))
    end = models.DateTimeField(_("Ende"))

    class Meta:
        db_table = "bookings_eventsession"
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="session_order"),
        ]

    def __str__(self) -> str:
        return f"{self.event}: {self.start:%Y-%m-%d %H:%M}"


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("Bestätigung ausstehend")
    CONFIRMED = "confirmed", _("bestätigt")
    WAITLISTED = "waitlisted", _("Warteliste")
    CANCELLED = "cancelled", _("storniert")
    EXPIRED = "expired", _("verfallen")


# The statuses of a registration that may hold a seat or a place in line (one e-mail address
# may have one of these per event). A pending one holds nothing once its hold has lapsed.
LIVE_STATUSES = (
    RegistrationStatus.PENDING,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
)


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def live(self, now: datetime) -> RegistrationQuerySet:
        return self.filter(Registration.q_live(now))

    def holding_seats(self, now: datetime) -> RegistrationQuerySet:
        return self.filter(Registration.q_holds_seat(now))

    def in_line(self, now: datetime) -> RegistrationQuerySet:
        return self.filter(Registration.q_in_line(now))

    def lapsed(self, now: datetime) -> RegistrationQuerySet:
        return self.filter(Registration.q_lapsed(now))


class Registration(models.Model):
    """One person's registration. The status sets below are the one definition of "seats
    taken" and "in line" for services, selectors and the API (as Q objects for queries, as
    `is_*` methods for rows at hand; tests/events/test_status_sets.py keeps the two in step)."""

    Status = RegistrationStatus
    LIVE = LIVE_STATUSES

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(_("Name"), max_length=200)
    email = models.EmailField(_("E-Mail"))
    municipality = models.ForeignKey(
        Municipality, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    municipality_name = models.CharField(_("Kommune"), max_length=200, blank=True)
    language = models.CharField(max_length=8, default="de")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # A pending registration holds a seat or a waiting-list place until confirmed or expired;
    # a confirmed one always holds a seat. The waiting-list position is derived from arrival
    # order (created_at, id) among those in line, never stored: storing it would mean
    # renumbering every row behind a promotion.
    holds_seat = models.BooleanField(default=False)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    consent_at = models.DateTimeField(_("Einwilligung am"))
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        db_table = "bookings_registration"
        ordering = ["created_at", "id"]
        verbose_name = _("Anmeldung")
        verbose_name_plural = _("Anmeldungen")
        indexes = [
            models.Index(fields=["event", "status"], name="registration_event_status"),
            models.Index(fields=["status", "hold_expires_at"], name="registration_holds"),
        ]
        constraints = [
            # One live registration per e-mail and event (registering twice returns it).
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=Q(status__in=list(LIVE_STATUSES)),
                name="registration_once_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.event} ({self.status})"

    @staticmethod
    def q_lapsed(now: datetime) -> Q:
        """Pending holds past their expiry that no sweep has ended yet: they hold nothing."""
        return Q(status=RegistrationStatus.PENDING, hold_expires_at__lte=now)

    @classmethod
    def q_live(cls, now: datetime) -> Q:
        """Registrations that hold a seat or a place in line at `now`."""
        return Q(status__in=LIVE_STATUSES) & ~cls.q_lapsed(now)

    @classmethod
    def q_holds_seat(cls, now: datetime) -> Q:
        """The seats taken: confirmed, or pending with a held seat that has not lapsed."""
        return cls.q_live(now) & Q(holds_seat=True)

    @classmethod
    def q_in_line(cls, now: datetime) -> Q:
        """The waiting list: confirmed entries and unconfirmed places in line (double opt-in
        stays first come, first served), in arrival order (created_at, id)."""
        return cls.q_live(now) & Q(holds_seat=False)

    def is_lapsed(self, now: datetime) -> bool:
        return (
            self.status == RegistrationStatus.PENDING
            and self.hold_expires_at is not None
            and self.hold_expires_at <= now
        )

    def is_live(self, now: datetime) -> bool:
        return self.status in LIVE_STATUSES and not self.is_lapsed(now)

    def is_holding_seat(self, now: datetime) -> bool:
        return self.holds_seat and self.is_live(now)

    def is_in_line(self, now: datetime) -> bool:
        return not self.holds_seat and self.is_live(now)
