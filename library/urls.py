"""Pages of the practice library."""

from django.urls import path

from library import views

app_name = "library"

urlpatterns = [
    path("bibliothek/", views.resource_list, name="list"),
    path("bibliothek/einreichen/", views.submit, name="submit"),
    path("bibliothek/<int:resource_id>/", views.resource_detail, name="detail"),
    path("bibliothek/<int:resource_id>/datei/", views.resource_file, name="file"),
    path("bibliothek/vorhaben/<int:plan_id>/", views.for_plan, name="for-plan"),
]
