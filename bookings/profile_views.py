"""The expert's public profile page, /expertinnen/<id>/: what a municipality reads before it
books. Served from bookings because the feedback and the next free slots come from the bookings
(experts never looks bookings up); the profile itself is experts'."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from bookings.profiles import public_profile
from consult.choices import LANGUAGE_CHOICES, FederalState, ProcedureType, SizeClass, labels
from core.pages import in_viewer_zone
from core.roles import is_coordinator
from experts.forms import FORMAT_CHOICES, LEVEL_CHOICES
from experts.models import ExpertProfile


def _bio(expert: ExpertProfile) -> tuple[str, str]:
    """The bio in the page's language and that language's code: German where no English one
    was written (the page marks it, so that a screen reader speaks it as German)."""
    if translation.get_language() == "en" and expert.bio_en:
        return expert.bio_en, "en"
    return expert.bio_de, "de"


def _facts(expert: ExpertProfile) -> dict[str, Any]:
    levels = dict(LEVEL_CHOICES)
    return {
        "topics": [
            {"name": tl.topic.name, "level": tl.level, "label": levels.get(str(tl.level), "")}
            for tl in expert.topic_levels.all()
        ],
        "procedure_types": labels(expert.procedure_types, ProcedureType.choices),
        "size_classes": labels(expert.size_classes, SizeClass.choices),
        "states": labels(expert.states, FederalState.choices),
        "languages": labels(expert.languages, LANGUAGE_CHOICES),
        "formats": labels(expert.formats, FORMAT_CHOICES),
    }


@in_viewer_zone
def expert_public_profile(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone may read an active expert's profile; an inactive one only its owner and the
    coordinators (404 for everyone else)."""
    profile = public_profile(request.user, pk, now=timezone.now())
    if profile is None:
        raise Http404
    expert = profile.expert
    bio, bio_language = _bio(expert)
    return render(
        request,
        "bookings/expert_profile.html",
        {
            "profile": profile,
            "expert": expert,
            "bio": bio,
            "bio_language": bio_language,
            "own": expert.user_id == request.user.pk,
            "coordinator": is_coordinator(request.user),
            **_facts(expert),
        },
    )
