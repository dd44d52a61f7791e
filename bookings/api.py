"""API of consultation bookings (the actions from bookings/actions.py), an expert's free slots
(they need the bookings) and calendar-feed tokens. Thin: serializers check the shape, services
and selectors decide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import feed_tokens, selectors, services
from bookings.actions import ACTIONS, BookingAction
from bookings.models import ConsultationBooking
from bookings.request_summary import with_request_details
from bookings.serializers import (
    BookingCreateSerializer,
    BookingDetailSerializer,
    BookingSerializer,
    parse_aware,
)
from consult.models import Municipality
from core.api_fields import MAX_ID
from core.errors import Invalid, NotFound
from core.roles import municipality_id_of
from experts.models import ExpertProfile

MAX_SLOT_RANGE_DAYS = 92
DEFAULT_SLOT_RANGE_DAYS = 14


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
        elif self.action == "retrieve":
            qs = with_request_details(qs)
        return qs

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        # The detail describes the request (for the expert deciding); the list names its id.
        return BookingDetailSerializer if self.action == "retrieve" else BookingSerializer

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

    # The word is "no-show"; clients that spell actions like the other snake_case
    # fields reach the same action (one operation in the schema).
    @extend_schema(exclude=True)
    @action(detail=True, methods=["post"], url_path="no_show", url_name="no-show-snake")
    def no_show_snake(self, request: Request, pk: str) -> Response:
        return self.no_show(request, pk)  # type: ignore[attr-defined]


def _action_view(step: BookingAction) -> Any:
    """The viewset's method for one step of bookings/actions.py: POST …/{id}/<path>/."""

    def view(self: BookingViewSet, request: Request, pk: str) -> Response:
        arguments: dict[str, Any] = {}
        if step.serializer is not None:
            data = step.serializer(data=request.data)
            data.is_valid(raise_exception=True)
            arguments = dict(data.validated_data)
        return self._done(step.service(actor=request.user, booking_id=int(pk), **arguments))

    view.__name__ = step.name
    routed = action(detail=True, methods=["post"], url_path=step.path)(view)
    return extend_schema(request=step.serializer, responses=BookingSerializer)(routed)


for _step in ACTIONS:
    setattr(BookingViewSet, _step.name, _action_view(_step))


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
        token = feed_tokens.rotate_feed_token(
            actor=request.user,
            expert_id=pk if kind == "expert" else None,
            municipality_id=pk if kind == "municipality" else None,
        )
        return Response({"kind": kind, "id": pk, "url": _feed_url(token)})
