"""What a consultation's expert reads about the request before confirming: the needed topics,
the notes, the plan, the municipality, and why the matcher suggested them.

One reading for the booking's API detail, its page and the "new request" e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from bookings.models import ConsultationBooking
from consult.choices import Channel, Phase, SizeClass, TargetGroup, labels
from consult.models import ConsultationRequest, RequestTopic
from experts import match_selectors
from experts.matching import ExpertMatrix, rank_experts
from experts.models import MatchRecord

# The records of a request kept for "why" are read newest first, this many at most: a request
# is looked at a few times, and an expert who was in none of the last ones is explained anew.
RECORDS_READ = 20
# The words of the request form (consult/forms.py) for the weights.
WEIGHTS = {1: _("etwas wichtig"), 2: _("wichtig"), 3: _("sehr wichtig")}


@dataclass(frozen=True, slots=True)
class TopicNeed:
    slug: str
    name_de: str
    name_en: str
    weight: int  # 1 nice to have .. 3 essential

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_de

    @property
    def weight_label(self) -> str:
        return str(WEIGHTS.get(self.weight, self.weight))


@dataclass(frozen=True, slots=True)
class PlanPhase:
    phase: str
    start: date | None
    end: date | None

    @property
    def label(self) -> str:
        return labels([self.phase], Phase.choices)[0]


@dataclass(frozen=True, slots=True)
class Why:
    """The matcher's explanation of this expert for this request."""

    explanation_de: str
    explanation_en: str
    # "matches" (the ranking the municipality was shown), "assignment" (a coordinator's
    # choice) or "computed" (nobody was shown one: explained now by the same matcher).
    source: str
    rank: int | None
    shown_at: datetime | None

    @property
    def explanation(self) -> str:
        return self.explanation_en if translation.get_language() == "en" else self.explanation_de


@dataclass(frozen=True, slots=True)
class RequestSummary:
    request: ConsultationRequest
    topics: list[TopicNeed]
    phases: list[PlanPhase]
    why: Why | None

    @property
    def target_groups(self) -> list[str]:
        return labels(self.request.plan.target_groups, TargetGroup.choices)

    @property
    def channels(self) -> list[str]:
        return labels(self.request.plan.channels, Channel.choices)

    @property
    def size_class(self) -> str:
        """The municipality's size class in words; blank when its population is unknown."""
        municipality = self.request.plan.municipality
        if not municipality.population:
            return ""
        return labels([municipality.size_class], SizeClass.choices)[0]


def _topic_weights(prefix: str = "") -> Prefetch:
    """The request's topics with their names, the weightiest first."""
    return Prefetch(
        f"{prefix}topic_weights",
        queryset=RequestTopic.objects.select_related("topic").order_by(
            "-weight", "topic__position", "topic__slug"
        ),
    )


def with_request_details(qs: QuerySet[ConsultationBooking]) -> QuerySet[ConsultationBooking]:
    """Bookings with what the summary reads: the plan and municipality joined, the topics in
    one more query."""
    return qs.select_related("request__plan__municipality").prefetch_related(
        _topic_weights("request__")
    )


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None  # a hand-edited row: shown without the date rather than failing


def _recorded_why(booking: ConsultationBooking) -> Why | None:
    """The explanation kept from the last ranking that listed the expert, preferring one shown
    before the booking was made: one query."""
    records = list(
        MatchRecord.objects.filter(request_id=booking.request_id)
        .order_by("-created_at", "-id")
        .values_list("source", "results", "created_at")[:RECORDS_READ]
    )
    records.sort(key=lambda r: booking.created_at is not None and r[2] > booking.created_at)
    for source, results, created_at in records:
        for rank, result in enumerate(results or [], 1):
            if (result.get("expert") or {}).get("id") == booking.expert_id:
                return Why(
                    result.get("explanation_de", ""),
                    result.get("explanation_en", ""),
                    source,
                    rank if source == MatchRecord.Source.MATCHES else None,
                    created_at,
                )
    return None


def _computed_why(booking: ConsultationBooking) -> Why | None:
    """The matcher's explanation of the booking's expert for its request, on a matrix of that
    one expert (three queries); None when the matcher leaves the expert out (inactive, a
    conflict of interest, no common language or format, none of the topics).

    The explanation reads topics, experience, region, distance and format only: load and
    feedback (the bookings' part of the score) and availability do not change its text."""
    features, _stamps = match_selectors.expert_features([booking.expert_id])
    if not features:
        return None
    request = match_selectors.request_features(booking.request)
    matrix = ExpertMatrix.build(features, tuple(request.topics))
    found = rank_experts(
        matrix, request, weights=match_selectors.current_weights(), top_k=1, top_n=1
    )
    if not found:
        return None
    return Why(found[0].explanation_de, found[0].explanation_en, "computed", None, None)


def request_summary(booking: ConsultationBooking) -> RequestSummary:
    """The summary of ``booking``'s request: one query for the kept rankings, three more when
    none of them listed the expert, and one for the topics unless ``with_request_details``
    read them."""
    request = booking.request
    if "topic_weights" not in getattr(request, "_prefetched_objects_cache", {}):
        prefetch_related_objects([request], _topic_weights())
    topics = [
        TopicNeed(tw.topic.slug, tw.topic.name_de, tw.topic.name_en, tw.weight)
        for tw in request.topic_weights.all()
    ]
    phases = [
        PlanPhase(str(p.get("phase", "")), _day(p.get("start")), _day(p.get("end")))
        for p in request.plan.phases or []
        if isinstance(p, dict)
    ]
    why = _recorded_why(booking) or _computed_why(booking)
    return RequestSummary(request, topics, phases, why)
