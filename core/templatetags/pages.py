"""Template helpers of the pages: times with their zone named, the viewer's roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms, template
from django.utils import formats, timezone, translation
from django.utils.html import format_html

from core.pages import is_expert, is_municipal_staff, is_staff_member
from core.roles import is_coordinator

register = template.Library()
# What a German reader expects after a clock time (the footer names the zone in full).
_GERMAN_ZONE_NAMES = {"CET": "MEZ", "CEST": "MESZ", "UTC": "UTC"}


@register.filter
def when(value: datetime | None, style: str = "long") -> str:
    """A time in the viewer's zone with the zone named, inside <time datetime="…">.

    ``style`` "long" shows weekday and date; "time" only the clock time.
    """
    if not value:
        return ""
    local = timezone.localtime(value)
    zone = timezone.get_current_timezone_name()
    clock = formats.time_format(local, "H:i")
    day = formats.date_format(local, "D") + ", " + formats.date_format(local, "DATE_FORMAT")
    text = clock if style == "time" else f"{day}, {clock}"
    abbreviation = local.tzname() or zone
    if translation.get_language() == "de":
        abbreviation = _GERMAN_ZONE_NAMES.get(abbreviation, abbreviation)
    return format_html(
        '<time datetime="{}">{} <abbr class="zone" title="{}">{}</abbr></time>',
        local.isoformat(),
        text,
        zone,
        abbreviation,
    )


@register.simple_tag
def roles_of(user: Any) -> dict[str, bool]:
    return {
        "staff": is_staff_member(user),
        "municipal": is_municipal_staff(user),
        "expert": is_expert(user),
        "coordinator": is_coordinator(user),
    }


@register.filter
def control(field: Any) -> str:
    """The field's widget tied to its help text and errors (aria-describedby, aria-invalid)."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_errors")
    attrs: dict[str, str] = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def is_group(field: Any) -> bool:
    """Radio buttons and checkbox lists are a group: a fieldset with a legend, not a label."""
    return isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)
