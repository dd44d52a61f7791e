"""Pages of the experts app (German paths)."""

from django.urls import path

from experts import calendar_views, joining_views, views

urlpatterns = [
    path("expertin/profil/", views.profile, name="expert-profile"),
    path("expertin/verfuegbarkeit/", views.availability_page, name="expert-availability"),
    path(
        "expertin/verfuegbarkeit/fenster/<int:rule_id>/entfernen/",
        views.rule_delete,
        name="expert-rule-delete",
    ),
    path(
        "expertin/verfuegbarkeit/ausnahmen/<int:exception_id>/entfernen/",
        views.exception_delete,
        name="expert-exception-delete",
    ),
    *calendar_views.urlpatterns,
    *joining_views.urlpatterns,
]
