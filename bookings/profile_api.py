"""``/api/v1/experts/``: the experts' profiles (experts/api.py) whose detail adds the feedback of
completed consultations and the next free slots. Routed from here, not from experts/, because
both come from the bookings (DESIGN.md 2: experts never looks bookings up)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from bookings.profiles import PublicProfile, profile_of
from experts.api import ExpertSerializer, ExpertViewSet


class FeedbackSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True, help_text="1–5; null without ratings")
    count = serializers.IntegerField(help_text="rated completed consultations")


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ExpertDetailSerializer(ExpertSerializer):
    """The detail's shape (for the schema): the profile and what the bookings add."""

    feedback = FeedbackSerializer(read_only=True)
    next_slots = SlotSerializer(many=True, read_only=True)
    next_slots_duration = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="minutes: the first duration offered"
    )

    class Meta(ExpertSerializer.Meta):
        fields = [*ExpertSerializer.Meta.fields, "feedback", "next_slots", "next_slots_duration"]


def profile_extras(profile: PublicProfile) -> dict[str, Any]:
    return {
        "feedback": {"average": profile.feedback.average, "count": profile.feedback.count},
        "next_slots": [
            {"start": slot.start.isoformat(), "end": slot.end.isoformat()}
            for slot in profile.next_slots
        ],
        "next_slots_duration": profile.duration,
    }


class ExpertProfileViewSet(ExpertViewSet):
    """Public adviser profiles (list and edit as in experts/api.py); the detail adds
    ``feedback`` {average, count} and ``next_slots`` (DESIGN.md 10)."""

    @extend_schema(responses=ExpertDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        expert = self.get_object()
        data = dict(self.get_serializer(expert).data)
        data.update(profile_extras(profile_of(expert, now=timezone.now())))
        return Response(data)
