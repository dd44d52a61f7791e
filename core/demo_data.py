"""Read an app's demo data file, `<app>/demo_data/<name>.yaml`, for its `demo.py` loader."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

import yaml

try:  # libyaml's parser when PyYAML was built with it; the same safe subset either way
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]


def load(package: str, name: str) -> Any:
    """The parsed YAML of `<package>/demo_data/<name>.yaml` (safe subset: no Python objects)."""
    path = resources.files(package).joinpath("demo_data", f"{name}.yaml")
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)


def application(model: Any, entry: dict[str, Any], *, now: datetime) -> None:
    """An application (membership or expert pool) from a demo entry, once per address: its
    address confirmed unless it still waits for that."""
    spec = dict(entry)
    status = spec.pop("status")
    model.objects.get_or_create(
        email=spec["email"],
        defaults={
            **spec,
            "status": status,
            "consent_at": now,
            "confirmed_at": None if status == "email_unverified" else now,
            "created_at": now,
        },
    )
