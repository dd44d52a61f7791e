"""The coordinators' pages."""

from django.urls import path

from coordination import (
    audit_views,
    consultation_views,
    event_views,
    expert_views,
    library_views,
    member_views,
    report_views,
    views,
)

urlpatterns = [
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
    path("koordination/protokoll/", audit_views.trail, name="backoffice-trail"),
    path("koordination/veranstaltungen/", event_views.event_list, name="backoffice-events"),
    path(
        "koordination/veranstaltungen/neu/", event_views.event_create, name="backoffice-event-new"
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/",
        event_views.event_edit,
        name="backoffice-event",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/veroeffentlichen/",
        event_views.event_publish,
        name="backoffice-event-publish",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/absagen/",
        event_views.event_cancel,
        name="backoffice-event-cancel",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/kopieren/",
        event_views.event_duplicate,
        name="backoffice-event-duplicate",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/teilnehmende/",
        event_views.participants,
        name="backoffice-participants",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/teilnehmende/<int:registration_id>/entfernen/",
        event_views.participant_remove,
        name="backoffice-participant-remove",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/teilnehmende/<int:registration_id>/nachruecken/",
        event_views.participant_move_up,
        name="backoffice-participant-move-up",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/teilnehmende/<int:registration_id>/bescheinigung.pdf",
        event_views.certificate,
        name="backoffice-certificate",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/nachricht/",
        event_views.event_message,
        name="backoffice-event-message",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/anwesenheit/",
        event_views.attendance,
        name="backoffice-attendance",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/teilnehmende.csv",
        event_views.export_csv,
        name="backoffice-export-csv",
    ),
    path(
        "koordination/veranstaltungen/<int:event_id>/teilnehmende.xlsx",
        event_views.export_xlsx,
        name="backoffice-export-xlsx",
    ),
    path("koordination/bibliothek/", library_views.review_queue, name="backoffice-library"),
    path(
        "koordination/bibliothek/<int:resource_id>/",
        library_views.resource_edit,
        name="backoffice-resource",
    ),
    path(
        "koordination/bibliothek/<int:resource_id>/veroeffentlichen/",
        library_views.review_publish,
        name="backoffice-review-publish",
    ),
    path(
        "koordination/bibliothek/<int:resource_id>/zurueck/",
        library_views.review_send_back,
        name="backoffice-review-send-back",
    ),
    path(
        "koordination/beratungen/",
        consultation_views.consultation_list,
        name="backoffice-consultations",
    ),
    path(
        "koordination/beratungen.csv",
        consultation_views.consultation_csv,
        name="backoffice-consultations-csv",
    ),
    path(
        "koordination/beratungen/anfragen/<int:pk>/",
        consultation_views.consultation_request,
        name="backoffice-consultation",
    ),
    path(
        "koordination/beratungen/anfragen/<int:pk>/neu-zuordnen/",
        consultation_views.consultation_reassign,
        name="backoffice-consultation-reassign",
    ),
    path("koordination/berichte/", report_views.reports, name="backoffice-reports"),
    path(
        "koordination/berichte/<slug:slug>.csv",
        report_views.report_csv,
        name="backoffice-report-csv",
    ),
    path(
        "koordination/bibliothek/<int:resource_id>/veroeffentlichen-entwurf/",
        library_views.resource_publish,
        name="backoffice-resource-publish",
    ),
    # Members: the landing page, organisations, people, the expert pool.
    path("koordination/netzwerk/", member_views.landing, name="backoffice-members"),
    path(
        "koordination/organisationen/",
        member_views.organisation_list,
        name="backoffice-organisations",
    ),
    path(
        "koordination/organisationen/<int:organisation_id>/",
        member_views.organisation_page,
        name="backoffice-organisation",
    ),
    path("koordination/personen/", member_views.people, name="backoffice-people"),
    path(
        "koordination/personen/<int:user_id>/<slug:action>/",
        member_views.person_activity,
        name="backoffice-person-activity",
    ),
    path("koordination/expertinnen/", expert_views.pool, name="expert-pool"),
    path("koordination/expertinnen/einladen/", expert_views.invite, name="expert-invite"),
    path(
        "koordination/expertinnen/bewerbungen/<int:pk>/<slug:decision>/",
        expert_views.decide,
        name="expert-application-decide",
    ),
    path(
        "koordination/expertinnen/<int:pk>/<slug:action>/",
        expert_views.set_activity,
        name="expert-activity",
    ),
]
