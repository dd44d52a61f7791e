from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Buchungen und Veranstaltungen")

    def ready(self) -> None:
        # Celery autodiscovers only tasks.py; the events' sweeps live in their own module.
        import bookings.event_tasks  # noqa: F401
