"""Pages of consultation bookings (German paths)."""

from django.urls import path

from bookings import message_views, profile_views, proposal_views, views
from bookings.actions import PAGE_ACTIONS

urlpatterns = [
    path("anfragen/<int:pk>/experten/", views.request_matches, name="request-matches"),
    path(
        "anfragen/<int:pk>/experten/<int:expert_id>/termine/",
        views.booking_slots,
        name="booking-slots",
    ),
    path("termine/", views.booking_list, name="booking-list"),
    path("termine/<int:pk>/", views.booking_detail, name="booking-detail"),
    path("termine/<int:pk>/nachricht/", message_views.post_message, name="booking-message"),
    path("termine/<int:pk>/vorschlagen/", proposal_views.propose, name="booking-propose"),
    path(
        "termine/<int:pk>/vorschlag-annehmen/",
        proposal_views.accept,
        name="booking-accept-proposal",
    ),
    # The lifecycle steps of bookings/actions.py: /termine/<id>/absagen/ is booking-cancel.
    *(
        path(
            f"termine/<int:pk>/{step.page}/",
            views.booking_action,
            {"action": step.name},
            name=f"booking-{step.name}",
        )
        for step in PAGE_ACTIONS
    ),
    path("kalender/neue-adresse/", views.feed_rotate, name="feed-rotate"),
    # The link of a consultation's own online room (MEETING_PROVIDER=bbb), e-mailed.
    path("raum/<str:room>/", views.meeting_room, name="meeting-room"),
    path("expertin/anfragen/", views.expert_requests, name="expert-requests"),
    # The expert's public profile: feedback and free slots come from the bookings.
    path(
        "expertinnen/<int:pk>/",
        profile_views.expert_public_profile,
        name="expert-public-profile",
    ),
]
