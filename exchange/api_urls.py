"""API routes of the exchange: threads, posts, contact requests, debates, news."""

from rest_framework.routers import SimpleRouter

from exchange import api, api_contacts, api_debates

router = SimpleRouter()
router.register("threads", api.ThreadViewSet, basename="thread")
router.register("posts", api.PostViewSet, basename="post")
router.register("contact-requests", api_contacts.ContactRequestViewSet, basename="contact-request")

router.register("debates", api_debates.DebateViewSet, basename="debate")
router.register("news", api_debates.NewsViewSet, basename="news")

urlpatterns = router.urls
