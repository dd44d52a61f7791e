"""Routes of the bookings API under /api/v1/; the events API has its own module, included here."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = [*router.urls, path("", include("bookings.event_api_urls"))]
