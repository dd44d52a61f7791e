"""Routes of the bookings API under /api/v1/: bookings, free slots, matches, assignments,
calendar-feed tokens, and the experts' profiles (their detail adds feedback and free slots)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from bookings import api, matching_api, messages_api, profile_api, proposals_api, reassign_api

router = SimpleRouter()
router.register("bookings", api.BookingViewSet, basename="booking")
router.register("assignments", matching_api.AssignmentProposalViewSet, basename="assignment")
router.register("experts", profile_api.ExpertProfileViewSet, basename="expert")

urlpatterns = [
    path(
        "requests/<int:pk>/matches/",
        matching_api.RequestMatchesView.as_view(),
        name="request-matches",
    ),
    path(
        "requests/<int:pk>/reassign/",
        reassign_api.ReassignView.as_view(),
        name="request-reassign",
    ),
    path(
        "assignments/proposal/",
        matching_api.AssignmentProposalView.as_view(),
        name="assignment-proposal",
    ),
    path(
        "bookings/<int:pk>/messages/",
        messages_api.BookingMessagesView.as_view(),
        name="booking-messages",
    ),
    path(
        "bookings/<int:pk>/propose/",
        proposals_api.ProposeView.as_view(),
        name="api-booking-propose",
    ),
    path(
        "bookings/<int:pk>/accept-proposal/",
        proposals_api.AcceptProposalView.as_view(),
        name="api-booking-accept-proposal",
    ),
    path(
        "bookings/<int:pk>/proposal/",
        proposals_api.ProposalView.as_view(),
        name="api-booking-proposal",
    ),
    *router.urls,
    path("experts/<int:pk>/slots/", api.ExpertSlotsView.as_view(), name="expert-slots"),
    path("calendar-feeds/", api.CalendarFeedsView.as_view(), name="calendar-feeds"),
    path("calendar-feeds/rotate/", api.RotateFeedView.as_view(), name="calendar-feeds-rotate"),
]
