"""Load the German demo data (idempotent): `manage.py seed_demo [--experts N]`.

Each app contributes its part through a module `<app>/demo.py` with a function
`seed(*, options, out)`, called in INSTALLED_APPS order, so that no app imports one above it.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Lädt Demodaten (idempotent) / loads demo data (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--experts",
            type=int,
            default=0,
            help="generate this many additional synthetic experts (benchmarks)",
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "seed_demo creates logins with the password 'demo'; set DEMO_DATA_ALLOWED=true "
                "only where that is safe (never in production)."
            )
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            module.seed(options=options, out=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demodaten bereit / demo data ready."))
