"""Routes of the experts API under /api/v1/: availability, calendars, joining. The profiles'
routes (/api/v1/experts/) are wired in bookings/api_urls.py: their detail adds the feedback and
the next free slots, which come from the bookings."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from experts import api, calendar_api, joining_api

router = SimpleRouter()
router.register(
    "expert-applications", joining_api.ExpertApplicationViewSet, basename="expert-application"
)

urlpatterns = [
    *router.urls,
    *(path(route, view.as_view(), name=name) for route, view, name in joining_api.urlpatterns_api),
    *calendar_api.urlpatterns,
    path(
        "experts/<int:pk>/availability/",
        api.AvailabilityView.as_view(),
        name="expert-availability",
    ),
    path(
        "experts/<int:pk>/availability/exceptions/",
        api.AvailabilityExceptionsView.as_view(),
        name="expert-availability-exceptions",
    ),
    path(
        "experts/<int:pk>/availability/exceptions/<int:eid>/",
        api.AvailabilityExceptionView.as_view(),
        name="expert-availability-exception",
    ),
]
