"""Routes of the bookings API under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from bookings import api

router = SimpleRouter()
router.register("bookings", api.BookingViewSet, basename="booking")

urlpatterns = [
    *router.urls,
    path("experts/<int:pk>/slots/", api.ExpertSlotsView.as_view(), name="expert-slots"),
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
    path("calendar-feeds/", api.CalendarFeedsView.as_view(), name="calendar-feeds"),
    path("calendar-feeds/rotate/", api.RotateFeedView.as_view(), name="calendar-feeds-rotate"),
]
