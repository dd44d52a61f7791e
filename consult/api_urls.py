from django.urls import path
from rest_framework.routers import SimpleRouter

from consult import api

router = SimpleRouter()
router.register("topics", api.TopicViewSet, basename="topic")
router.register("municipalities", api.MunicipalityViewSet, basename="municipality")
router.register("plans", api.PlanViewSet, basename="plan")
router.register("requests", api.RequestViewSet, basename="request")

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    *router.urls,
]
