"""The form of a consultation's message thread on its page (``/termine/<id>/nachricht/``): a
message sent goes back to the thread, a refused one comes back on the form with the reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings import messages as booking_messages
from bookings.forms import MessageForm
from bookings.views import _detail_page, _visible_booking
from consult.forms import add_domain_error
from core.errors import Conflict, Invalid, NotFound, RateLimited
from core.pages import in_viewer_zone


@login_required
@require_POST
@in_viewer_zone
def post_message(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _visible_booking(request, pk)
    form = MessageForm(request.POST, prefix="message")
    thread_url = reverse("booking-detail", args=[pk]) + "#messages"
    status, retry_after = 400, None
    if form.is_valid():
        try:
            booking_messages.post_message(
                actor=request.user, booking_id=pk, body=form.cleaned_data["body"]
            )
        except NotFound as error:
            raise Http404 from error
        except RateLimited as error:
            add_domain_error(form, error)
            status, retry_after = 429, error.retry_after
        except Invalid as error:
            add_domain_error(form, error)
        except Conflict as error:
            messages.error(request, error.message)
            return redirect(thread_url)
        else:
            messages.success(request, _("Ihre Nachricht ist gesendet."))
            return redirect(thread_url)
    response = _detail_page(request, booking, bound={"message_form": form}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
