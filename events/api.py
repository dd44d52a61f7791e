"""API of seminars, workshops and webinars: events, public registration, self-service by token,
and the coordinators' participant tools (list, CSV export, add/remove, attendance)."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from core.errors import Forbidden, NotFound
from core.roles import is_coordinator
from events import management, registration, selectors
from events.models import Event, Registration
from events.serializers import (
    AttendanceSerializer,
    EventSerializer,
    EventWriteSerializer,
    ManualAddSerializer,
    ParticipantSerializer,
    RegisterSerializer,
    RegistrationReceivedSerializer,
    RegistrationSerializer,
    participants_csv,
)
from notifications import ics


class CSVRenderer(renderers.BaseRenderer):
    """Passes a ready CSV text through; anything else (an error body) as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):  # type: ignore[no-untyped-def]
        if isinstance(data, str):
            return data.encode("utf-8")
        return json.dumps(data).encode("utf-8")


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

    def _require_coordinator(self) -> None:
        if not is_coordinator(self.request.user):
            raise Forbidden(_("Nur die Koordination darf Veranstaltungen anlegen und ändern."))

    @extend_schema(
        request=EventWriteSerializer,
        responses={201: EventSerializer},
    )
    def create(self, request: Request) -> Response:
        self._require_coordinator()
        serializer = EventWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = management.create_event(by=request.user, **serializer.service_arguments())
        return self._detail(event.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=EventWriteSerializer,
        responses={200: EventSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        # Who and which event first: a stranger learns nothing from how the input is wrong.
        self._event(int(pk))
        self._require_coordinator()
        serializer = EventWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        event = management.update_event(
            event_id=int(pk), by=request.user, **serializer.service_arguments()
        )
        return self._detail(event.pk)

    @extend_schema(request=None, responses={200: EventSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        management.publish_event(event_id=int(pk), by=request.user)
        return self._detail(int(pk))

    @extend_schema(
        request=inline_serializer("EventCancel", {"reason": serializers.CharField()}),
        responses={200: EventSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        management.cancel_event(event_id=int(pk), by=request.user, reason=str(reason or ""))
        return self._detail(int(pk))

    @extend_schema(
        request=RegisterSerializer,
        responses={201: RegistrationReceivedSerializer},
    )
    @action(detail=True, methods=["post"])
    def registrations(self, request: Request, pk: str) -> Response:
        """Register (anyone): 201, and the self-service link goes to the e-mail address. The
        answer is the same for an address registered already (the link is e-mailed again)."""
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        registration.register(
            event_id=int(pk),
            name=data["name"],
            email=data["email"],
            consent=data["consent"],
            language=_language(request),
            **serializer.municipality_arguments(),
        )
        received = {
            "event": int(pk),
            "status": Registration.Status.PENDING,
            "detail": _("Wir haben den Link zum Bestätigen an die angegebene Adresse geschickt."),
        }
        return Response(received, status=status.HTTP_201_CREATED)

    def _managed_event(self, pk: str) -> Event:
        event = Event.objects.filter(pk=int(pk)).first()
        if event is None or not self._can_manage(event):
            raise NotFound(_("Diese Veranstaltung gibt es nicht."))
        return event

    @extend_schema(methods=["GET"], responses=ParticipantSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=ManualAddSerializer, responses={201: ParticipantSerializer}
    )
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
            added = management.add_participant(
                event_id=event.pk,
                by=request.user,
                name=data["name"],
                email=data["email"],
                language=data["language"],
                **serializer.municipality_arguments(),
            )
            added = next(r for r in selectors.participants(event) if r.pk == added.pk)
            return Response(ParticipantSerializer(added).data, status=201)
        registrations = selectors.participants(event)
        if request.accepted_renderer.format == "csv":
            response = Response(participants_csv(registrations))
            response["Content-Disposition"] = f'attachment; filename="teilnehmende-{event.pk}.csv"'
            return response
        page = self.paginate_queryset(registrations)
        return self.get_paginated_response(ParticipantSerializer(page, many=True).data)

    @extend_schema(
        methods=["PATCH"],
        request=inline_serializer("Attended", {"attended": serializers.BooleanField()}),
        responses={200: ParticipantSerializer},
    )
    @extend_schema(methods=["DELETE"], responses={204: None})
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"participants/(?P<registration_id>\d+)",
    )
    def participant(self, request: Request, pk: str, registration_id: str) -> Response:
        """DELETE removes a participant (the first in line moves up); PATCH {"attended"}."""
        event = self._managed_event(pk)
        if request.method == "DELETE":
            management.remove_participant(
                event_id=event.pk, registration_id=int(registration_id), by=request.user
            )
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = AttendanceSerializer(data={"registrations": [registration_id], **request.data})
        serializer.is_valid(raise_exception=True)
        management.mark_attendance(
            event_id=event.pk,
            by=request.user,
            registration_ids=[int(registration_id)],
            attended=serializer.validated_data["attended"],
        )
        shown = next(r for r in selectors.participants(event) if r.pk == int(registration_id))
        return Response(ParticipantSerializer(shown).data)

    @extend_schema(
        request=AttendanceSerializer,
        responses={
            200: inline_serializer("AttendanceMarked", {"updated": serializers.IntegerField()})
        },
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str) -> Response:
        """After the event: mark many at once, {"registrations": [ids], "attended": true}."""
        event = self._managed_event(pk)
        serializer = AttendanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = management.mark_attendance(
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
        found = selectors.registration_by_token(token)
        if found is None:
            raise NotFound(_("Diese Anmeldung gibt es nicht."))
        return found

    def _show(self, token: str) -> Response:
        return Response(RegistrationSerializer(self._registration(token)).data)

    @extend_schema(responses={200: RegistrationSerializer})
    def retrieve(self, request: Request, token: str) -> Response:
        return self._show(token)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, token: str) -> Response:
        """Delete my data: the registration is cancelled and anonymised, the link dies."""
        registration.forget(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: RegistrationSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, token: str) -> Response:
        registration.confirm(token=token)
        return self._show(token)

    @extend_schema(request=None, responses={200: RegistrationSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, token: str) -> Response:
        registration.cancel(token=token)
        return self._show(token)

    @extend_schema(responses={(200, "text/calendar"): str})
    @action(
        detail=True,
        methods=["get"],
        url_path="invite.ics",
        renderer_classes=[renderers.JSONRenderer, ICSRenderer],
    )
    def invite(self, request: Request, token: str) -> HttpResponse:
        text = registration.invitation_for(token=token)
        response = HttpResponse(text, content_type=ics.media_type(text))
        response["Content-Disposition"] = 'attachment; filename="invite.ics"'
        return response
