from django.urls import path
from rest_framework.routers import SimpleRouter

from consult import api, directory_api, membership_api

router = SimpleRouter()
router.register("topics", api.TopicViewSet, basename="topic")
router.register("municipalities", api.MunicipalityViewSet, basename="municipality")
router.register("plans", api.PlanViewSet, basename="plan")
router.register("requests", api.RequestViewSet, basename="request")
router.register(
    "membership-applications",
    membership_api.MembershipApplicationViewSet,
    basename="membership-application",
)
router.register("invitations", membership_api.InvitationViewSet, basename="invitation")

people = membership_api.PeopleViewSet

urlpatterns = [
    path("directory/", directory_api.DirectoryView.as_view(), name="directory-api"),
    path("cities/", membership_api.CitySuggestionView.as_view(), name="city-suggestions"),
    path(
        "organisations/<int:organisation_id>/people/",
        people.as_view({"get": "list"}),
        name="organisation-people",
    ),
    path(
        "organisations/<int:organisation_id>/people/<int:user_id>/",
        people.as_view({"delete": "destroy"}),
        name="organisation-person",
    ),
    path(
        "organisations/<int:organisation_id>/people/<int:user_id>/make-admin/",
        people.as_view({"post": "make_admin"}),
        name="organisation-person-make-admin",
    ),
    *router.urls,
]
