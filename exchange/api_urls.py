"""API routes of the exchange: threads, posts, contact requests."""

from rest_framework.routers import SimpleRouter

from exchange import api, api_contacts

router = SimpleRouter()
router.register("threads", api.ThreadViewSet, basename="thread")
router.register("posts", api.PostViewSet, basename="post")
router.register("contact-requests", api_contacts.ContactRequestViewSet, basename="contact-request")

urlpatterns = router.urls
