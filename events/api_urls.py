"""Routes of the events API (included from bookings/api_urls.py under /api/v1/)."""

from django.urls import path
from rest_framework.renderers import JSONRenderer
from rest_framework.routers import SimpleRouter

from events import api as event_api

router = SimpleRouter()
router.register("events", event_api.EventViewSet, basename="event")
router.register("registrations", event_api.RegistrationViewSet, basename="registration")

urlpatterns = [
    path(
        "events/<int:pk>/participants.csv",
        event_api.EventViewSet.as_view(
            {"get": "participants"}, renderer_classes=[event_api.CSVRenderer]
        ),
        {"format": "csv"},
        name="event-participants-csv",
    ),
    # The calendar file keeps its name in the URL (no trailing slash after ".ics").
    path(
        "registrations/<str:token>/invite.ics",
        event_api.RegistrationViewSet.as_view(
            {"get": "invite"}, renderer_classes=[JSONRenderer, event_api.ICSRenderer]
        ),
        name="registration-invite-ics",
    ),
    *router.urls,
]
