from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Beratungstermine")

    def ready(self) -> None:
        # The experts app computes slots but may not import bookings (DESIGN.md 2): it asks
        # this source for the experts' busy intervals instead.
        from bookings.selectors import busy_intervals
        from experts.selectors import register_busy_source

        register_busy_source(busy_intervals)
