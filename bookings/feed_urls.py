"""The private calendar feed URL, outside /api/ (calendar clients fetch it without a session)."""

from django.urls import path

from bookings import feeds

urlpatterns = [
    path("feeds/<str:token>.ics", feeds.calendar_feed, name="calendar-feed"),
]
