"""Routes of the events API (included from bookings/api_urls.py under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from bookings import event_api

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
    *router.urls,
]
