"""URL wiring: the API under /api/v1/, its schema and docs, pages, probes, feeds."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import errors, health

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("consult.api_urls")),
    path("", include("experts.api_urls")),
    path("", include("bookings.api_urls")),
    path("", include("events.api_urls")),
    path("", include("library.api_urls")),
    path("", include("exchange.api_urls")),
    path("", include("notifications.api_urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("bookings.feed_urls")),
    path("", include("consult.urls")),
    path("", include("experts.urls")),
    path("", include("bookings.urls")),
    path("", include("events.urls")),
    path("", include("coordination.urls")),
    path("", include("library.urls")),
    path("", include("exchange.urls")),
]
urlpatterns += (
    static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT) if settings.DEBUG else []
)

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
