"""The coordinators' back office; it also names what the audit trail records."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Koordination")

    def ready(self) -> None:
        from coordination import audit

        audit.register_models()
