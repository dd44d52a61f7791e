"""Expert advisers: profiles, topic levels and availability."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from consult.models import ConsultationRequest, Municipality, Topic, new_token
from core.validators import no_control_characters, no_control_characters_multiline


def default_durations() -> list[int]:
    return [60, 90]


# The booking settings of a profile: what the slot maths reads (the availability API shows them).
BOOKING_SETTINGS = (
    "durations",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_hours",
    "horizon_days",
    "max_per_day",
    "max_per_week",
    "auto_confirm",
    "timezone",
    "active",
)
# The profile's lists of choice values (several values each).
PROFILE_LISTS = ("procedure_types", "size_classes", "states", "languages", "formats")
# Every field of a profile an edit may change: the services, the API and the form read this list.
PROFILE_FIELDS = (
    "display_name",
    "organisation",
    "email",
    "bio_de",
    "bio_en",
    *PROFILE_LISTS,
    "home_latitude",
    "home_longitude",
    "home_city",
    "travel_radius_km",
    "monthly_capacity",
    "meeting_url",
    *BOOKING_SETTINGS,
)


class ExpertProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    display_name = models.CharField(_("Name"), max_length=200, validators=[no_control_characters])
    organisation = models.CharField(
        _("Organisation"), max_length=200, blank=True, validators=[no_control_characters]
    )
    email = models.EmailField(_("E-Mail"), blank=True)
    bio_de = models.TextField(
        _("Profil (deutsch)"), blank=True, validators=[no_control_characters_multiline]
    )
    bio_en = models.TextField(
        _("Profil (englisch)"), blank=True, validators=[no_control_characters_multiline]
    )
    topics = models.ManyToManyField(Topic, through="ExpertTopic", related_name="experts")
    # Lists of choice values (consult.choices); validated by the serializer/form.
    procedure_types = models.JSONField(_("Verfahrensarten"), default=list, blank=True)
    size_classes = models.JSONField(_("Größenklassen"), default=list, blank=True)
    states = models.JSONField(_("Bundesländer"), default=list, blank=True)
    languages = models.JSONField(_("Sprachen"), default=list, blank=True)
    formats = models.JSONField(_("Formate"), default=list, blank=True)  # "online", "onsite"
    home_latitude = models.FloatField(
        _("Breitengrad"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    home_longitude = models.FloatField(
        _("Längengrad"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    home_city = models.CharField(
        _("Wohnort"), max_length=200, blank=True, validators=[no_control_characters]
    )
    travel_radius_km = models.PositiveIntegerField(_("Reiseradius (km)"), default=100)
    monthly_capacity = models.PositiveSmallIntegerField(_("Beratungen pro Monat"), default=4)
    conflicts = models.ManyToManyField(
        Municipality,
        blank=True,
        related_name="conflicted_experts",
        verbose_name=_("Interessenkonflikte"),
    )
    durations = models.JSONField(_("Beratungsdauern (Minuten)"), default=default_durations)
    buffer_before_minutes = models.PositiveSmallIntegerField(_("Puffer davor"), default=15)
    buffer_after_minutes = models.PositiveSmallIntegerField(_("Puffer danach"), default=15)
    min_notice_hours = models.PositiveSmallIntegerField(_("Vorlaufzeit (Stunden)"), default=48)
    horizon_days = models.PositiveSmallIntegerField(_("Buchungshorizont (Tage)"), default=90)
    max_per_day = models.PositiveSmallIntegerField(_("höchstens pro Tag"), null=True, blank=True)
    max_per_week = models.PositiveSmallIntegerField(_("höchstens pro Woche"), null=True, blank=True)
    timezone = models.CharField(_("Zeitzone"), max_length=64, default="Europe/Berlin")
    auto_confirm = models.BooleanField(_("Buchungen automatisch bestätigen"), default=False)
    meeting_url = models.URLField(_("Ständiger Online-Raum"), blank=True)
    active = models.BooleanField(_("aktiv"), default=True)
    feed_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = _("Expert*in")
        verbose_name_plural = _("Expert*innen")

    def __str__(self) -> str:
        return self.display_name


class ExpertTopic(models.Model):
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="topic_levels")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["expert", "topic"], name="expert_topic_once"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=3), name="expert_topic_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} ({self.level})"


class AvailabilityRule(models.Model):
    """A weekly window in the expert's local time (their `timezone`)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Montag")
        TUESDAY = 1, _("Dienstag")
        WEDNESDAY = 2, _("Mittwoch")
        THURSDAY = 3, _("Donnerstag")
        FRIDAY = 4, _("Freitag")
        SATURDAY = 5, _("Samstag")
        SUNDAY = 6, _("Sonntag")

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="rules")
    weekday = models.PositiveSmallIntegerField(_("Wochentag"), choices=Weekday.choices)
    start_time = models.TimeField(_("von"))
    end_time = models.TimeField(_("bis"))
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="rule_window"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="rule_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """Blocks (holiday) or adds time on one date; no times means the whole day."""

    class Kind(models.TextChoices):
        BLOCK = "block", _("gesperrt")
        ADD = "add", _("zusätzlich verfügbar")

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("Datum"))
    start_time = models.TimeField(_("von"), null=True, blank=True)
    end_time = models.TimeField(_("bis"), null=True, blank=True)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.BLOCK)
    note = models.CharField(
        _("Notiz"), max_length=200, blank=True, validators=[no_control_characters]
    )

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | Q(end_time__gt=models.F("start_time")),
                name="exception_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class MatchRecord(models.Model):
    """What staff were shown (or a coordinator chose) for a request, kept for later "why".

    `results` holds the ranking as shown: [{"expert": {"id", "name"}, "score", "criteria",
    "explanation_de", "explanation_en", "earliest_slot"}], best first; `weights` the matcher's
    weights of that moment and `params` the format/language the ranking was made for.
    """

    class Source(models.TextChoices):
        MATCHES = "matches", _("Vorschläge angezeigt")
        ASSIGNMENT = "assignment", _("Zuordnung durch die Koordination")

    request = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="match_records"
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MATCHES)
    weights = models.JSONField(default=dict)
    params = models.JSONField(default=dict, blank=True)
    results = models.JSONField(default=list)
    chosen_expert = models.ForeignKey(
        ExpertProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["request", "-created_at"], name="matchrecord_request")]
        verbose_name = _("Vorschlagsliste")
        verbose_name_plural = _("Vorschlagslisten")

    def __str__(self) -> str:
        return f"#{self.pk} {self.request_id} ({self.source})"


class AssignmentProposal(models.Model):
    """A coordinator's batch assignment of open requests to experts, to be accepted."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("vorgeschlagen")
        ACCEPTED = "accepted", _("angenommen")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    weights = models.JSONField(default=dict)
    unassigned = models.JSONField(default=list, blank=True)  # request ids left without expert
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Zuordnungsvorschlag")
        verbose_name_plural = _("Zuordnungsvorschläge")

    def __str__(self) -> str:
        return f"#{self.pk} ({self.get_status_display()})"


class AssignmentItem(models.Model):
    proposal = models.ForeignKey(AssignmentProposal, on_delete=models.CASCADE, related_name="items")
    request = models.ForeignKey(ConsultationRequest, on_delete=models.CASCADE, related_name="+")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        ordering = ["proposal", "request"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "request"], name="assignment_request_once")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.expert_id}"


from experts.calendar_models import BusyInterval, CalendarConnection  # noqa: E402, F401
from experts.joining_models import ExpertApplication  # noqa: E402, F401
