"""API routes of the library; the plans API is consult's, only `recommendations/` is ours."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from library import api

router = SimpleRouter()
router.register("resources", api.ResourceViewSet, basename="resource")

urlpatterns = [
    *router.urls,
    path(
        "plans/<int:plan_id>/recommendations/",
        api.PlanRecommendationsView.as_view(),
        name="plan-recommendations",
    ),
]
