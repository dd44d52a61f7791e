"""Pages of joining (apply, confirm the address), of the coordinators' decision, of the first
password and of an organisation's people. Thin: a form, one service call, a redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consult import joining, membership, people
from consult import membership_decisions as deciding
from consult.cities import suggest_cities
from consult.forms import add_domain_error
from consult.joining_pages import apply_page, confirm_page, link_error, page_language
from consult.membership_forms import (
    ApplicationForm,
    DeclineForm,
    FirstPasswordForm,
    InvitationAcceptForm,
    InviteForm,
    RequestInfoForm,
)
from consult.models import MembershipApplication
from core.api_fields import MAX_ID
from core.errors import DomainError
from core.pages import coordinator_required, in_viewer_zone
from core.rate_limits import RateLimit

# Applications from one client address per hour on the page (the API has its own throttle).
APPLICATIONS_PER_CLIENT = RateLimit("membership-applications", limit=10, window=3600)


# --- joining ----------------------------------------------------------------------------------


def join(request: HttpRequest) -> HttpResponse:
    initial = {"language": page_language(), "country": "DE"}
    return apply_page(
        request,
        ApplicationForm(request.POST or None, initial=initial),
        limit=APPLICATIONS_PER_CLIENT,
        apply=lambda form: membership.apply(applicant=form.applicant()),
        applied="membership-applied",
        template="consult/membership/join.html",
    )


def applied(request: HttpRequest) -> HttpResponse:
    return render(request, "consult/membership/applied.html")


def city_suggestions(request: HttpRequest) -> HttpResponse:
    """`<option>`s for the AGS field's datalist while the name is typed (htmx)."""
    text = str(request.GET.get("organisation_name") or request.GET.get("q") or "")[:100]
    return render(request, "consult/membership/city_options.html", {"cities": suggest_cities(text)})


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    return confirm_page(request, token, kind=membership.KIND, templates="consult/membership")


# --- deciding ---------------------------------------------------------------------------------

DECISIONS = {"approve", "decline", "request-info"}


@coordinator_required
@in_viewer_zone
def decisions(request: HttpRequest) -> HttpResponse:
    wanted = request.GET.get("status") or "open"
    qs = deciding.applications_for(request.user).order_by("-created_at", "-id")
    if wanted == "open":
        qs = qs.filter(status__in=membership.OPEN_STATUSES)
    elif wanted in MembershipApplication.Status.values:
        qs = qs.filter(status=wanted)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "consult/membership/decisions.html",
        {
            "page": page,
            "wanted": wanted,
            "statuses": MembershipApplication.Status.choices,
            "decline_form": DeclineForm(),
            "info_form": RequestInfoForm(),
        },
    )


@coordinator_required
@require_POST
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in DECISIONS or pk > MAX_ID:
        raise Http404
    try:
        if decision == "approve":
            application = deciding.approve(actor=request.user, application_id=pk)
            messages.success(
                request,
                _("„%(name)s“ ist aufgenommen; die Einladung zum Passwort ist verschickt.")
                % {"name": application.organisation_name},
            )
        elif decision == "decline":
            application = deciding.decline(
                actor=request.user, application_id=pk, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Der Antrag ist abgelehnt; die E-Mail ist verschickt."))
        else:
            application = deciding.request_info(
                actor=request.user, application_id=pk, message=request.POST.get("message", "")
            )
            messages.success(request, _("Die Rückfrage ist verschickt."))
    except DomainError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.message)
    return redirect("membership-decisions")


# --- the first password, invitations ----------------------------------------------------------


def set_password(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = joining.user_for_password_token(token)
    except DomainError as error:
        return link_error(request, error)
    form = FirstPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, _("Ihr Passwort ist gespeichert. Bitte melden Sie sich jetzt an.")
        )
        return redirect("login")
    return render(
        request,
        "consult/membership/set_password.html",
        {"form": form, "account": user},
        status=400 if form.errors else 200,
    )


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = people.invitation_for_token(token)
    except DomainError as error:
        return link_error(request, error)
    User = get_user_model()
    form = InvitationAcceptForm(
        User(username=invitation.email, email=invitation.email), request.POST or None
    )
    if request.method == "POST" and form.is_valid():
        try:
            people.accept_invitation(
                token=token,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as error:
            if not error.fields:
                return link_error(request, error)
            add_domain_error(form, error)
        else:
            messages.success(request, _("Willkommen! Bitte melden Sie sich jetzt an."))
            return redirect("login")
    return render(
        request,
        "consult/membership/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )


# --- an organisation's people -----------------------------------------------------------------


def _own_membership(request: HttpRequest) -> Any:
    if not request.user.is_authenticated:
        return None
    return people.membership_of(request.user)


@in_viewer_zone
def organisation(request: HttpRequest) -> HttpResponse:
    own = _own_membership(request)
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if own is None:
        raise Http404
    form = InviteForm(initial={"language": page_language()})
    is_admin = own.role == people.Role.ADMIN
    return render(
        request,
        "consult/membership/organisation.html",
        {
            "organisation": own.municipality,
            "membership": own,
            "is_admin": is_admin,
            "people": people.people_of(actor=request.user, organisation_id=own.municipality_id),
            "invitations": people.invitations_for(request.user).filter(
                organisation_id=own.municipality_id
            )
            if is_admin
            else [],
            "form": form,
        },
    )


@require_POST
def organisation_action(request: HttpRequest, action: str, pk: int | None = None) -> HttpResponse:
    own = _own_membership(request)
    if own is None or (pk is not None and pk > MAX_ID):
        raise Http404
    organisation_id = own.municipality_id
    try:
        if action == "invite":
            form = InviteForm(request.POST)
            if not form.is_valid():
                for errors in form.errors.values():
                    for message in errors:
                        messages.error(request, message)
                return redirect("organisation")
            people.invite(actor=request.user, organisation_id=organisation_id, **form.cleaned_data)
            messages.success(request, _("Die Einladung ist verschickt."))
        elif action == "revoke" and pk is not None:
            people.revoke_invitation(actor=request.user, invitation_id=pk)
            messages.success(request, _("Die Einladung ist zurückgezogen."))
        elif action == "remove" and pk is not None:
            people.remove_person(actor=request.user, organisation_id=organisation_id, user_id=pk)
            messages.success(request, _("Die Person hat keinen Zugang mehr."))
        elif action == "make-admin" and pk is not None:
            people.hand_over_admin(actor=request.user, organisation_id=organisation_id, user_id=pk)
            messages.success(request, _("Die Administration ist übergeben."))
        else:
            raise Http404
    except DomainError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.message)
    return redirect("organisation")
