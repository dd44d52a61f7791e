"""The coordinators' pages."""

from django.urls import path

from coordination import views

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
]
