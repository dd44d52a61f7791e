"""A consultation booking in an expert's calendar."""

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
