"""Pages of every account (German paths); allauth's pages under /konto/ as well."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("konto/", views.account, name="account"),
    path("konto/sprache/", views.language, name="account-language"),
    path("konto/daten/", views.export, name="account-export"),
    path("konto/loeschen/", views.delete, name="account-delete"),
    # One login page: allauth's own (account_login) leads to ours, keeping ?next=.
    path("konto/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("konto/", include("allauth.urls")),
]
