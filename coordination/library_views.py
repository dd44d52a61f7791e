"""The library's review queue and editing of any entry, for coordinators."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from consult.choices import FederalState
from coordination import audit
from coordination.gate import backoffice
from core.errors import DomainError, NotFound
from library import services
from library.forms import SubmissionForm
from library.models import Resource


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Was fehlt noch? (geht an die einreichende Person)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResourceEditForm(SubmissionForm):
    """The submission form with the fields only coordinators set (countries, funding)."""

    countries = forms.CharField(
        label=gettext_lazy("Länder (ISO-Codes, durch Komma getrennt, z. B. DE, BR)"),
        required=False,
        max_length=200,
    )
    funder = forms.CharField(
        label=gettext_lazy("Fördermittelgeber"), required=False, max_length=250
    )
    amount_min_eur = forms.DecimalField(
        label=gettext_lazy("Fördersumme ab (EUR)"), required=False, min_value=0, max_digits=12
    )
    amount_max_eur = forms.DecimalField(
        label=gettext_lazy("Fördersumme bis (EUR)"), required=False, min_value=0, max_digits=12
    )
    eligible_states = forms.MultipleChoiceField(
        label=gettext_lazy("förderfähige Bundesländer (keine Auswahl: alle)"),
        required=False,
        choices=FederalState.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    deadline = forms.DateField(
        label=gettext_lazy("Antragsfrist"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["file"]

    def clean_countries(self) -> list[str]:
        raw = self.cleaned_data.get("countries") or ""
        return [part.strip().upper() for part in raw.split(",") if part.strip()]


@backoffice
def review_queue(request: HttpRequest) -> HttpResponse:
    queue = (
        Resource.objects.filter(status=Resource.Status.IN_REVIEW)
        .select_related("submitted_by", "submitted_for")
        .order_by("created_at", "id")
    )
    # Every entry, to find one to edit: a title search and the status, newest first.
    query = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    entries = Resource.objects.only("id", "title_de", "kind", "status", "updated_at").order_by(
        "-updated_at", "-id"
    )
    if query:
        entries = entries.filter(Q(title_de__icontains=query) | Q(title_en__icontains=query))
    if status in Resource.Status.values:
        entries = entries.filter(status=status)
    page = Paginator(entries, 50).get_page(request.GET.get("seite"))
    params = request.GET.copy()
    params.pop("seite", None)
    return render(
        request,
        "coordination/backoffice/library_queue.html",
        {
            "queue": list(queue),
            "send_back_form": SendBackForm(),
            "page": page,
            "q": query,
            "status": status,
            "statuses": Resource.Status.choices,
            "query": params.urlencode(),
        },
    )


@backoffice
@require_POST
def resource_publish(request: HttpRequest, resource_id: int) -> HttpResponse:
    """A coordinator's own draft (or one sent back and revised) goes public."""
    _reviewed(
        request,
        resource_id,
        lambda: services.publish_resource(user=request.user, resource_id=resource_id),
        _("Der Eintrag ist veröffentlicht."),
    )
    return redirect("backoffice-resource", resource_id=resource_id)


def _reviewed(request: HttpRequest, resource_id: int, action: object, success: str) -> None:
    """Run a review step; the service writes the trail (status, and the reason sent back)."""
    try:
        action()  # type: ignore[operator]
    except NotFound as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@backoffice
@require_POST
def review_publish(request: HttpRequest, resource_id: int) -> HttpResponse:
    _reviewed(
        request,
        resource_id,
        lambda: services.publish_submission(user=request.user, resource_id=resource_id),
        _("Veröffentlicht; die einreichende Person wird benachrichtigt."),
    )
    return redirect("backoffice-library")


@backoffice
@require_POST
def review_send_back(request: HttpRequest, resource_id: int) -> HttpResponse:
    form = SendBackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte einen Grund angeben."))
        return redirect("backoffice-library")
    _reviewed(
        request,
        resource_id,
        lambda: services.send_back_submission(
            user=request.user, resource_id=resource_id, reason=form.cleaned_data["reason"]
        ),
        _("Zurückgeschickt; die einreichende Person erhält den Grund."),
    )
    return redirect("backoffice-library")


@backoffice
def resource_edit(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = Resource.objects.filter(pk=resource_id).prefetch_related("topics").first()
    if resource is None:
        raise Http404
    if request.method == "POST":
        form = ResourceEditForm(request.POST)
        if form.is_valid():
            try:
                services.update_resource(
                    user=request.user,
                    resource_id=resource.pk,
                    draft=services.ResourceDraft.from_data(dict(form.cleaned_data)),
                )
            except DomainError as error:
                for name, problems in (error.fields or {}).items():
                    text = problems if isinstance(problems, str) else "; ".join(map(str, problems))
                    form.add_error(name if name in form.fields else None, text)
                if not error.fields:
                    form.add_error(None, error.message)
            else:
                messages.success(request, _("Der Eintrag ist gespeichert."))
                return redirect("backoffice-resource", resource_id=resource.pk)
    else:
        initial = {name: getattr(resource, name, None) for name in ResourceEditForm.base_fields}
        initial["topics"] = [t.slug for t in resource.topics.all()]
        initial["countries"] = ", ".join(resource.countries)
        form = ResourceEditForm(initial=initial)
    return render(
        request,
        "coordination/backoffice/resource_form.html",
        {"resource": resource, "form": form, "history": audit.history_of(resource)},
    )
