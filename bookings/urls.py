"""Pages of consultation bookings (German paths)."""

from django.urls import path

from bookings import views

urlpatterns = [
    path("anfragen/<int:pk>/experten/", views.request_matches, name="request-matches"),
    path(
        "anfragen/<int:pk>/experten/<int:expert_id>/termine/",
        views.booking_slots,
        name="booking-slots",
    ),
    path("termine/", views.booking_list, name="booking-list"),
    path("termine/<int:pk>/", views.booking_detail, name="booking-detail"),
    path("termine/<int:pk>/absagen/", views.booking_cancel, name="booking-cancel"),
    path("termine/<int:pk>/verschieben/", views.booking_reschedule, name="booking-reschedule"),
    path("termine/<int:pk>/bewertung/", views.booking_feedback, name="booking-feedback"),
    path("termine/<int:pk>/bestaetigen/", views.booking_confirm, name="booking-confirm"),
    path("termine/<int:pk>/ablehnen/", views.booking_decline, name="booking-decline"),
    path("termine/<int:pk>/durchgefuehrt/", views.booking_complete, name="booking-complete"),
    path("kalender/neue-adresse/", views.feed_rotate, name="feed-rotate"),
    # The link of a consultation's own online room (MEETING_PROVIDER=bbb), e-mailed.
    path("raum/<str:room>/", views.meeting_room, name="meeting-room"),
    path("expertin/anfragen/", views.expert_requests, name="expert-requests"),
]
