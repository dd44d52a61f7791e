"""Writes of the experts app: profiles, what staff were shown, batch assignments.

Who may: an expert edits their own profile, coordinators every profile; another user's profile
does not exist for the caller (404). Rules raise `core.errors.Invalid` with the fields named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consult import services as consult_services
from consult.choices import LANGUAGES, FederalState, ProcedureType, SizeClass
from consult.models import ConsultationRequest, Municipality, Topic
from core.errors import Conflict, FieldErrors, Invalid, NotFound
from core.roles import EXPERT, is_coordinator
from core.validators import check_text
from experts import match_selectors
from experts.joining_models import ExpertApplication
from experts.matching import ExpertMatrix, Match, Weights, assign_batch, score_requests
from experts.models import (
    PROFILE_FIELDS,
    AssignmentItem,
    AssignmentProposal,
    ExpertProfile,
    ExpertTopic,
    MatchRecord,
)
from notifications.services import queue_notification, render_message

EXPERT_FORMATS = ("online", "onsite")
# Upper bounds that keep a typo from becoming a profile nobody can match or book.
LIMITS = {
    "travel_radius_km": 2_000,
    "monthly_capacity": 100,
    "buffer_before_minutes": 240,
    "buffer_after_minutes": 240,
    "min_notice_hours": 24 * 60,
    "horizon_days": 730,
    "max_per_day": 24,
    "max_per_week": 100,
}


def can_edit_profile(user: Any, expert: ExpertProfile) -> bool:
    if is_coordinator(user):
        return True
    return bool(getattr(user, "is_authenticated", False)) and expert.user_id == user.pk


def _validate_profile(errors: FieldErrors, fields: dict[str, Any]) -> None:
    checks = {
        "procedure_types": ProcedureType.values,
        "size_classes": SizeClass.values,
        "states": FederalState.values,
        "languages": list(LANGUAGES),
        "formats": EXPERT_FORMATS,
    }
    for name, allowed in checks.items():
        if name in fields:
            consult_services.check_choices(errors, name, fields[name], allowed)
    for name, low, high in (("home_latitude", -90, 90), ("home_longitude", -180, 180)):
        value = fields.get(name)
        if value is not None and (not math.isfinite(value) or not low <= value <= high):
            errors.add(name, _("Zwischen %(low)d und %(high)d.") % {"low": low, "high": high})
    for name, high in LIMITS.items():
        value = fields.get(name)
        if value is not None and not 0 <= value <= high:
            errors.add(name, _("Zwischen 0 und %(high)d.") % {"high": high})
    if "durations" in fields:
        durations = fields["durations"]
        if (
            not isinstance(durations, list | tuple)
            or not durations
            or any(isinstance(d, bool) or not isinstance(d, int) for d in durations)
            or any(not 15 <= d <= 480 for d in durations)
        ):
            errors.add("durations", _("Eine Liste von Minuten zwischen 15 und 480."))
        else:
            fields["durations"] = sorted(set(durations))
    if "timezone" in fields and fields["timezone"] not in available_timezones():
        errors.add("timezone", _("Unbekannte Zeitzone."))
    if "display_name" in fields and not str(fields["display_name"]).strip():
        errors.add("display_name", _("Darf nicht leer sein."))
    check_text(
        errors,
        fields,
        single_line=("display_name", "organisation", "home_city"),
        multi_line=("bio_de", "bio_en"),
    )


def _conflicts(errors: FieldErrors, ids: Any) -> list[int]:
    if not isinstance(ids, list | tuple):
        errors.add("conflicts", _("Eine Liste erwartet."))
        return []
    ids = list(dict.fromkeys(ids))
    known = set(Municipality.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if unknown := [str(i) for i in ids if i not in known]:
        errors.add("conflicts", _("Unbekannte Kommunen: %(ids)s.") % {"ids": ", ".join(unknown)})
    return [i for i in ids if i in known]


def _save_relations(
    expert: ExpertProfile, levels: list[tuple[Topic, int]] | None, conflicts: list[int] | None
) -> None:
    if levels is not None:
        ExpertTopic.objects.filter(expert=expert).delete()
        ExpertTopic.objects.bulk_create(
            ExpertTopic(expert=expert, topic=topic, level=level) for topic, level in levels
        )
    if conflicts is not None:
        expert.conflicts.set(conflicts)
    # bulk_create and set() on a through table send no post_save: mark the matrix stale here.
    match_selectors.bump_matrix_version()


@transaction.atomic
def create_profile(
    *,
    actor: Any,
    username: str,
    display_name: str,
    topics: Sequence[Mapping[str, Any]] = (),
    conflicts: Sequence[int] | None = None,
    **fields: Any,
) -> ExpertProfile:
    """Coordinators add an adviser: a login (no usable password yet) and the profile."""
    if not is_coordinator(actor):
        raise NotFound(_("Nicht gefunden."))
    if unknown := set(fields) - set(PROFILE_FIELDS):
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    errors = FieldErrors()
    User = get_user_model()
    if not username or User.objects.filter(username=username).exists():
        errors.add("username", _("Der Benutzername ist schon vergeben oder leer."))
    fields["display_name"] = display_name
    _validate_profile(errors, fields)
    levels = consult_services.topic_values(errors, list(topics), key="level", label=_("Stufe"))
    conflict_ids = _conflicts(errors, list(conflicts)) if conflicts is not None else None
    errors.raise_if_any()
    user = User.objects.create_user(username=username, email=fields.get("email", ""))
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=EXPERT)[0])
    expert = ExpertProfile.objects.create(user=user, **fields)
    _save_relations(expert, levels, conflict_ids)
    return expert


@transaction.atomic
def update_profile(
    *,
    actor: Any,
    expert: ExpertProfile,
    topics: Sequence[Mapping[str, Any]] | None = None,
    conflicts: Sequence[int] | None = None,
    **fields: Any,
) -> ExpertProfile:
    """Change the given fields; `topics` and `conflicts`, when given, replace the old ones."""
    if not can_edit_profile(actor, expert):
        raise NotFound(_("Nicht gefunden."))
    if unknown := set(fields) - set(PROFILE_FIELDS):
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    errors = FieldErrors()
    _validate_profile(errors, fields)
    # A newly joined expert waits for the coordinators' first activation (issue 17).
    if (
        fields.get("active")
        and not expert.active
        and not is_coordinator(actor)
        and ExpertApplication.objects.filter(expert=expert, activated_at__isnull=True).exists()
    ):
        errors.add("active", _("Die Koordination schaltet Sie nach Prüfung des Profils frei."))
    levels = (
        consult_services.topic_values(errors, list(topics), key="level", label=_("Stufe"))
        if topics is not None
        else None
    )
    conflict_ids = _conflicts(errors, list(conflicts)) if conflicts is not None else None
    errors.raise_if_any()
    for name, value in fields.items():
        setattr(expert, name, value)
    # Saved even when only topics or conflicts changed: updated_at is part of the matrix version.
    expert.save()
    _save_relations(expert, levels, conflict_ids)
    return expert


# --- what staff were shown --------------------------------------------------------------------


@transaction.atomic
def record_matches(
    *,
    actor: Any,
    request: ConsultationRequest,
    matches: Sequence[Match],
    weights: Weights,
    params: Mapping[str, Any],
) -> MatchRecord:
    """Keep the ranking shown for `request` and mark it matched (if it was open).

    Showing the same ranking again (same weights, parameters and results) reuses the last
    record instead of piling up copies.
    """
    consult_services.check_request_access(actor, request)
    results = [match_selectors.match_result(m) for m in matches]
    weights_used = match_selectors.weights_dict(weights)
    last = (
        MatchRecord.objects.filter(request=request, source=MatchRecord.Source.MATCHES)
        .order_by("-created_at", "-id")
        .first()
    )
    if (
        last is not None
        and last.results == results
        and last.weights == weights_used
        and last.params == dict(params)
    ):
        record = last
    else:
        record = MatchRecord.objects.create(
            request=request,
            source=MatchRecord.Source.MATCHES,
            weights=weights_used,
            params=dict(params),
            results=results,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    if results and consult_services.mark_matched(request_id=request.pk):
        request.status = ConsultationRequest.Status.MATCHED
    return record


# --- batch assignment -------------------------------------------------------------------------


def _check_coordinator(actor: Any) -> None:
    if not is_coordinator(actor):
        raise NotFound(_("Nicht gefunden."))


@transaction.atomic
def propose_assignment(
    *,
    actor: Any,
    now: datetime,
    matrix: ExpertMatrix,
    request_ids: Sequence[int] | None = None,
    persist: bool = True,
) -> AssignmentProposal:
    """One expert per open request, respecting each expert's remaining monthly capacity.

    `matrix` carries the experts' load this month (bookings/matches.py `expert_matrix`).
    Maximises first how many requests get an expert, then the total score (assign_batch).
    With `persist=False` the proposal and its items are built but not saved (a preview).
    """
    _check_coordinator(actor)
    requests = match_selectors.open_requests(request_ids)
    if request_ids is not None:
        found = {r.pk for r in requests}
        if missing := [str(i) for i in request_ids if i not in found]:
            raise Invalid(
                _("Keine offenen Anfragen: %(ids)s.") % {"ids": ", ".join(missing)},
                fields={"requests": [_("Nur offene Anfragen.")]},
            )
    weights = match_selectors.current_weights()
    proposal = AssignmentProposal(
        weights=match_selectors.weights_dict(weights),
        created_by=actor,
        created_at=now,
    )
    items: list[AssignmentItem] = []
    if requests and len(matrix):
        features = [match_selectors.request_features(r) for r in requests]
        scores = score_requests(matrix, features, weights=weights)
        chosen = assign_batch(scores, matrix.ids, matrix.remaining_capacity)
        items = [
            AssignmentItem(
                request=requests[a.request_index],
                expert_id=a.expert_id,
                score=round(a.score, 6),
            )
            for a in chosen
        ]
    assigned = {item.request.pk for item in items}
    proposal.unassigned = [r.pk for r in requests if r.pk not in assigned]
    if persist:
        proposal.save()
        for item in items:
            item.proposal = proposal
        AssignmentItem.objects.bulk_create(items)
    proposal.preview_items = items  # type: ignore[attr-defined]
    return proposal


def _notification_language(request: ConsultationRequest) -> str:
    return "en" if request.language == "en" else "de"


@transaction.atomic(durable=True)
def accept_assignment(
    *,
    actor: Any,
    proposal_id: int,
    matrix: ExpertMatrix,
    changes: Sequence[Mapping[str, int]] = (),
    now: datetime | None = None,
) -> AssignmentProposal:
    """Accept a proposal (once), optionally with other experts for some of its requests
    (scored on `matrix`, as in `propose_assignment`).

    Records the choice on each request (a MatchRecord of source "assignment"), marks open
    requests matched and tells each municipality's contact whom the network proposes. The
    municipality books a slot itself.
    """
    _check_coordinator(actor)
    now = now or timezone.now()
    accepted = AssignmentProposal.objects.filter(
        pk=proposal_id, status=AssignmentProposal.Status.PROPOSED
    ).update(status=AssignmentProposal.Status.ACCEPTED, accepted_by=actor, accepted_at=now)
    if not accepted:
        if AssignmentProposal.objects.filter(pk=proposal_id).exists():
            raise Conflict(_("Der Vorschlag wurde schon angenommen."), code="already_accepted")
        raise NotFound(_("Nicht gefunden."))
    proposal = AssignmentProposal.objects.get(pk=proposal_id)
    items = {
        item.request_id: item
        for item in AssignmentItem.objects.filter(proposal=proposal).select_related(
            "request__plan__municipality", "expert"
        )
    }
    if changes:
        _apply_changes(proposal, items, changes, matrix=matrix)
    weights = proposal.weights
    for item in items.values():
        request = item.request
        result = {
            "expert": {"id": item.expert_id, "name": item.expert.display_name},
            "score": item.score,
            "criteria": {},
            "explanation_de": _("Von der Koordination zugeordnet."),
            "explanation_en": "Assigned by the network's coordination.",
            "earliest_slot": None,
        }
        MatchRecord.objects.create(
            request=request,
            source=MatchRecord.Source.ASSIGNMENT,
            weights=weights,
            params={"proposal": proposal.pk},
            results=[result],
            chosen_expert=item.expert,
            created_by=actor,
        )
        consult_services.mark_matched(request_id=request.pk)
        municipality = request.plan.municipality
        if municipality.contact_email:
            language = _notification_language(request)
            context = {
                "municipality": municipality.name,
                "plan": str(request.plan),
                "request_id": request.pk,
                "expert": item.expert.display_name,
                "organisation": item.expert.organisation,
                "earliest": request.earliest,
                "latest": request.latest,
            }
            queue_notification(
                recipient=municipality.contact_email,
                recipient_name=municipality.name,
                kind="expert_proposed",
                dedup_key=f"assignment:{proposal.pk}:request:{request.pk}",
                message=render_message("experts/email/expert_proposed", context, language=language),
                language=language,
            )
    return proposal


def _apply_changes(
    proposal: AssignmentProposal,
    items: dict[int, AssignmentItem],
    changes: Sequence[Mapping[str, int]],
    *,
    matrix: ExpertMatrix,
) -> None:
    """Swap experts on items; the new pair must be one the matcher allows (not excluded)."""
    by_request: dict[int, int] = {}
    for change in changes:
        request_id, expert_id = change.get("request"), change.get("expert")
        if request_id not in items and request_id not in proposal.unassigned:
            raise Invalid(
                _("Anfrage %(id)s gehört nicht zu diesem Vorschlag.") % {"id": request_id},
                fields={"items": [_("Unbekannte Anfrage.")]},
            )
        by_request[int(request_id)] = int(expert_id)  # type: ignore[arg-type]
    requests = {
        r.pk: r
        for r in ConsultationRequest.objects.filter(pk__in=list(by_request))
        .select_related("plan__municipality")
        .prefetch_related("topic_weights__topic")
    }
    weights = Weights.from_mapping(proposal.weights)
    ordered = list(by_request)
    scores = score_requests(
        matrix, [match_selectors.request_features(requests[i]) for i in ordered], weights=weights
    )
    experts = ExpertProfile.objects.in_bulk(list(by_request.values()))
    for index, request_id in enumerate(ordered):
        expert_id = by_request[request_id]
        row = matrix.row_of.get(expert_id)
        score = float(scores[index, row]) if row is not None else -np.inf
        if not np.isfinite(score) or expert_id not in experts:
            raise Invalid(
                _("Expert*in %(id)s kommt für Anfrage %(request)s nicht in Frage.")
                % {"id": expert_id, "request": request_id},
                fields={"items": [_("Nicht passende Expert*in.")]},
            )
        item = items.get(request_id)
        if item is None:
            item = AssignmentItem(proposal=proposal, request=requests[request_id])
        item.expert = experts[expert_id]
        item.score = round(score, 6)
        item.save()
        items[request_id] = item
    proposal.unassigned = [i for i in proposal.unassigned if i not in by_request]
    proposal.save(update_fields=["unassigned"])
