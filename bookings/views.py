"""Pages of consultation bookings: the municipality's slots and bookings, the expert's requests,
online rooms.

Thin like the API: a form checks the shape, one service call does the work, a redirect shows
the result. Domain errors land on the form (``add_domain_error``); "not yours" is 404.
"""

from __future__ import annotations

import math

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bookings import feed_tokens, proposals, room_services, selectors, services
from bookings import matches as booking_matches
from bookings import messages as booking_messages
from bookings.actions import BY_NAME
from bookings.forms import (
    DeclineForm,
    FeedbackForm,
    MessageForm,
    ProposeForm,
    ReasonForm,
    RescheduleForm,
    RoomEntryForm,
    SlotForm,
)
from bookings.matches import matches_for
from bookings.models import ConsultationBooking
from bookings.request_summary import request_summary, with_request_details
from consult import selectors as consult_selectors
from consult.forms import add_domain_error
from consult.models import ConsultationRequest, Municipality
from core.errors import DomainError, NotFound
from core.pages import (
    expert_required,
    in_viewer_zone,
    is_staff_member,
    staff_required,
)
from core.rate_limits import RateLimit, client_address
from core.roles import is_coordinator, municipality_id_of
from experts import match_selectors
from experts import services as expert_services
from experts.match_selectors import request_window
from experts.models import ExpertProfile
from experts.selectors import experts_with_availability
from experts.slots import Slot

Status = ConsultationBooking.Status
# A person picks from a list, not a calendar dump: the first free slots are enough.
MAX_SLOTS_SHOWN = 40

# Readable names of the matcher's criteria (experts/matching.py CRITERIA).
CRITERIA_LABELS = {
    "topics": gettext_lazy("Themen"),
    "experience": gettext_lazy("Erfahrung mit Verfahren und Größe"),
    "language": gettext_lazy("Sprache"),
    "format": gettext_lazy("Format"),
    "region": gettext_lazy("Region"),
    "availability": gettext_lazy("Freie Termine"),
    "load": gettext_lazy("Auslastung"),
    "feedback": gettext_lazy("Bewertungen"),
    "distance": gettext_lazy("Entfernung"),
}


# --- ranked experts for a consultation request -------------------------------------------------


@login_required
@in_viewer_zone
def request_matches(request: HttpRequest, pk: int) -> HttpResponse:
    """The best experts for the user's request, each explained, with the earliest free slot;
    coordinators also read who was left out and why (they look, the municipality books)."""
    coordinator = is_coordinator(request.user)
    if not (coordinator or is_staff_member(request.user)):
        raise Http404
    target = _own_request(request, pk)
    weights = match_selectors.current_weights()
    now = timezone.now()
    matches = matches_for(target, now=now, weights=weights)
    expert_services.record_matches(
        actor=request.user,
        request=target,
        matches=matches,
        weights=weights,
        params={"format": target.format, "language": target.language},
    )
    english = translation.get_language() == "en"
    best = max((m.score for m in matches), default=0) or 1
    rows = [
        {
            "match": m,
            "rank": index,
            "explanation": m.explanation_en if english else m.explanation_de,
            "percent": round(100 * m.score / best),
            "criteria": [
                (CRITERIA_LABELS.get(name, name), round(value * 100))
                for name, value in sorted(m.criteria.items(), key=lambda kv: -kv[1])
                if value > 0
            ],
        }
        for index, m in enumerate(matches, 1)
    ]
    bookable = is_staff_member(request.user) and target.status in (
        ConsultationRequest.Status.OPEN,
        ConsultationRequest.Status.MATCHED,
    )
    left_out = None
    if coordinator:
        found = booking_matches.left_out(target, now=now)
        left_out = found.explanation_en if english else found.explanation_de
    return render(
        request,
        "bookings/matches.html",
        {"consultation": target, "rows": rows, "bookable": bookable, "left_out": left_out},
    )


# --- consultation bookings: pick a slot, see, cancel, reschedule, give feedback -----------------


def _own_request(request: HttpRequest, pk: int) -> ConsultationRequest:
    consultation = consult_selectors.requests_for(request.user).filter(pk=pk).first()
    if consultation is None:
        raise Http404
    return consultation


def _bookable_expert(expert_id: int) -> ExpertProfile:
    expert = experts_with_availability([expert_id]).filter(active=True).first()
    if expert is None:
        raise Http404
    return expert


def _duration_for(consultation: ConsultationRequest, expert: ExpertProfile) -> int:
    """The request's duration if the expert offers it, else the expert's nearest offer."""
    offered = sorted(int(d) for d in expert.durations or [60])
    wanted = consultation.duration_minutes
    return wanted if wanted in offered else min(offered, key=lambda d: (abs(d - wanted), d))


def _slots_by_day(slots: list[Slot]) -> list[tuple[object, list[Slot]]]:
    days: dict[object, list[Slot]] = {}
    for slot in slots:
        days.setdefault(timezone.localtime(slot.start).date(), []).append(slot)
    return list(days.items())


@staff_required
@in_viewer_zone
def booking_slots(request: HttpRequest, pk: int, expert_id: int) -> HttpResponse:
    """The expert's free slots in the request's window; picking one books it."""
    consultation = _own_request(request, pk)
    expert = _bookable_expert(expert_id)
    duration = _duration_for(consultation, expert)
    form = SlotForm(
        request.POST or None, durations=[duration], initial={"duration_minutes": duration}
    )
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.book(
                actor=request.user,
                request_id=consultation.pk,
                expert_id=expert.pk,
                start=form.cleaned_data["start"],
                duration_minutes=form.cleaned_data["duration_minutes"],
            )
        except NotFound as error:
            raise Http404 from error
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if booking.status == Status.CONFIRMED:  # the expert confirms bookings automatically
                messages.success(request, _("Ihr Termin ist gebucht und bestätigt."))
            else:
                messages.success(request, _("Ihr Terminwunsch ist bei der Expert*in angefragt."))
            return redirect("booking-detail", pk=booking.pk)
    start, end = request_window(consultation)
    slots = selectors.free_slots_for(
        expert, start=start, end=end, duration=duration, now=timezone.now()
    )[:MAX_SLOTS_SHOWN]
    return render(
        request,
        "bookings/slots.html",
        {
            "consultation": consultation,
            "expert": expert,
            "duration": duration,
            "days": _slots_by_day(slots),
            "form": form,
            "chosen": request.POST.get("start", ""),
        },
        status=400 if form.errors else 200,
    )


@staff_required
@in_viewer_zone
def booking_list(request: HttpRequest) -> HttpResponse:
    """The municipality's consultations, and its private calendar feed."""
    municipality = Municipality.objects.get(pk=municipality_id_of(request.user))
    bookings = selectors.bookings_for(request.user).exclude(status=Status.HELD)
    return render(
        request,
        "bookings/booking_list.html",
        {
            "upcoming": [b for b in bookings if b.end >= timezone.now()],
            "past": [b for b in bookings if b.end < timezone.now()],
            "feed_url": request.build_absolute_uri(
                reverse("calendar-feed", args=[municipality.feed_token])
            ),
        },
    )


def _visible_booking(request: HttpRequest, pk: int) -> ConsultationBooking:
    booking = selectors.bookings_for(request.user).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return booking


def _detail_page(
    request: HttpRequest,
    booking: ConsultationBooking,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The booking's page; ``bound`` puts a submitted form back with its errors and input."""
    now = timezone.now()
    expert_side = booking.expert.user_id == request.user.pk
    municipality_side = municipality_id_of(request.user) == booking.request.plan.municipality_id
    reschedule_days: list[tuple[object, list[Slot]]] = []
    if municipality_side and booking.status in (Status.REQUESTED, Status.CONFIRMED):
        start, end = request_window(booking.request)
        duration = int((booking.end - booking.start).total_seconds() // 60)
        slots = selectors.free_slots_for(
            booking.expert, start=max(start, now), end=end, duration=duration, now=now
        )[:MAX_SLOTS_SHOWN]
        reschedule_days = _slots_by_day(slots)
    return render(
        request,
        "bookings/booking_detail.html",
        {
            "booking": booking,
            "expert_side": expert_side,
            "municipality_side": municipality_side,
            "future": booking.start > now,
            # Either side may call a consultation off (issue 5); an open request the expert
            # answers with "decline" instead.
            "can_cancel": booking.start > now
            and (
                (
                    municipality_side
                    and booking.status in (Status.HELD, Status.REQUESTED, Status.CONFIRMED)
                )
                or (expert_side and booking.status == Status.CONFIRMED)
            ),
            "cancel_form": ReasonForm(prefix="cancel"),
            "decline_form": DeclineForm(prefix="decline"),
            "reschedule_form": RescheduleForm(prefix="reschedule"),
            "feedback_form": FeedbackForm(prefix="feedback"),
            "request_summary": request_summary(booking),
            "thread": booking_messages.page_thread(viewer=request.user, booking=booking),
            "message_form": MessageForm(prefix="message"),
            "proposal_panel": proposals.panel(viewer=request.user, booking=booking, now=now),
            "propose_form": ProposeForm(prefix="propose"),
            "reschedule_days": reschedule_days,
            "chosen": request.POST.get("reschedule-start", ""),
            **(bound or {}),
        },
        status=status,
    )


@login_required
@in_viewer_zone
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _visible_booking(request, pk))


def _next(request: HttpRequest) -> str | None:
    target = request.POST.get("next", "")
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts=None) else None


@login_required
@require_POST
@in_viewer_zone
def booking_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one lifecycle step of bookings/actions.py on a valid form. A form with wrong input
    comes back on the booking's page with the error next to its field and the input kept; a
    refusal of the service is shown as a message."""
    step = BY_NAME[action]
    booking = _visible_booking(request, pk)
    form = step.form(request.POST, prefix=step.name)
    if not form.is_valid():
        return _detail_page(request, booking, bound={f"{step.name}_form": form}, status=400)
    try:
        step.service(actor=request.user, booking_id=pk, **form.cleaned_data)
    except NotFound as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(step.done))
    next_url = _next(request) if step.back_to_next else None
    return redirect(next_url or reverse("booking-detail", args=[pk]))


# --- a consultation's own online room (MEETING_PROVIDER=bbb) ------------------------------------


# The room link is the only key to a room. Per client address: looking rooms up at all (so
# guessing links is slow) and entering them; per room: entering (each entry is a call to the
# video server). An unknown room counts like a real one, before it is looked up.
ROOM_LOOKUPS_PER_CLIENT = RateLimit("room-lookups", limit=60, window=600)
ROOM_ENTRIES_PER_CLIENT = RateLimit("room-entries", limit=20, window=600)
ROOM_ENTRIES_PER_ROOM = RateLimit("room-entries-room", limit=60, window=600)


def _room_rate_limited(request: HttpRequest, room: str) -> int | None:
    """Count this request against the room limits: None within them, else the seconds to wait.
    A client over its own limit does not use up the room's."""
    client = client_address(request)
    limits = [(ROOM_LOOKUPS_PER_CLIENT, client)]
    if request.method == "POST":
        limits += [(ROOM_ENTRIES_PER_CLIENT, client), (ROOM_ENTRIES_PER_ROOM, room)]
    for limit, key in limits:
        if (wait := limit.hit(key)) is not None:
            return wait
    return None


@in_viewer_zone
def meeting_room(request: HttpRequest, room: str) -> HttpResponse:
    """The e-mailed room link: who and when, and, while the room is open, a name to enter with.
    Entering creates the meeting on the BigBlueButton server and goes on to its join link."""
    if (wait := _room_rate_limited(request, room)) is not None:
        response = render(
            request,
            "bookings/meeting_room_throttled.html",
            {"minutes": math.ceil(wait / 60)},
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    now = timezone.now()
    place = selectors.meeting_room(room=room, viewer=request.user, now=now)
    if place is None:
        raise Http404
    form = RoomEntryForm(request.POST or None, initial={"name": place.display_name})
    status, retry_after = (400 if request.method == "POST" else 200), None
    if request.method == "POST" and form.is_valid():
        try:
            join = room_services.join_room(
                room=room, actor=request.user, display_name=form.cleaned_data["name"], now=now
            )
        except NotFound as error:
            raise Http404 from error
        except DomainError as error:  # closed (409) or the server unreachable (503)
            add_domain_error(form, error)
            status, retry_after = error.status, getattr(error, "retry_after", None)
        else:
            return redirect(join)
    response = render(
        request,
        "bookings/meeting_room.html",
        {"place": place, "booking": place.booking, "form": form, "unavailable": status == 503},
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# --- the expert's consultations -----------------------------------------------------------------


@expert_required
@in_viewer_zone
def expert_requests(request: HttpRequest) -> HttpResponse:
    """Incoming requests to confirm or decline, upcoming and past consultations, the feed."""
    expert = request.user.expert_profile  # type: ignore[union-attr]
    now = timezone.now()
    bookings = list(
        with_request_details(
            selectors.bookings_for(request.user).filter(expert=expert).exclude(status=Status.HELD)
        )
    )
    return render(
        request,
        "bookings/expert_requests.html",
        {
            "incoming": [b for b in bookings if b.status == Status.REQUESTED and b.start > now],
            "upcoming": [b for b in bookings if b.status == Status.CONFIRMED and b.start > now],
            "to_close": [b for b in bookings if b.status == Status.CONFIRMED and b.start <= now],
            "decline_form": DeclineForm(prefix="decline"),
            "feed_url": request.build_absolute_uri(
                reverse("calendar-feed", args=[expert.feed_token])
            ),
        },
    )


@login_required
@require_POST
def feed_rotate(request: HttpRequest) -> HttpResponse:
    """A new secret feed address (the old one stops working), for an expert or a municipality."""
    try:
        expert = request.user.expert_profile  # type: ignore[union-attr]
    except ExpertProfile.DoesNotExist:
        expert = None
    municipality_id = municipality_id_of(request.user)
    if expert is None and municipality_id is None:
        raise Http404
    feed_tokens.rotate_feed_token(
        actor=request.user,
        expert_id=expert.pk if expert else None,
        municipality_id=None if expert else municipality_id,
    )
    messages.success(request, _("Die Kalender-Adresse ist erneuert; die alte gilt nicht mehr."))
    return redirect("expert-requests" if expert else "booking-list")
