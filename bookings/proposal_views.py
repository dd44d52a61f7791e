"""The forms of the expert's counter-proposal on the booking's page: the expert proposes other
times (``/termine/<id>/vorschlagen/``), the municipality accepts one
(``/termine/<id>/vorschlag-annehmen/``). Thin: bookings/proposals.py decides."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings import proposals
from bookings.forms import AcceptProposalForm, ProposeForm
from bookings.views import _detail_page, _visible_booking
from consult.forms import add_domain_error
from core.errors import DomainError, Invalid, NotFound
from core.pages import in_viewer_zone


def _section(pk: int) -> str:
    return reverse("booking-detail", args=[pk]) + "#proposal"


@login_required
@require_POST
@in_viewer_zone
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Wrong input comes back on the form with the reason next to it; a refusal of the state
    (the booking was cancelled meanwhile) is a message on the page."""
    booking = _visible_booking(request, pk)
    form = ProposeForm(request.POST, prefix="propose")
    if form.is_valid():
        try:
            proposals.propose(
                actor=request.user,
                booking_id=pk,
                starts=form.cleaned_data["starts"],
                note=form.cleaned_data["note"],
            )
        except NotFound as error:
            raise Http404 from error
        except Invalid as error:
            add_domain_error(form, error)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(_section(pk))
        else:
            messages.success(
                request, _("Ihr Vorschlag ist an die Kommune gesendet; die Termine bleiben frei.")
            )
            return redirect(_section(pk))
    return _detail_page(request, booking, bound={"propose_form": form}, status=400)


@login_required
@require_POST
@in_viewer_zone
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """One button per proposed time; whatever went wrong is a message on the page."""
    _visible_booking(request, pk)
    form = AcceptProposalForm(request.POST, prefix="accept")
    if not form.is_valid():
        messages.error(request, _("Bitte einen der vorgeschlagenen Termine wählen."))
        return redirect(_section(pk))
    try:
        proposals.accept_proposal(
            actor=request.user, booking_id=pk, start=form.cleaned_data["start"]
        )
    except NotFound as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_section(pk))
    messages.success(
        request, _("Der neue Termin ist bestätigt; beide Seiten erhalten die Einladung.")
    )
    return redirect(reverse("booking-detail", args=[pk]))
