"""URLconf of the API load benchmark: the whole service plus the bare reference views.

Selected with ROOT_URLCONF=bench._reference_urls by bench/api_load.py only.
"""

from django.urls import path

from bench import _reference_views as reference
from config.urls import handler400, handler403, handler404, handler500, urlpatterns

urlpatterns = [
    path("bench/ref/events/", reference.events),
    path("bench/ref/experts/", reference.experts),
    path("bench/ref/bookings/", reference.bookings),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
