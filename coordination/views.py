"""The coordinators' pages under /koordination/: what needs their eye, the batch assignment."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings import selectors
from bookings.matches import expert_matrix
from bookings.models import ConsultationBooking
from consult import selectors as consult_selectors
from consult.models import ConsultationRequest
from core.errors import DomainError, NotFound
from core.pages import coordinator_required, in_viewer_zone
from events import selectors as event_selectors
from events.models import Event
from experts import services as expert_services
from experts.models import AssignmentProposal
from notifications import services as notification_services
from notifications.models import Notification

Status = ConsultationBooking.Status
# A person picks from a list, not a calendar dump: the first free slots are enough.
MAX_SLOTS_SHOWN = 40


@coordinator_required
@in_viewer_zone
def coordination(request: HttpRequest) -> HttpResponse:
    """What needs a coordinator's eye: open requests, unconfirmed bookings, events, failures,
    and the batch assignment of open requests to experts."""
    now = timezone.now()
    events = [
        e
        for e in event_selectors.events_for(request.user).filter(status=Event.Status.PUBLISHED)
        if e.first_start is None or e.first_start >= now
    ]
    for event in events:
        event.seats_left = event_selectors.seats_left(event)
        event.fill_percent = round(100 * min(event.seats_taken, event.capacity) / event.capacity)
    proposal = (
        AssignmentProposal.objects.filter(status=AssignmentProposal.Status.PROPOSED)
        .prefetch_related("items__request__plan__municipality", "items__expert")
        .order_by("-created_at", "-id")
        .first()
    )
    return render(
        request,
        "coordination/coordination.html",
        {
            "open_requests": consult_selectors.requests_for(request.user).filter(
                status__in=[ConsultationRequest.Status.OPEN, ConsultationRequest.Status.MATCHED]
            )[:50],
            "pending": selectors.bookings_for(request.user).filter(
                status=Status.REQUESTED, start__gt=now
            )[:50],
            "events": events,
            # The outbox is the notifications app's; failed rows are what a person must see.
            "failed": Notification.objects.filter(status=Notification.Status.FAILED)[:50],
            "proposal": proposal,
        },
    )


@coordinator_required
@require_POST
def coordination_propose(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    proposal = expert_services.propose_assignment(
        actor=request.user, now=now, matrix=expert_matrix(now=now)
    )
    if proposal.preview_items:
        messages.success(
            request, _("Ein Zuordnungsvorschlag liegt vor. Bitte prüfen und annehmen.")
        )
    else:
        messages.info(request, _("Für die offenen Anfragen gibt es gerade keinen Vorschlag."))
    return redirect("coordination")


@coordinator_required
@require_POST
def coordination_accept(request: HttpRequest, proposal_id: int) -> HttpResponse:
    try:
        expert_services.accept_assignment(
            actor=request.user, proposal_id=proposal_id, matrix=expert_matrix(now=timezone.now())
        )
    except NotFound as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Der Vorschlag ist angenommen; die Kommunen werden informiert.")
        )
    return redirect("coordination")


@coordinator_required
@require_POST
def coordination_resend(request: HttpRequest, notification_id: int) -> HttpResponse:
    if notification_services.resend(notification_id):
        messages.success(request, _("Die Nachricht wird erneut gesendet."))
    else:
        messages.info(request, _("Diese Nachricht ist nicht (mehr) fehlgeschlagen."))
    return redirect("coordination")
