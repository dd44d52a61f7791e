"""API of the experts app: public profiles (own edit) and each expert's availability (weekly
rules and exceptions). Matches and free slots need the bookings: bookings/ serves them."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from consult.services import date_problem
from core.api_fields import id_field
from core.errors import NotFound
from core.roles import is_coordinator
from core.validators import no_control_characters, no_control_characters_multiline
from experts import availability, services
from experts.models import (
    BOOKING_SETTINGS,
    PROFILE_FIELDS,
    AvailabilityException,
    ExpertProfile,
    ExpertTopic,
)
from experts.selectors import (
    availability_of,
    exceptions_shown_from,
    json_list_has,
    public_profiles,
)


def english() -> bool:
    return (translation.get_language() or "de").startswith("en")


class _FormatIsNotARenderer:
    """DRF settings with `?format=` free: here it is the consultation format, not a renderer."""

    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name: str) -> Any:
        return getattr(api_settings, name)


class FormatParamNegotiation(DefaultContentNegotiation):
    settings = _FormatIsNotARenderer()


# --- profiles ---------------------------------------------------------------------------------


class TopicLevelSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=50)
    level = serializers.IntegerField(default=2)


class BioSerializer(serializers.Serializer):
    de = serializers.CharField(allow_blank=True, required=False)
    en = serializers.CharField(allow_blank=True, required=False)


class ExpertSerializer(serializers.ModelSerializer):
    """The public profile; the owner and coordinators also see the private fields."""

    name = serializers.CharField(
        source="display_name", max_length=200, validators=[no_control_characters]
    )
    topics = TopicLevelSerializer(many=True, required=False)
    # Read: the text in the caller's language and both texts; write: each language on its own.
    bio = serializers.CharField(read_only=True)
    bio_by_language = BioSerializer(read_only=True)
    bio_de = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        validators=[no_control_characters_multiline],
    )
    bio_en = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        validators=[no_control_characters_multiline],
    )
    procedure_types = serializers.ListField(child=serializers.CharField(), required=False)
    size_classes = serializers.ListField(child=serializers.CharField(), required=False)
    states = serializers.ListField(child=serializers.CharField(), required=False)
    languages = serializers.ListField(child=serializers.CharField(), required=False)
    formats = serializers.ListField(child=serializers.CharField(), required=False)
    durations = serializers.ListField(child=serializers.IntegerField(), required=False)
    # Range rules live in the service (one place, one message); the serializer checks types.
    home_latitude = serializers.FloatField(required=False, allow_null=True)
    home_longitude = serializers.FloatField(required=False, allow_null=True)
    travel_radius_km = serializers.IntegerField(required=False)
    monthly_capacity = serializers.IntegerField(required=False)
    buffer_before_minutes = serializers.IntegerField(required=False)
    buffer_after_minutes = serializers.IntegerField(required=False)
    min_notice_hours = serializers.IntegerField(required=False)
    horizon_days = serializers.IntegerField(required=False)
    max_per_day = serializers.IntegerField(required=False, allow_null=True)
    max_per_week = serializers.IntegerField(required=False, allow_null=True)
    conflicts = serializers.ListField(child=id_field(), required=False)
    username = serializers.CharField(write_only=True, required=False, max_length=150)

    WRITE_ONLY = ("username", "bio_de", "bio_en")
    PRIVATE = (
        "email",
        "conflicts",
        "home_latitude",
        "home_longitude",
        "meeting_url",
        "timezone",
    )

    class Meta:
        model = ExpertProfile
        fields = [
            "id",
            "name",
            "bio",
            "bio_by_language",
            "topics",
            *(f for f in PROFILE_FIELDS if f != "display_name"),  # "name" is display_name
            "conflicts",
            "username",
        ]

    def to_representation(self, instance: ExpertProfile) -> dict[str, Any]:
        user = self.context["request"].user
        private = is_coordinator(user) or instance.user_id == getattr(user, "pk", None)
        en = english()
        data: dict[str, Any] = {
            "id": instance.pk,
            "name": instance.display_name,
            "organisation": instance.organisation,
            "bio": (instance.bio_en or instance.bio_de) if en else instance.bio_de,
            "bio_by_language": {"de": instance.bio_de, "en": instance.bio_en},
            "topics": [
                {"topic": tl.topic.slug, "level": tl.level} for tl in instance.topic_levels.all()
            ],
        }
        for name in self.Meta.fields:
            if name in data or name in self.PRIVATE or name in self.WRITE_ONLY:
                continue
            data[name] = getattr(instance, name)
        if private:
            data.update(
                email=instance.email,
                conflicts=[m.pk for m in instance.conflicts.all()],
                home_latitude=instance.home_latitude,
                home_longitude=instance.home_longitude,
                meeting_url=instance.meeting_url,
                timezone=instance.timezone,
            )
        return data


def _profile_arguments(data: dict[str, Any]) -> dict[str, Any]:
    arguments = dict(data)
    if "topics" in arguments:
        arguments["topics"] = [dict(t) for t in arguments["topics"]]
    return arguments


class ProfilePermission(permissions.BasePermission):
    """Reading is public; creating is for coordinators; editing for the owner and coordinators.

    The profile is public, so editing someone else's is a plain 403 (nothing to hide).
    """

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        if view.action in ("list", "retrieve"):
            return True
        if view.action == "create":
            return is_coordinator(request.user)
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:  # type: ignore[no-untyped-def]
        if view.action in ("list", "retrieve"):
            return True
        return services.can_edit_profile(request.user, obj)


class ExpertViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Public adviser profiles. Filters: ?topic=<slug>&state=&language=&format=."""

    serializer_class = ExpertSerializer
    permission_classes = [ProfilePermission]
    content_negotiation_class = FormatParamNegotiation
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ExpertProfile]:
        user = self.request.user
        qs = public_profiles(user).order_by("display_name", "id")
        if getattr(user, "is_authenticated", False):
            # The owner's and the coordinators' view shows the conflicts too.
            return qs.prefetch_related("conflicts")
        return qs

    def filter_queryset(self, queryset: QuerySet[ExpertProfile]) -> QuerySet[ExpertProfile]:
        params = self.request.query_params
        if self.action != "list":
            return queryset
        if topic := params.get("topic"):
            queryset = queryset.filter(
                Exists(ExpertTopic.objects.filter(expert=OuterRef("pk"), topic__slug=topic))
            )
        for param, field in (("state", "states"), ("language", "languages"), ("format", "formats")):
            if value := params.get(param):
                queryset = queryset.filter(json_list_has(field, value))
        return queryset

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        arguments = _profile_arguments(serializer.validated_data)
        username = arguments.pop("username", "")
        if not username:
            raise serializers.ValidationError({"username": [_("Pflichtfeld.")]})
        serializer.instance = services.create_profile(
            actor=self.request.user, username=username, **arguments
        )

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        arguments = _profile_arguments(serializer.validated_data)
        arguments.pop("username", None)
        serializer.instance = services.update_profile(
            actor=self.request.user, expert=serializer.instance, **arguments
        )

    def update(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().update(request, *args, **kwargs)
        # Re-read so the response shows the relations as saved (prefetch caches are stale).
        fresh = self.get_queryset().get(pk=kwargs["pk"])
        response.data = self.get_serializer(fresh).data
        return response

    def create(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().create(request, *args, **kwargs)
        fresh = self.get_queryset().get(pk=response.data["id"])
        response.data = self.get_serializer(fresh).data
        return response


# One PUT's exceptions: a few years of holidays and extra days.
MAX_EXCEPTIONS = 1000


# --- availability -----------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:00)?$",
        "example": "09:00",
    }
)
class WallClockField(serializers.TimeField):
    """A time of day on the expert's wall clock, "HH:MM": not an RFC 3339 time (it has no
    offset: the zone is the expert's, and the offset changes with DST), so the schema must not
    claim ``format: time``."""

    default_error_messages = {
        # Lazy: translated per request, in the client's language.
        "seconds": gettext_lazy("Nur Stunden und Minuten, z. B. 09:00."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)

    def to_internal_value(self, value: Any) -> time:
        # "08:00:30" would read back as "08:00" while slots start at 08:00:30.
        parsed = super().to_internal_value(value)
        if parsed.second or parsed.microsecond:
            self.fail("seconds")
        return parsed


def reasonable_date(value: date) -> None:
    """A date a calendar may name (consult.services.date_problem: 2000 to ten years ahead)."""
    if problem := date_problem(value, today=timezone.localdate()):
        raise serializers.ValidationError(problem)


class RuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    start = WallClockField(source="start_time")
    end = WallClockField(source="end_time")
    valid_from = serializers.DateField(
        required=False, allow_null=True, validators=[reasonable_date]
    )
    valid_until = serializers.DateField(
        required=False, allow_null=True, validators=[reasonable_date]
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end_time"] <= attrs["start_time"]:
            raise serializers.ValidationError({"end": _("Das Ende muss nach dem Beginn liegen.")})
        return attrs


class ExceptionSerializer(serializers.ModelSerializer):
    start = WallClockField(source="start_time", required=False, allow_null=True)
    end = WallClockField(source="end_time", required=False, allow_null=True)

    class Meta:
        model = AvailabilityException
        fields = ["id", "date", "start", "end", "kind", "note"]
        read_only_fields = ["id"]
        extra_kwargs = {"date": {"validators": [reasonable_date]}}


class RulesSerializer(serializers.Serializer):
    """PUT: the weekly rules and, when given, the exceptions (those the read shows)."""

    rules = RuleSerializer(many=True, max_length=availability.MAX_RULES)
    exceptions = ExceptionSerializer(many=True, required=False, max_length=MAX_EXCEPTIONS)


class AvailabilityPatchSerializer(RulesSerializer):
    """PATCH: whichever of the two lists it names is replaced, the other stays."""

    rules = RuleSerializer(many=True, required=False, max_length=availability.MAX_RULES)


AvailabilitySchema = inline_serializer(
    "Availability",
    {
        "expert": serializers.IntegerField(),
        "rules": RuleSerializer(many=True),
        "exceptions": ExceptionSerializer(many=True),
        "settings": serializers.DictField(),
    },
)


def _managed_expert(user: Any, pk: int) -> ExpertProfile:
    expert = ExpertProfile.objects.filter(pk=pk).first()
    if expert is None or not availability.can_manage_availability(user, expert):
        raise NotFound(_("Nicht gefunden."))
    return expert


class AvailabilityView(APIView):
    """``/api/v1/experts/{id}/availability/``: weekly rules (replace with PUT/PATCH),
    exceptions from yesterday on, and the booking settings (read-only here)."""

    permission_classes = [permissions.IsAuthenticated]

    def _body(self, pk: int) -> dict[str, Any]:
        expert = availability_of(pk)
        return {
            "expert": expert.pk,
            "rules": RuleSerializer(expert.rules.all(), many=True).data,
            "exceptions": ExceptionSerializer(expert.exceptions.all(), many=True).data,
            "settings": {name: getattr(expert, name) for name in BOOKING_SETTINGS},
        }

    @extend_schema(responses=AvailabilitySchema)
    def get(self, request: Request, pk: int) -> Response:
        _managed_expert(request.user, pk)
        return Response(self._body(pk))

    def _replace(self, request: Request, pk: int, serializer: type[RulesSerializer]) -> Response:
        expert = _managed_expert(request.user, pk)
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rules = v.get("rules")
        exceptions = v.get("exceptions")
        availability.replace_availability(
            actor=request.user,
            expert=expert,
            rules=None
            if rules is None
            else [
                availability.RuleSpec(
                    weekday=r["weekday"],
                    start=r["start_time"],
                    end=r["end_time"],
                    valid_from=r.get("valid_from"),
                    valid_until=r.get("valid_until"),
                )
                for r in rules
            ],
            exceptions=None
            if exceptions is None
            else [
                availability.ExceptionSpec(
                    day=e["date"],
                    start=e.get("start_time"),
                    end=e.get("end_time"),
                    kind=e.get("kind", AvailabilityException.Kind.BLOCK),
                    note=e.get("note", ""),
                )
                for e in exceptions
            ],
            exceptions_from=exceptions_shown_from(),
        )
        return Response(self._body(pk))

    @extend_schema(request=RulesSerializer, responses=AvailabilitySchema)
    def put(self, request: Request, pk: int) -> Response:
        return self._replace(request, pk, RulesSerializer)

    @extend_schema(request=AvailabilityPatchSerializer, responses=AvailabilitySchema)
    def patch(self, request: Request, pk: int) -> Response:
        return self._replace(request, pk, AvailabilityPatchSerializer)


class AvailabilityExceptionsView(APIView):
    """``POST /api/v1/experts/{id}/availability/exceptions/``: block or add time on a date."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ExceptionSerializer, responses={201: ExceptionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        expert = _managed_expert(request.user, pk)
        data = ExceptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        exception = availability.add_exception(
            actor=request.user,
            expert=expert,
            day=v["date"],
            start=v.get("start_time"),
            end=v.get("end_time"),
            kind=v.get("kind", AvailabilityException.Kind.BLOCK),
            note=v.get("note", ""),
        )
        return Response(ExceptionSerializer(exception).data, status=status.HTTP_201_CREATED)


class AvailabilityExceptionView(APIView):
    """``DELETE /api/v1/experts/{id}/availability/exceptions/{eid}/``."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, eid: int) -> Response:
        expert = _managed_expert(request.user, pk)
        availability.delete_exception(actor=request.user, expert=expert, exception_id=eid)
        return Response(status=status.HTTP_204_NO_CONTENT)
