from django.urls import path
from rest_framework.routers import SimpleRouter

from experts import api, calendar_api

router = SimpleRouter()
router.register("experts", api.ExpertViewSet, basename="expert")
router.register("assignments", api.AssignmentProposalViewSet, basename="assignment")

urlpatterns = [
    path("requests/<int:pk>/matches/", api.RequestMatchesView.as_view(), name="request-matches"),
    path("assignments/proposal/", api.AssignmentProposalView.as_view(), name="assignment-proposal"),
    *router.urls,
    *calendar_api.urlpatterns,
]
