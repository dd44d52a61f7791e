"""``/api/v1/experts/{id}/calendars/``: an expert's own calendars (connect, list, remove, sync).

The expert manages their own; coordinators may look (the secret address shortened to its host);
for everyone else they do not exist (404). Passwords are write-only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from core.roles import is_coordinator
from experts import calendars
from experts.calendar_fetch import MESSAGES
from experts.calendar_models import CalendarConnection
from experts.models import ExpertProfile


class CalendarSerializer(serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500, trim_whitespace=False
    )
    username = serializers.CharField(required=False, allow_blank=True, max_length=200)
    url = serializers.CharField(max_length=2000)
    last_error_message = serializers.SerializerMethodField()

    class Meta:
        model = CalendarConnection
        fields = [
            "id",
            "kind",
            "url",
            "username",
            "password",
            "calendar_name",
            "write_bookings",
            "last_synced",
            "last_success",
            "last_error",
            "last_error_code",
            "last_error_message",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "calendar_name",
            "write_bookings",
            "last_synced",
            "last_success",
            "last_error",
            "last_error_code",
            "last_error_message",
            "created_at",
        ]

    def get_last_error_message(self, obj: CalendarConnection) -> str:
        """The error in the reader's language (``last_error`` keeps the one of the sync)."""
        if not obj.last_error_code:
            return ""
        return str(MESSAGES.get(obj.last_error_code, obj.last_error))

    def to_representation(self, instance: CalendarConnection) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("owner", False):
            # A secret iCal address is a credential: a coordinator sees only where it points.
            parts = urlsplit(instance.url)
            data["url"] = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/…"
        return data


def _expert(user: Any, pk: int, *, write: bool) -> tuple[ExpertProfile, bool]:
    """The expert and whether ``user`` is that expert; 404 for anyone who may not see it."""
    expert = ExpertProfile.objects.filter(pk=pk).first()
    owner = expert is not None and expert.user_id == getattr(user, "pk", None)
    if expert is None or not (owner or (not write and is_coordinator(user))):
        raise NotFound(_("Nicht gefunden."))
    return expert, owner


def _connection(expert: ExpertProfile, cid: int) -> CalendarConnection:
    connection = CalendarConnection.objects.filter(pk=cid, expert=expert).first()
    if connection is None:
        raise NotFound(_("Nicht gefunden."))
    return connection


class CalendarsView(APIView):
    """``GET`` the expert's calendars, ``POST`` {kind, url, username, password} to connect one
    (it is synced in the background right after)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=CalendarSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        expert, owner = _expert(request.user, pk, write=False)
        rows = CalendarConnection.objects.filter(expert=expert).order_by("created_at", "id")
        data = CalendarSerializer(rows, many=True, context={"owner": owner}).data
        return Response({"count": len(data), "next": None, "previous": None, "results": data})

    @extend_schema(request=CalendarSerializer, responses={201: CalendarSerializer})
    def post(self, request: Request, pk: int) -> Response:
        expert, _owner = _expert(request.user, pk, write=True)
        data = CalendarSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        connection = calendars.connect_calendar(
            expert_id=expert.pk,
            kind=v["kind"],
            url=v["url"],
            username=v.get("username", ""),
            password=v.get("password", ""),
        )
        body = CalendarSerializer(connection, context={"owner": True}).data
        return Response(body, status=status.HTTP_201_CREATED)


class CalendarView(APIView):
    """``GET`` or ``DELETE`` one calendar of the expert."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=CalendarSerializer)
    def get(self, request: Request, pk: int, cid: int) -> Response:
        expert, owner = _expert(request.user, pk, write=False)
        connection = _connection(expert, cid)
        return Response(CalendarSerializer(connection, context={"owner": owner}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, cid: int) -> Response:
        expert, _owner = _expert(request.user, pk, write=True)
        calendars.remove_calendar(connection=_connection(expert, cid))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarSyncView(APIView):
    """``POST …/calendars/{cid}/sync/``: sync now (in the worker); 202 with the current state."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={202: CalendarSerializer})
    def post(self, request: Request, pk: int, cid: int) -> Response:
        expert, _owner = _expert(request.user, pk, write=True)
        connection = _connection(expert, cid)
        calendars.request_sync(connection=connection)
        body = CalendarSerializer(connection, context={"owner": True}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("experts/<int:pk>/calendars/", CalendarsView.as_view(), name="expert-calendars"),
    path(
        "experts/<int:pk>/calendars/<int:cid>/",
        CalendarView.as_view(),
        name="expert-calendar",
    ),
    path(
        "experts/<int:pk>/calendars/<int:cid>/sync/",
        CalendarSyncView.as_view(),
        name="expert-calendar-sync",
    ),
]
