"""Serializers of the bookings API: aware times in and out, a booking, the actions' input."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings import proposals, services
from bookings.models import ConsultationBooking
from bookings.request_summary import RequestSummary, request_summary
from core.api_fields import id_field
from core.errors import Invalid

# Times far from now are no consultation; outside these bounds the range arithmetic (a range of
# days, the ISO weeks around it, buffers) could leave what datetime can hold: a 500, not a 400.
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9000, 1, 1, tzinfo=UTC)
# In a query string an unencoded "+" arrives as a space: "…T10:00:00 01:00" means "+01:00".
_SPACE_FOR_PLUS = re.compile(r"^(.+[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$")


def read_aware(text: str) -> datetime:
    """ISO 8601 with a UTC offset ("Z" or ±hh:mm) to an aware datetime; ``ValueError`` with
    ``"invalid"``, ``"naive"`` or ``"range"`` as its argument otherwise."""
    text = _SPACE_FOR_PLUS.sub(r"\1+\2", text.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("invalid") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("naive")
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("range") from None
    if not EARLIEST_TIME <= in_utc <= LATEST_TIME:
        raise ValueError("range")
    return parsed


def parse_aware(value: Any, field: str) -> datetime:
    """``read_aware`` for a query parameter: naive, malformed or absurd input is a 400 on
    ``field`` (a naive time would silently mean the server's zone)."""
    try:
        return read_aware(str(value))
    except ValueError as exc:
        problem = exc.args[0]
    if problem == "naive":
        raise Invalid(
            _("Bitte mit Zeitzone angeben, z. B. 2027-03-01T10:00:00+01:00."),
            fields={field: [_("Ohne Zeitzone.")]},
        )
    if problem == "range":
        raise Invalid(
            _("Zeitangabe außerhalb des möglichen Bereichs."),
            fields={field: [_("Außerhalb des möglichen Bereichs.")]},
        )
    raise Invalid(
        _("Ungültige Zeitangabe: ISO 8601 mit Zeitzone erwartet."),
        fields={field: [_("Ungültig, z. B. 2027-03-01T10:00:00+01:00.")]},
    )


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """Reads ISO 8601 with an offset only; writes ISO 8601 in the service's zone."""

    default_error_messages = {
        # Lazy: translated per request, in the client's language, not once at import.
        "invalid": gettext_lazy("Ungültig, z. B. 2027-03-01T10:00:00+01:00."),
        "naive": gettext_lazy("Ohne Zeitzone."),
        "range": gettext_lazy("Außerhalb des möglichen Bereichs."),
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return read_aware(data)
        except ValueError as exc:
            self.fail(exc.args[0])

    def to_representation(self, value: datetime) -> str:
        return timezone.localtime(value).isoformat()


class BookingSerializer(serializers.ModelSerializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    hold_expires_at = AwareDateTimeField(allow_null=True)
    expert_name = serializers.CharField(source="expert.display_name")
    municipality = serializers.IntegerField(source="request.plan.municipality_id")
    municipality_name = serializers.CharField(source="request.plan.municipality.name")
    duration_minutes = serializers.SerializerMethodField()
    # Blank for on-site bookings, so documented as a string, not a URI.
    meeting_url = serializers.CharField(read_only=True)

    class Meta:
        model = ConsultationBooking
        fields = [
            "id",
            "status",
            "start",
            "end",
            "duration_minutes",
            "format",
            "location",
            "meeting_url",
            "expert",
            "expert_name",
            "request",
            "municipality",
            "municipality_name",
            "uid",
            "sequence",
            "hold_expires_at",
            "reason",
            "rating",
            "feedback_comment",
        ]
        read_only_fields = fields

    def get_duration_minutes(self, booking: ConsultationBooking) -> int:
        return int((booking.end - booking.start).total_seconds() // 60)


class BookingCreateSerializer(serializers.Serializer):
    request = id_field()
    expert = id_field()
    start = AwareDateTimeField()
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    format = serializers.ChoiceField(
        choices=ConsultationBooking.Format.choices, required=False, allow_null=True
    )
    hold = serializers.BooleanField(required=False, default=False)


class SeenSerializer(serializers.Serializer):
    """Optional ``sequence``: the booking's SEQUENCE as the client last saw it (like If-Match);
    if the booking changed since, the action is a 409 with the current status."""

    sequence = serializers.IntegerField(required=False, min_value=0)


class ReasonSerializer(SeenSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_REASON)


class RescheduleSerializer(SeenSerializer):
    start = AwareDateTimeField()


class FeedbackSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=services.MAX_REASON
    )


# --- what the expert reads about the request (GET /api/v1/bookings/{id}/) ----------------------


class TopicNeedSerializer(serializers.Serializer):
    topic = serializers.CharField(help_text="slug")
    name = serializers.CharField()
    weight = serializers.IntegerField(help_text="1 nice to have … 3 essential")


class PlanPhaseSerializer(serializers.Serializer):
    phase = serializers.CharField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)


class PlanSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    stage = serializers.CharField()
    procedure_type = serializers.CharField()
    budget_eur = serializers.FloatField(allow_null=True)
    channels = serializers.ListField(child=serializers.CharField())
    target_groups = serializers.ListField(child=serializers.CharField())
    phases = PlanPhaseSerializer(many=True)
    description = serializers.CharField()


class MunicipalitySummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    population = serializers.IntegerField(allow_null=True)
    size_class = serializers.CharField(help_text="small, medium, large, metro; blank: unknown")
    state = serializers.CharField(help_text="the German Land; blank abroad")
    country = serializers.CharField()


class WhySerializer(serializers.Serializer):
    explanation = serializers.CharField()
    source = serializers.ChoiceField(["matches", "assignment", "computed"])
    rank = serializers.IntegerField(allow_null=True, help_text="place in the ranking shown")
    shown_at = serializers.DateTimeField(allow_null=True)


class RequestSummarySerializer(serializers.Serializer):
    """The request as its consultation's expert reads it (built by ``request_json``)."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    topics = TopicNeedSerializer(many=True)
    notes = serializers.CharField()
    format = serializers.CharField()
    language = serializers.CharField()
    earliest = serializers.DateField()
    latest = serializers.DateField()
    duration_minutes = serializers.IntegerField()
    plan = PlanSummarySerializer()
    municipality = MunicipalitySummarySerializer()
    why = WhySerializer(allow_null=True, help_text="why the matcher suggested the expert")


class TimeProposalSerializer(serializers.Serializer):
    """The expert's counter-proposal (bookings/proposals.py ``ProposalSummary``)."""

    id = serializers.IntegerField()
    status = serializers.CharField(help_text="open, accepted, lapsed, withdrawn")
    starts = serializers.ListField(child=AwareDateTimeField())
    expires_at = AwareDateTimeField()
    note = serializers.CharField()


class BookingDetailSerializer(BookingSerializer):
    """One booking with its request described (the list names the request by id only) and the
    expert's open proposal of other times (null when there is none)."""

    request = serializers.SerializerMethodField()
    proposal = serializers.SerializerMethodField()

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "proposal"]
        read_only_fields = fields

    @extend_schema_field(TimeProposalSerializer(allow_null=True))
    def get_proposal(self, booking: ConsultationBooking) -> dict[str, Any] | None:
        summary = proposals.open_proposal(booking.pk, now=timezone.now())
        return None if summary is None else TimeProposalSerializer(summary).data

    @extend_schema_field(RequestSummarySerializer)
    def get_request(self, booking: ConsultationBooking) -> dict[str, Any]:
        return request_json(request_summary(booking))


def request_json(summary: RequestSummary) -> dict[str, Any]:
    """``summary`` as the API shows it, names in the active language."""
    request = summary.request
    plan = request.plan
    municipality = plan.municipality
    why = summary.why
    return {
        "id": request.pk,
        "status": request.status,
        "topics": [{"topic": t.slug, "name": t.name, "weight": t.weight} for t in summary.topics],
        "notes": request.notes,
        "format": request.format,
        "language": request.language,
        "earliest": request.earliest.isoformat(),
        "latest": request.latest.isoformat(),
        "duration_minutes": request.duration_minutes,
        "plan": {
            "id": plan.pk,
            "title": plan.title,
            "stage": plan.stage,
            "procedure_type": plan.procedure_type,
            "budget_eur": None if plan.budget_eur is None else float(plan.budget_eur),
            "channels": list(plan.channels or []),
            "target_groups": list(plan.target_groups or []),
            "phases": [
                {
                    "phase": p.phase,
                    "start": p.start.isoformat() if p.start else None,
                    "end": p.end.isoformat() if p.end else None,
                }
                for p in summary.phases
            ],
            "description": plan.description,
        },
        "municipality": {
            "id": municipality.pk,
            "name": municipality.name,
            "kind": municipality.kind,
            "population": municipality.population,
            "size_class": municipality.size_class if municipality.population else "",
            "state": municipality.state,
            "country": municipality.country,
        },
        "why": None
        if why is None
        else {
            "explanation": why.explanation,
            "source": why.source,
            "rank": why.rank,
            "shown_at": timezone.localtime(why.shown_at).isoformat() if why.shown_at else None,
        },
    }
