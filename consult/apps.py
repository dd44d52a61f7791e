from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ConsultConfig(AppConfig):
    name = "consult"
    verbose_name = _("Kommunen und Anfragen")

    def ready(self) -> None:
        from core.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, dispatch_uid="consult.ensure_role_groups")
