"""Secret addresses of the private calendar feeds: an expert or a municipality gets a new one and
the old URL stops working (the feeds themselves: `bookings/feeds.py`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from consult.models import Municipality, new_token
from core.errors import Invalid, NotFound
from core.roles import is_coordinator, municipality_id_of
from experts.models import ExpertProfile


@transaction.atomic
def rotate_feed_token(
    *, actor: Any, expert_id: int | None = None, municipality_id: int | None = None
) -> str:
    """Give an expert's or a municipality's feed a new secret; the old URL stops working."""
    if (expert_id is None) == (municipality_id is None):
        raise Invalid(_("Genau eine Expert*in oder eine Kommune angeben."))
    token = new_token()
    if expert_id is not None:
        qs = ExpertProfile.objects.filter(pk=expert_id)
        if not is_coordinator(actor):
            qs = qs.filter(user_id=actor.pk)
    else:
        allowed = is_coordinator(actor) or municipality_id_of(actor) == municipality_id
        qs = Municipality.objects.filter(pk=municipality_id if allowed else None)
    if not qs.update(feed_token=token):
        raise NotFound(_("Nicht gefunden."))
    return token
