"""Pages of bookings and events (German paths; the self-service path is the e-mailed one)."""

from django.urls import path

from bookings import views

urlpatterns = [
    path("veranstaltungen/", views.event_list, name="event-list"),
    path("veranstaltungen/<int:pk>/", views.event_detail, name="event-detail"),
    # The e-mails link to /registrations/<token>/ (bookings.event_notifications.self_service_url).
    path("registrations/<str:token>/", views.registration_page, name="registration"),
    path(
        "registrations/<str:token>/bestaetigen/",
        views.registration_confirm,
        name="registration-confirm",
    ),
    path(
        "registrations/<str:token>/stornieren/",
        views.registration_cancel,
        name="registration-cancel",
    ),
    path(
        "registrations/<str:token>/loeschen/", views.registration_forget, name="registration-forget"
    ),
    path(
        "registrations/<str:token>/einladung.ics", views.registration_ics, name="registration-ics"
    ),
    path("anmeldung/<str:token>/", views.registration_short_link),
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
    path("koordination/", views.coordination, name="coordination"),
    path("koordination/zuordnung/", views.coordination_propose, name="coordination-propose"),
    path(
        "koordination/zuordnung/<int:proposal_id>/annehmen/",
        views.coordination_accept,
        name="coordination-accept",
    ),
    path(
        "koordination/nachrichten/<int:notification_id>/erneut/",
        views.coordination_resend,
        name="coordination-resend",
    ),
]
