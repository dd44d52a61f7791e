"""Pages of the municipal side (German paths)."""

from django.urls import path

from consult import legal_views, public_views, views
from consult import membership_views as joining

urlpatterns = [
    path("", views.home, name="home"),
    path("mitglieder/", public_views.directory_page, name="member-directory"),
    path("vorhaben/", views.plan_list, name="plan-list"),
    path("vorhaben/neu/", views.plan_edit, name="plan-create"),
    path("vorhaben/<int:pk>/", views.plan_edit, name="plan-edit"),
    path("anfragen/", views.request_list, name="request-list"),
    path("anfragen/neu/", views.request_create, name="request-create"),
    path("anfragen/<int:pk>/", views.request_detail, name="request-detail"),
    path("austausch/", views.peers, name="peers"),
    # Joining, the coordinators' decision, the first password, an organisation's people.
    path("mitglied-werden/", joining.join, name="membership-join"),
    path("mitglied-werden/danke/", joining.applied, name="membership-applied"),
    path("mitglied-werden/orte/", joining.city_suggestions, name="membership-cities"),
    path("mitglied-werden/bestaetigen/<str:token>/", joining.confirm, name="membership-confirm"),
    path("koordination/mitglieder/", joining.decisions, name="membership-decisions"),
    path(
        "koordination/mitglieder/<int:pk>/<slug:decision>/",
        joining.decide,
        name="membership-decide",
    ),
    path("konto/passwort-setzen/<str:token>/", joining.set_password, name="set-password"),
    path("einladung/<str:token>/", joining.accept_invitation, name="invitation-accept"),
    path("organisation/", joining.organisation, name="organisation"),
    path(
        "organisation/<slug:action>/",
        joining.organisation_action,
        name="organisation-action",
    ),
    path(
        "organisation/<slug:action>/<int:pk>/",
        joining.organisation_action,
        name="organisation-action-on",
    ),
    *legal_views.urlpatterns,
]
