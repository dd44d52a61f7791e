"""Pages of the practice library (German first): list + search, detail, file, submission."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from consult.choices import FederalState, MunicipalityKind, ProcedureType
from core.errors import Invalid, NotFound
from core.roles import is_coordinator, municipality_id_of
from library import selectors, services
from library.forms import SearchForm, SubmissionForm, kinds_for
from library.models import Resource

PAGE_SIZE = 20


def resource_list(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    page = None
    headlines: dict[int, Any] = {}
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        params = selectors.SearchParams(
            q=data.get("q") or "",
            kind=data.get("kind") or "",
            topic=data.get("topic") or "",
            procedure_type=data.get("procedure_type") or "",
            state=data.get("state") or "",
            year=data.get("year"),
            country=data.get("country") or "",
        )
        queryset = selectors.search_resources(user=request.user, params=params)
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        if params.q:
            headlines = selectors.headlines_for(list(page.object_list), params.q)
    query = request.GET.copy()
    query.pop("page", None)
    entries = [(r, headlines.get(r.pk)) for r in page.object_list] if page else []
    return render(
        request,
        "library/list.html",
        {"form": form, "page": page, "entries": entries, "query": query.urlencode()},
        status=status,
    )


def _resource(request: HttpRequest, resource_id: int) -> Resource:
    try:
        return selectors.resource_for(user=request.user, resource_id=resource_id)
    except NotFound:
        raise Http404 from None


def _labels(values: list[str], choices: list[tuple[str, Any]]) -> str:
    """Stored choice values as the viewer reads them ("youth-budget" -> "Jugendbudget")."""
    names = dict(choices)
    return ", ".join(str(names.get(value, value)) for value in values)


def resource_detail(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = _resource(request, resource_id)
    return render(
        request,
        "library/detail.html",
        {
            "resource": resource,
            "reviewer": is_coordinator(request.user),
            "procedure_types": _labels(resource.procedure_types, ProcedureType.choices),
            "states": _labels(resource.states, FederalState.choices),
            "eligible_states": _labels(resource.eligible_states, FederalState.choices),
            "eligible_kinds": _labels(resource.eligible_kinds, MunicipalityKind.choices),
        },
    )


def resource_file(request: HttpRequest, resource_id: int) -> FileResponse:
    resource = _resource(request, resource_id)
    if not resource.file:
        raise Http404
    response = FileResponse(
        resource.file.open("rb"),
        content_type=resource.file_type,
        filename=resource.file_name,
        as_attachment=resource.file_type == "application/pdf",
    )
    # The bytes were checked on upload; the sandbox keeps any surprise in them inert.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def _submitter_kinds(user: Any) -> frozenset[str]:
    expert = services.expert_of(user)
    return kinds_for(
        coordinator=is_coordinator(user),
        staff=municipality_id_of(user) is not None,
        expert=expert is not None,
    )


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    kinds = _submitter_kinds(request.user)
    if not kinds:
        raise PermissionDenied
    form = SubmissionForm(request.POST or None, request.FILES or None, kinds=kinds)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            upload = data.pop("file", None) or None
            try:
                resource = services.submit_resource(
                    user=request.user,
                    draft=services.ResourceDraft.from_data(data),
                    upload=upload,
                )
            except Invalid as exc:
                for name, problems in exc.fields.items():
                    form.add_error(name if name in form.fields else None, problems)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Danke! Ihr Beitrag wird von der Koordination geprüft.")
                    if resource.status == Resource.Status.IN_REVIEW
                    else _("Der Entwurf ist gespeichert."),
                )
                return redirect("library:detail", resource_id=resource.pk)
        status = 400
    return render(request, "library/submit.html", {"form": form}, status=status)


@login_required
def for_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    """ "Für Ihr Vorhaben": what to read, copy or apply for, given this plan (own plans only)."""
    try:
        plan = selectors.plan_for(user=request.user, plan_id=plan_id)
    except NotFound:
        raise Http404 from None
    today = timezone.localdate()
    ranked = selectors.recommendations_for_plan(plan=plan, today=today)
    labels = dict(Resource.Kind.choices)
    return render(
        request,
        "library/for_plan.html",
        {
            "plan": plan,
            "groups": [(labels[kind], entries) for kind, entries in ranked.items()],
            "funding": selectors.eligible_funding(municipality=plan.municipality, today=today),
            "today": today,
        },
    )
