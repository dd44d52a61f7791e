from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _install_search(using: str = "default", **_kwargs: Any) -> None:
    from exchange import search

    search.install(connections[using])


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Austausch")

    def ready(self) -> None:
        # Repairs the full-text triggers after any migrate (SQLite table rebuilds drop them).
        post_migrate.connect(_install_search, sender=self, dispatch_uid="exchange_search")
