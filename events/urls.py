"""Pages of events (German paths; the self-service path is the e-mailed one)."""

from django.urls import path

from events import views

urlpatterns = [
    path("veranstaltungen/", views.event_list, name="event-list"),
    path("veranstaltungen/<int:pk>/", views.event_detail, name="event-detail"),
    # The e-mails link to /registrations/<token>/ (events.notifications.self_service_url).
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
]
