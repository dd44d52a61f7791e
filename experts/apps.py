from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    name = "experts"
    verbose_name = _("Expert*innen")

    def ready(self) -> None:
        # Connects the signals that mark the warm expert matrix stale (DESIGN.md 6).
        from experts import match_selectors  # noqa: F401
