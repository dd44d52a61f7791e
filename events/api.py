"""API of seminars, workshops and webinars: events, public registration, self-service by token,
and the coordinators' participant tools (list, CSV export, add/remove, attendance).

Public writes (registering, everything behind a token) are throttled with the "public" scope.
The self-service token is only ever e-mailed, never returned: returning it would let anyone
register somebody else's address and act for them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, tzinfo
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, permissions, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from core.api_fields import MAX_ID, id_field
from core.errors import NotFound
from core.roles import is_coordinator
from events import selectors as selectors
from events import services as services
from events.models import Event, Registration
from notifications import ics

# Cells starting with these are formulas to Excel/LibreOffice (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# What the services refuse in names (control characters, Unicode line separators).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class CSVRenderer(renderers.BaseRenderer):
    """Passes a ready CSV text through; anything else (an error body) as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):  # type: ignore[no-untyped-def]
        if isinstance(data, str):
            return data.encode("utf-8")
        return json.dumps(data).encode("utf-8")


# --- serializers ------------------------------------------------------------------------------


class SessionSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class OrganiserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _iso(value: datetime, zone: tzinfo) -> str:
    """What DRF's DateTimeField gives (ISO 8601 in the current zone, UTC as "Z"), without a
    field instance per value."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class EventSerializer(serializers.ModelSerializer):
    """Shows one of `selectors.event_rows` (completed by `with_sessions_and_organisers`).

    The fields document the shape; `to_representation` builds it from the row directly: a
    field-by-field pass over a page of 20 events cost more than the queries behind it.
    """

    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    sessions = SessionSerializer(many=True, read_only=True)
    seats_left = serializers.IntegerField(read_only=True)
    waitlist_length = serializers.IntegerField(read_only=True)
    registration_open = serializers.BooleanField(read_only=True)
    organisers = OrganiserSerializer(many=True, read_only=True)
    # Present for the organisers only (see to_representation), blank when there is no link:
    # documented as an optional string. This serializer only reads (EventWriteSerializer writes).
    online_url = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "title",
            "title_de",
            "title_en",
            "description",
            "description_de",
            "description_en",
            "target_audience",
            "sessions",
            "place",
            "address",
            "online_url",
            "capacity",
            "seats_left",
            "waitlist_length",
            "registration_opens",
            "registration_closes",
            "registration_open",
            "status",
            "sequence",
            "organisers",
        ]
        read_only_fields = fields

    def to_representation(self, event: dict[str, Any]) -> dict[str, Any]:
        context = self.context
        english = context.get("language") == "en"
        zone = timezone.get_current_timezone()
        now = context.get("now") or timezone.now()
        opens, closes = event["registration_opens"], event["registration_closes"]
        data = {
            "id": event["id"],
            "kind": event["kind"],
            "title": (event["title_en"] or event["title_de"]) if english else event["title_de"],
            "title_de": event["title_de"],
            "title_en": event["title_en"],
            "description": (event["description_en"] or event["description_de"])
            if english
            else event["description_de"],
            "description_de": event["description_de"],
            "description_en": event["description_en"],
            "target_audience": event["target_audience"],
            "sessions": [
                {"start": _iso(s["start"], zone), "end": _iso(s["end"], zone)}
                for s in event["sessions"]
            ],
            "place": event["place"],
            "address": event["address"],
        }
        # The online link is for confirmed participants (by their link) and the organisers.
        if context.get("can_manage"):
            data["online_url"] = event["online_url"]
        data.update(
            capacity=event["capacity"],
            seats_left=max(event["capacity"] - event["seats_taken"], 0),
            waitlist_length=event["line_length"],
            registration_opens=_iso(opens, zone),
            registration_closes=_iso(closes, zone),
            registration_open=event["status"] == Event.Status.PUBLISHED and opens <= now < closes,
            status=event["status"],
            sequence=event["sequence"],
            organisers=event["organisers"],
        )
        return data


class EventWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Event.Kind.choices)
    title_de = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description_de = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    description_en = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    target_audience = serializers.CharField(max_length=300, required=False, allow_blank=True)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    online_url = serializers.URLField(max_length=200, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=1, max_value=100_000)
    registration_opens = serializers.DateTimeField()
    registration_closes = serializers.DateTimeField()
    sessions = SessionSerializer(many=True, allow_empty=False, max_length=50)
    organisers = serializers.ListField(child=id_field(), required=False, max_length=50)

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if "sessions" in data:
            data["sessions"] = [(s["start"], s["end"]) for s in data["sessions"]]
        if "organisers" in data:
            data["organiser_ids"] = data.pop("organisers")
        return data


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            {"type": "string", "maxLength": 200},
        ],
        "nullable": True,
        "description": "A member municipality's id, or the name of one typed in.",
    }
)
class MunicipalityField(serializers.Field):
    """ "Choose a member or type one" (issue 6) in the one field DESIGN.md names: an id (a
    number) chooses a member; any other text is a typed name, linked to a member of that name
    by the service and kept as text otherwise. Blank or null is no municipality."""

    default_error_messages = {
        "invalid": gettext_lazy("Eine Kommune (Nummer) oder ihren Namen angeben."),
        "max_length": gettext_lazy("Höchstens 200 Zeichen."),
        "control": gettext_lazy("Enthält unzulässige Steuerzeichen."),
    }

    def to_internal_value(self, data: Any) -> int | str | None:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            return id_field().run_validation(data)
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        if text.isascii() and text.isdigit():
            return id_field().run_validation(text)
        if len(text) > 200:
            self.fail("max_length")
        if _CONTROL.search(text):
            self.fail("control")
        return text or None

    def to_representation(self, value: Any) -> Any:
        return value


class _ParticipantInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    municipality = MunicipalityField(required=False, allow_null=True)
    municipality_name = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def municipality_arguments(self) -> dict[str, Any]:
        """`municipality_id` and `municipality_name` for the service."""
        chosen = self.validated_data.get("municipality")
        typed = self.validated_data.get("municipality_name", "")
        if isinstance(chosen, str):
            return {"municipality_id": None, "municipality_name": typed or chosen}
        return {"municipality_id": chosen, "municipality_name": typed}


class RegisterSerializer(_ParticipantInput):
    consent = serializers.BooleanField()


class ManualAddSerializer(_ParticipantInput):
    language = serializers.ChoiceField(choices=["de", "en"], required=False, default="de")


class AttendanceSerializer(serializers.Serializer):
    registrations = serializers.ListField(child=id_field(), allow_empty=False, max_length=10_000)
    attended = serializers.BooleanField(allow_null=True)


def _municipality(registration: Registration) -> dict[str, Any] | None:
    if registration.municipality_id is None:
        return None
    return {"id": registration.municipality_id, "name": registration.municipality.name}


def public_status(registration: Registration, position: int | None) -> dict[str, Any]:
    """What registering returns (also for the second time): no name, no token."""
    return {
        "event": registration.event_id,
        "status": registration.status,
        "waitlist_position": position,
        "hold_expires_at": registration.hold_expires_at,
    }


class ParticipantSerializer(serializers.ModelSerializer):
    municipality = serializers.SerializerMethodField()
    waitlist_position = serializers.IntegerField(source="position", read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "name",
            "email",
            "municipality",
            "municipality_name",
            "language",
            "status",
            "holds_seat",
            "waitlist_position",
            "hold_expires_at",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "attended",
        ]
        read_only_fields = fields

    def get_municipality(self, registration: Registration) -> dict[str, Any] | None:
        return _municipality(registration)


CSV_COLUMNS = [
    ("id", "ID"),
    ("name", "Name"),
    ("email", "E-Mail"),
    ("municipality", "Kommune"),
    ("status", "Status"),
    ("waitlist_position", "Warteliste"),
    ("created_at", "Angemeldet am"),
    ("confirmed_at", "Bestätigt am"),
    ("attended", "Teilgenommen"),
]


def participants_csv(registrations: list[Registration]) -> str:
    """Semicolon-separated with a BOM: what German Excel opens correctly by double-click."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([label for _key, label in CSV_COLUMNS])
    for r in registrations:
        municipality = r.municipality.name if r.municipality_id else r.municipality_name
        row = {
            "id": r.pk,
            "name": r.name,
            "email": r.email,
            "municipality": municipality,
            "status": r.get_status_display(),
            "waitlist_position": r.position or "",
            "created_at": timezone.localtime(r.created_at).strftime("%d.%m.%Y %H:%M"),
            "confirmed_at": timezone.localtime(r.confirmed_at).strftime("%d.%m.%Y %H:%M")
            if r.confirmed_at
            else "",
            "attended": {True: "ja", False: "nein", None: ""}[r.attended],
        }
        writer.writerow([csv_cell(row[key]) for key, _label in CSV_COLUMNS])
    return out.getvalue()


class RegistrationSerializer(serializers.ModelSerializer):
    """What the holder of the token sees: their own registration only."""

    event = serializers.SerializerMethodField()
    municipality = serializers.SerializerMethodField()
    waitlist_position = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "status",
            "waitlist_position",
            "event",
            "name",
            "email",
            "municipality",
            "municipality_name",
            "language",
            "hold_expires_at",
            "consent_at",
            "confirmed_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    def get_waitlist_position(self, registration: Registration) -> int | None:
        return selectors.waitlist_position(registration)

    def get_municipality(self, registration: Registration) -> dict[str, Any] | None:
        return _municipality(registration)

    def get_event(self, registration: Registration) -> dict[str, Any]:
        event = registration.event
        confirmed = registration.status == Registration.Status.CONFIRMED
        return {
            "id": event.pk,
            "kind": event.kind,
            "title": event.title,
            "status": event.status,
            "sessions": SessionSerializer(event.sessions.all(), many=True).data,
            "place": event.place,
            "address": event.address,
            # The online link is for confirmed participants only.
            "online_url": event.online_url if confirmed else "",
        }


# --- views ------------------------------------------------------------------------------------


def _language(request: Request) -> str:
    return "en" if (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en") else "de"


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Events: anyone reads published ones; coordinators create, change, publish, cancel."""

    serializer_class = EventSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    lookup_value_regex = r"\d+"
    throttle_scope = "public"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.event_rows(self.request.user)

    def get_object(self) -> dict[str, Any]:
        event = self._event(int(self.kwargs["pk"]))
        self.check_object_permissions(self.request, event)
        return event

    def _event(self, event_id: int) -> dict[str, Any]:
        event = selectors.event_row(self.request.user, event_id)
        if event is None:
            raise Http404
        return event

    def list(self, request: Request) -> Response:
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        page = selectors.with_sessions_and_organisers(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_permissions(self):  # type: ignore[no-untyped-def]
        if self.action == "registrations":
            return [permissions.AllowAny()]
        return super().get_permissions()

    def get_throttles(self):  # type: ignore[no-untyped-def]
        if self.action == "registrations":
            return [ScopedRateThrottle()]
        return super().get_throttles()

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "can_manage": is_coordinator(self.request.user),
            "language": _language(self.request),
        }

    def _detail(self, event_id: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self._event(event_id)).data, status=code)

    def _can_manage(self, event: Event) -> bool:
        return selectors.can_manage(self.request.user, event)

    @extend_schema(request=EventWriteSerializer, responses=EventSerializer)
    def create(self, request: Request) -> Response:
        serializer = EventWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.create_event(by=request.user, **serializer.service_arguments())
        return self._detail(event.pk, status.HTTP_201_CREATED)

    @extend_schema(request=EventWriteSerializer, responses=EventSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        serializer = EventWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        event = services.update_event(
            event_id=int(pk), by=request.user, **serializer.service_arguments()
        )
        return self._detail(event.pk)

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        services.publish_event(event_id=int(pk), by=request.user)
        return self._detail(int(pk))

    @extend_schema(
        request=inline_serializer("EventCancel", {"reason": serializers.CharField()}),
        responses=EventSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        services.cancel_event(event_id=int(pk), by=request.user, reason=str(reason or ""))
        return self._detail(int(pk))

    @extend_schema(
        request=RegisterSerializer,
        responses=inline_serializer(
            "RegistrationReceived",
            {
                "event": serializers.IntegerField(),
                "status": serializers.CharField(),
                "waitlist_position": serializers.IntegerField(allow_null=True),
                "hold_expires_at": serializers.DateTimeField(allow_null=True),
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def registrations(self, request: Request, pk: str) -> Response:
        """Register (anyone): 201 with the status; 200 with the existing status for an e-mail
        already registered. The self-service link goes to the e-mail address only."""
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcome = services.register(
            event_id=int(pk),
            name=data["name"],
            email=data["email"],
            consent=data["consent"],
            language=_language(request),
            **serializer.municipality_arguments(),
        )
        return Response(
            public_status(outcome.registration, outcome.position),
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )

    def _managed_event(self, pk: str) -> Event:
        event = Event.objects.filter(pk=int(pk)).first()
        if event is None or not self._can_manage(event):
            raise NotFound(_("Diese Veranstaltung gibt es nicht."))
        return event

    @extend_schema(request=ManualAddSerializer, responses=ParticipantSerializer(many=True))
    @action(
        detail=True,
        methods=["get", "post"],
        renderer_classes=[renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer],
    )
    def participants(self, request: Request, pk: str, format: str | None = None) -> Response:
        """Coordinators and the event's organisers: participants with status and waiting list
        (JSON, paginated; `?format=csv` or `participants.csv` for all as CSV); POST adds one."""
        event = self._managed_event(pk)
        if request.method == "POST":
            serializer = ManualAddSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            registration = services.add_participant(
                event_id=event.pk,
                by=request.user,
                name=data["name"],
                email=data["email"],
                language=data["language"],
                **serializer.municipality_arguments(),
            )
            registration = next(r for r in selectors.participants(event) if r.pk == registration.pk)
            return Response(ParticipantSerializer(registration).data, status=201)
        registrations = selectors.participants(event)
        if request.accepted_renderer.format == "csv":
            response = Response(participants_csv(registrations))
            response["Content-Disposition"] = f'attachment; filename="teilnehmende-{event.pk}.csv"'
            return response
        page = self.paginate_queryset(registrations)
        return self.get_paginated_response(ParticipantSerializer(page, many=True).data)

    @extend_schema(
        request=inline_serializer("Attended", {"attended": serializers.BooleanField()}),
        responses=ParticipantSerializer,
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"participants/(?P<registration_id>\d+)",
    )
    def participant(self, request: Request, pk: str, registration_id: str) -> Response:
        """DELETE removes a participant (the first in line moves up); PATCH {"attended"}."""
        event = self._managed_event(pk)
        if request.method == "DELETE":
            services.remove_participant(
                event_id=event.pk, registration_id=int(registration_id), by=request.user
            )
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = AttendanceSerializer(data={"registrations": [registration_id], **request.data})
        serializer.is_valid(raise_exception=True)
        services.mark_attendance(
            event_id=event.pk,
            by=request.user,
            registration_ids=[int(registration_id)],
            attended=serializer.validated_data["attended"],
        )
        registration = next(
            r for r in selectors.participants(event) if r.pk == int(registration_id)
        )
        return Response(ParticipantSerializer(registration).data)

    @extend_schema(
        request=AttendanceSerializer,
        responses=inline_serializer("AttendanceMarked", {"updated": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str) -> Response:
        """After the event: mark many at once, {"registrations": [ids], "attended": true}."""
        event = self._managed_event(pk)
        serializer = AttendanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.mark_attendance(
            event_id=event.pk,
            by=request.user,
            registration_ids=serializer.validated_data["registrations"],
            attended=serializer.validated_data["attended"],
        )
        return Response({"updated": updated})


class ICSRenderer(renderers.BaseRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):  # type: ignore[no-untyped-def]
        if isinstance(data, str):
            return data.encode("utf-8")
        return json.dumps(data).encode("utf-8")


class RegistrationViewSet(viewsets.ViewSet):
    """Self-service for the holder of the token: see, confirm, cancel, .ics, delete my data.

    The token is the only credential (no login, so no CSRF to deal with); a guessed or altered
    one is a 404 like any registration that does not exist.
    """

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    lookup_field = "token"
    lookup_value_regex = r"[A-Za-z0-9_-]{20,100}"

    def _registration(self, token: str) -> Registration:
        registration = selectors.registration_by_token(token)
        if registration is None:
            raise NotFound(_("Diese Anmeldung gibt es nicht."))
        return registration

    def _show(self, token: str) -> Response:
        return Response(RegistrationSerializer(self._registration(token)).data)

    @extend_schema(responses=RegistrationSerializer)
    def retrieve(self, request: Request, token: str) -> Response:
        return self._show(token)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, token: str) -> Response:
        """Delete my data: the registration is cancelled and anonymised, the link dies."""
        services.forget(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, token: str) -> Response:
        services.confirm(token=token)
        return self._show(token)

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, token: str) -> Response:
        services.cancel(token=token)
        return self._show(token)

    @extend_schema(responses={(200, "text/calendar"): str})
    @action(
        detail=True,
        methods=["get"],
        url_path="invite.ics",
        renderer_classes=[renderers.JSONRenderer, ICSRenderer],
    )
    def invite(self, request: Request, token: str) -> HttpResponse:
        text = services.invitation_for(token=token)
        response = HttpResponse(text, content_type=ics.media_type(text))
        response["Content-Disposition"] = 'attachment; filename="invite.ics"'
        return response
