from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared kernel: domain errors, roles, rate limits, API fields, page helpers, locking."""

    name = "core"
    verbose_name = "Core"
