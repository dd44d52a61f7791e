"""Bare Django views for bench/api_load.py: the floor our DRF endpoints are measured against.

Each reads (or writes) the same rows as its API counterpart with plain ORM calls and a
`JsonResponse`: no serializers, no content negotiation, no permission classes, no throttles.
Served only when ROOT_URLCONF=bench._reference_urls (the benchmark sets it); never in production.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.models import Token

from bookings.models import ConsultationBooking
from consult.models import ConsultationRequest
from core.roles import municipality_id_of
from events.models import Event, EventSession
from experts.models import ExpertProfile, ExpertTopic

PAGE = 20


def events(request: HttpRequest) -> JsonResponse:
    """Published events with their sessions, first page of 20, and the total count."""
    visible = Event.objects.filter(status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED])
    first_start = EventSession.objects.filter(event=OuterRef("pk")).order_by("start")
    rows = list(
        visible.annotate(first_start=Subquery(first_start.values("start")[:1]))
        .order_by("first_start", "id")
        .values(
            "id",
            "kind",
            "title_de",
            "capacity",
            "registration_opens",
            "registration_closes",
            "status",
        )[:PAGE]
    )
    sessions: dict[int, list[dict[str, str]]] = {}
    for session in EventSession.objects.filter(event_id__in=[r["id"] for r in rows]).values(
        "event_id", "start", "end"
    ):
        sessions.setdefault(session["event_id"], []).append(
            {"start": session["start"].isoformat(), "end": session["end"].isoformat()}
        )
    results = [
        {
            **row,
            "registration_opens": row["registration_opens"].isoformat(),
            "registration_closes": row["registration_closes"].isoformat(),
            "sessions": sessions.get(row["id"], []),
        }
        for row in rows
    ]
    return JsonResponse({"count": visible.count(), "results": results})


def experts(request: HttpRequest) -> JsonResponse:
    """Active experts covering ?topic=<slug>, first page of 20 by name, with their topics."""
    queryset = ExpertProfile.objects.filter(active=True)
    if topic := request.GET.get("topic"):
        queryset = queryset.filter(
            Exists(ExpertTopic.objects.filter(expert=OuterRef("pk"), topic__slug=topic))
        )
    rows = list(
        queryset.order_by("display_name", "id").values(
            "id",
            "display_name",
            "organisation",
            "bio_de",
            "languages",
            "formats",
            "states",
            "travel_radius_km",
            "active",
        )[:PAGE]
    )
    topics: dict[int, list[dict[str, object]]] = {}
    for level in ExpertTopic.objects.filter(expert_id__in=[r["id"] for r in rows]).values(
        "expert_id", "topic__slug", "level"
    ):
        topics.setdefault(level["expert_id"], []).append(
            {"topic": level["topic__slug"], "level": level["level"]}
        )
    results = [{**row, "topics": topics.get(row["id"], [])} for row in rows]
    return JsonResponse({"count": queryset.count(), "results": results})


@csrf_exempt
def bookings(request: HttpRequest) -> JsonResponse:
    """POST a booking: token, own request, insert the row, mark the request booked.

    No slot check, no outbox, no lock: the lower bound of a booking write. The benchmark hands
    it slots that do not overlap, so the PostgreSQL exclusion constraint never refuses one.
    """
    if request.method != "POST":
        return JsonResponse({"detail": "POST only"}, status=405)
    key = request.headers.get("Authorization", "").removeprefix("Token ")
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None:
        return JsonResponse({"detail": "unauthenticated"}, status=401)
    data = json.loads(request.body)
    consultation = (
        ConsultationRequest.objects.select_related("plan").filter(pk=data["request"]).first()
    )
    if consultation is None or consultation.plan.municipality_id != municipality_id_of(token.user):
        return JsonResponse({"detail": "not found"}, status=404)
    start = datetime.fromisoformat(data["start"])
    end = start + timedelta(minutes=int(data["duration_minutes"]))
    with transaction.atomic():
        booking = ConsultationBooking.objects.create(
            request=consultation,
            expert_id=int(data["expert"]),
            start=start,
            end=end,
            blocked_start=start,
            blocked_end=end,
            status=ConsultationBooking.Status.REQUESTED,
            created_by=token.user,
        )
        ConsultationRequest.objects.filter(pk=consultation.pk).update(
            status=ConsultationRequest.Status.BOOKED
        )
    return JsonResponse(
        {
            "id": booking.pk,
            "status": booking.status,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        status=201,
    )
