"""API of consultation bookings, an expert's free slots and availability, and calendar-feed tokens.

Thin: serializers check the shape, services and selectors decide. The slots and availability
endpoints live here, under /api/v1/experts/{id}/…, because free slots need the bookings and the
experts app may not import them; availability sits next to slots so both read one way.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import selectors, services
from bookings.models import ConsultationBooking
from consult.models import Municipality
from core.api_fields import MAX_ID, id_field
from core.errors import Invalid, NotFound
from core.roles import municipality_id_of
from experts.models import ExpertProfile

MAX_SLOT_RANGE_DAYS = 92
DEFAULT_SLOT_RANGE_DAYS = 14


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


def _filtered(qs: Any, params: Any) -> Any:
    if status_value := params.get("status"):
        wanted = [s for s in status_value.split(",") if s]
        unknown = set(wanted) - set(ConsultationBooking.Status.values)
        if unknown:
            raise Invalid(_("Unbekannter Status."), fields={"status": [", ".join(sorted(unknown))]})
        qs = qs.filter(status__in=wanted)
    if expert := params.get("expert"):
        # ASCII digits only: str.isdigit() also says yes to "²", which int() refuses.
        if not (expert.isascii() and expert.isdigit() and int(expert) <= MAX_ID):
            raise Invalid(_("Ungültige Expert*in."), fields={"expert": [_("Eine Zahl.")]})
        qs = qs.filter(expert_id=int(expert))
    if start := params.get("from"):
        qs = qs.filter(end__gt=parse_aware(start, "from"))
    if end := params.get("to"):
        qs = qs.filter(start__lt=parse_aware(end, "to"))
    return qs


class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Consultation bookings: municipal staff see their municipality's, experts their own."""

    serializer_class = BookingSerializer
    permission_classes = [permissions.IsAuthenticated]
    # Ids are integers that fit a bigint: anything else is "not found", not a server error.
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = selectors.bookings_for(self.request.user)
        if self.action == "list":
            qs = _filtered(qs, self.request.query_params)
        return qs

    def _done(self, booking: ConsultationBooking, code: int = status.HTTP_200_OK) -> Response:
        return Response(BookingSerializer(booking).data, status=code)

    @extend_schema(request=BookingCreateSerializer, responses={201: BookingSerializer})
    def create(self, request: Request) -> Response:
        data = BookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        booking = services.book(
            actor=request.user,
            request_id=v["request"],
            expert_id=v["expert"],
            start=v["start"],
            duration_minutes=v["duration_minutes"],
            format=v.get("format"),
            hold=v["hold"],
        )
        return self._done(booking, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=BookingSerializer)
    @action(detail=True, methods=["post"], url_path="request")
    def request_hold(self, request: Request, pk: str) -> Response:
        return self._done(services.request_hold(actor=request.user, booking_id=int(pk)))

    @extend_schema(request=SeenSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        data = SeenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            services.confirm(
                actor=request.user,
                booking_id=int(pk),
                sequence=data.validated_data.get("sequence"),
            )
        )

    @extend_schema(request=ReasonSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            services.decline(
                actor=request.user,
                booking_id=int(pk),
                reason=data.validated_data.get("reason", ""),
                sequence=data.validated_data.get("sequence"),
            )
        )

    @extend_schema(request=ReasonSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            services.cancel(
                actor=request.user,
                booking_id=int(pk),
                reason=data.validated_data.get("reason", ""),
                sequence=data.validated_data.get("sequence"),
            )
        )

    @extend_schema(request=RescheduleSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str) -> Response:
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            services.reschedule(
                actor=request.user,
                booking_id=int(pk),
                start=data.validated_data["start"],
                sequence=data.validated_data.get("sequence"),
            )
        )

    @extend_schema(request=None, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        return self._done(services.complete(actor=request.user, booking_id=int(pk)))

    @extend_schema(request=None, responses=BookingSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str) -> Response:
        return self._done(services.no_show(actor=request.user, booking_id=int(pk)))

    # The word is "no-show"; clients that spell actions like the other snake_case
    # fields reach the same action (one operation in the schema).
    @extend_schema(exclude=True)
    @action(detail=True, methods=["post"], url_path="no_show", url_name="no-show-snake")
    def no_show_snake(self, request: Request, pk: str) -> Response:
        return self.no_show(request, pk)

    @extend_schema(request=FeedbackSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str) -> Response:
        data = FeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            services.give_feedback(
                actor=request.user,
                booking_id=int(pk),
                rating=data.validated_data["rating"],
                comment=data.validated_data.get("comment", ""),
            )
        )


# --- slots ------------------------------------------------------------------------------------


class ExpertSlotsView(APIView):
    """``GET /api/v1/experts/{id}/slots/?from=&to=&duration=``: free slots, with offsets."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="ISO 8601 with offset; default now"),
            OpenApiParameter("to", str, description="ISO 8601 with offset; default from + 14 d"),
            OpenApiParameter("duration", int, description="minutes; default the first offered"),
        ],
        responses=inline_serializer(
            "Slots",
            {
                "expert": serializers.IntegerField(),
                "duration_minutes": serializers.IntegerField(),
                "timezone": serializers.CharField(),
                "results": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        expert = ExpertProfile.objects.filter(pk=pk).prefetch_related("rules").first()
        if expert is None:
            raise NotFound(_("Expert*in nicht gefunden."))
        if not expert.active:
            raise Invalid(
                _("Diese Expert*in nimmt derzeit keine Buchungen an."),
                code="expert_inactive",
                fields={"expert": [_("Nicht aktiv.")]},
            )
        now = timezone.now()
        params = request.query_params
        start = parse_aware(params["from"], "from") if params.get("from") else now
        end = (
            parse_aware(params["to"], "to")
            if params.get("to")
            else start + timedelta(days=DEFAULT_SLOT_RANGE_DAYS)
        )
        if end <= start:
            raise Invalid(
                _("„to“ muss nach „from“ liegen."), fields={"to": [_("Vor oder gleich „from“.")]}
            )
        if end <= now:
            raise Invalid(
                _("Der Zeitraum liegt in der Vergangenheit."),
                code="in_past",
                fields={"to" if params.get("to") else "from": [_("Liegt in der Vergangenheit.")]},
            )
        if end - start > timedelta(days=MAX_SLOT_RANGE_DAYS):
            raise Invalid(
                _("Höchstens %(n)d Tage auf einmal.") % {"n": MAX_SLOT_RANGE_DAYS},
                fields={"to": [_("Zeitraum zu lang.")]},
            )
        offered = [int(d) for d in expert.durations or []]
        raw = params.get("duration")
        if raw is None:
            duration = offered[0] if offered else None
        else:
            duration = int(raw) if raw.isascii() and raw.isdigit() else None
        if duration is None or duration not in offered:
            raise Invalid(
                _("Diese Dauer wird nicht angeboten."),
                code="bad_duration",
                fields={"duration": [_("Angeboten: %(d)s") % {"d": offered}]},
            )
        slots = selectors.free_slots_for(expert, start=start, end=end, duration=duration, now=now)
        return Response(
            {
                "expert": expert.pk,
                "duration_minutes": duration,
                "timezone": expert.timezone,
                "results": [
                    {"start": s.start.isoformat(), "end": s.end.isoformat()} for s in slots
                ],
            }
        )


# --- calendar feeds ---------------------------------------------------------------------------


class FeedSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    url = serializers.URLField()


class RotateFeedSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["expert", "municipality"])
    id = serializers.IntegerField(min_value=1)


def _feed_url(token: str) -> str:
    return f"{settings.SITE_URL}/feeds/{token}.ics"


class CalendarFeedsView(APIView):
    """``GET /api/v1/calendar-feeds/``: the caller's private feed URLs (as expert, as staff)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses=inline_serializer("CalendarFeeds", {"results": FeedSerializer(many=True)})
    )
    def get(self, request: Request) -> Response:
        results = []
        expert = ExpertProfile.objects.filter(user_id=request.user.pk).first()
        if expert is not None:
            results.append({"kind": "expert", "id": expert.pk, "url": _feed_url(expert.feed_token)})
        municipality_id = municipality_id_of(request.user)
        if municipality_id is not None:
            municipality = Municipality.objects.get(pk=municipality_id)
            results.append(
                {
                    "kind": "municipality",
                    "id": municipality.pk,
                    "url": _feed_url(municipality.feed_token),
                }
            )
        return Response({"results": results})


class RotateFeedView(APIView):
    """``POST /api/v1/calendar-feeds/rotate/`` {kind, id}: revoke the old URL, get a new one."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=RotateFeedSerializer, responses=FeedSerializer)
    def post(self, request: Request) -> Response:
        data = RotateFeedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind, pk = data.validated_data["kind"], data.validated_data["id"]
        token = services.rotate_feed_token(
            actor=request.user,
            expert_id=pk if kind == "expert" else None,
            municipality_id=pk if kind == "municipality" else None,
        )
        return Response({"kind": kind, "id": pk, "url": _feed_url(token)})
