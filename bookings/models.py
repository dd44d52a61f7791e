"""A consultation booking in an expert's calendar, its message thread and the expert's
counter-proposals."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from consult.models import ConsultationRequest
from experts.models import ExpertProfile
from notifications.ics import new_uid


class ConsultationBooking(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("vorgemerkt")
        REQUESTED = "requested", _("angefragt")
        CONFIRMED = "confirmed", _("bestätigt")
        DECLINED = "declined", _("abgelehnt")
        CANCELLED = "cancelled", _("abgesagt")
        COMPLETED = "completed", _("durchgeführt")
        NO_SHOW = "no_show", _("nicht erschienen")

    # States that occupy the expert's time (invariant 1 holds among these).
    ACTIVE = (Status.HELD, Status.REQUESTED, Status.CONFIRMED)
    # States that use up the expert's monthly capacity (a hold counts while it lasts).
    USES_CAPACITY = (Status.REQUESTED, Status.CONFIRMED, Status.COMPLETED, Status.NO_SHOW)

    class Format(models.TextChoices):
        ONLINE = "online", _("Online")
        ONSITE = "onsite", _("Vor Ort")

    request = models.ForeignKey(
        ConsultationRequest, on_delete=models.PROTECT, related_name="bookings"
    )
    expert = models.ForeignKey(ExpertProfile, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField(_("Beginn"))
    end = models.DateTimeField(_("Ende"))
    # The expert's time this booking blocks: [start - buffer before, end + buffer after), fixed
    # when booked so that later buffer changes cannot make stored bookings overlap.
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.ONLINE)
    location = models.CharField(_("Ort"), max_length=300, blank=True)
    meeting_url = models.URLField(_("Online-Raum"), blank=True)
    # The id of the service's own room (/raum/<room>/, MEETING_PROVIDER=bbb), "" otherwise. Fixed
    # when booked: the link in every invitation stays the same across reschedules. The database
    # default keeps raw inserts that name no room working.
    room = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.HELD)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("Begründung"), blank=True)
    uid = models.CharField(max_length=200, unique=True, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    # The addresses the current invitation went to: whoever drops off it (a municipality's
    # contact changed) gets a CANCEL for their copy with the booking's next change.
    invited = models.JSONField(default=list, db_default=[], blank=True, editable=False)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    feedback_comment = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("Beratungstermin")
        verbose_name_plural = _("Beratungstermine")
        indexes = [
            models.Index(fields=["expert", "blocked_start"], name="booking_expert_time"),
            models.Index(fields=["status", "hold_expires_at"], name="booking_holds"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="booking_order"),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=models.F("start"))
                & Q(blocked_end__gte=models.F("end")),
                name="booking_blocked_covers",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="booking_rating",
            ),
            models.UniqueConstraint(
                fields=["room"], condition=~Q(room=""), name="booking_room_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} {self.start:%Y-%m-%d %H:%M} ({self.status})"


class BookingMessage(models.Model):
    """One message of a consultation's thread between its municipality and its expert."""

    MAX_BODY = 4000

    class Role(models.TextChoices):
        MUNICIPALITY = "municipality", _("Kommune")
        EXPERT = "expert", _("Expert*in")
        COORDINATOR = "coordinator", _("Koordination")

    booking = models.ForeignKey(
        ConsultationBooking, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Kept as written: the thread stays readable after the author's account is deleted or
    # moves to another organisation.
    author_name = models.CharField(max_length=200)
    author_role = models.CharField(max_length=12, choices=Role.choices)
    body = models.TextField(_("Nachricht"), max_length=MAX_BODY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Nachricht")
        verbose_name_plural = _("Nachrichten")
        indexes = [models.Index(fields=["booking", "created_at"], name="booking_message_time")]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"


class BookingProposal(models.Model):
    """The expert's counter-proposal: up to three other times for a consultation.

    Its slots are held (they block the expert's calendar) while the proposal is open and has not
    expired; the municipality accepts one, or the proposal lapses."""

    MAX_SLOTS = 3

    class Status(models.TextChoices):
        OPEN = "open", _("offen")
        ACCEPTED = "accepted", _("angenommen")
        LAPSED = "lapsed", _("verfallen")
        WITHDRAWN = "withdrawn", _("zurückgezogen")

    booking = models.ForeignKey(
        ConsultationBooking, on_delete=models.CASCADE, related_name="proposals"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    note = models.TextField(_("Anmerkung"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Terminvorschlag")
        verbose_name_plural = _("Terminvorschläge")
        indexes = [models.Index(fields=["status", "expires_at"], name="proposal_open")]
        constraints = [
            # At most one open proposal per consultation: a new one replaces the old.
            models.UniqueConstraint(
                fields=["booking"], condition=Q(status="open"), name="proposal_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} ({self.status})"


class ProposedSlot(models.Model):
    """One proposed time, with the expert's time it blocks (buffers included) while held."""

    proposal = models.ForeignKey(BookingProposal, on_delete=models.CASCADE, related_name="slots")
    # Denormalised so that the busy-time query needs no join to find the expert's held slots.
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["expert", "blocked_start"], name="proposed_slot_time")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="proposed_order"),
            models.UniqueConstraint(fields=["proposal", "start"], name="proposed_slot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} {self.start:%Y-%m-%d %H:%M}"
