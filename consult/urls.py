"""Pages of the municipal side (German paths)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from consult import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("vorhaben/", views.plan_list, name="plan-list"),
    path("vorhaben/neu/", views.plan_edit, name="plan-create"),
    path("vorhaben/<int:pk>/", views.plan_edit, name="plan-edit"),
    path("anfragen/", views.request_list, name="request-list"),
    path("anfragen/neu/", views.request_create, name="request-create"),
    path("anfragen/<int:pk>/", views.request_detail, name="request-detail"),
    path("austausch/", views.peers, name="peers"),
]
