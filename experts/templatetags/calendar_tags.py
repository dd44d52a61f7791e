"""The "Meine Kalender" section, for the availability page."""

from __future__ import annotations

from typing import Any

from django import template

from experts.calendar_fetch import MESSAGES
from experts.calendar_models import CalendarConnection
from experts.calendar_views import section_context

register = template.Library()


@register.inclusion_tag("experts/calendars_section.html", takes_context=True)
def calendar_section(context: template.Context, expert: Any) -> dict[str, Any]:
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        **section_context(expert),
    }


@register.filter
def calendar_error(connection: CalendarConnection) -> str:
    """The last error in plain words, in the reader's language."""
    return str(MESSAGES.get(connection.last_error_code, connection.last_error))
