"""Pages of the legal texts (Impressum, Datenschutz, Barrierefreiheit with its feedback form,
Leichte Sprache) and the coordinators' editor for them at /koordination/seiten/."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consult import legal
from consult.forms import add_domain_error
from consult.legal_models import LegalPage
from core.errors import DomainError
from core.pages import coordinator_required, in_viewer_zone
from core.rate_limits import RateLimit, client_address

# Feedback from one client address per hour (each message e-mails every coordinator).
FEEDBACK_PER_CLIENT = RateLimit("accessibility-feedback", limit=5, window=3600)


def _language() -> str:
    return "en" if (translation.get_language() or "de").startswith("en") else "de"


def _show(
    request: HttpRequest, slug: str, extra: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    try:
        page = legal.shown_page(slug, language=_language())
    except DomainError:
        raise Http404 from None
    context = {"page": page, **(extra or {})}
    return render(request, "consult/legal/page.html", context, status=status)


def imprint(request: HttpRequest) -> HttpResponse:
    return _show(request, LegalPage.Slug.IMPRINT)


def privacy(request: HttpRequest) -> HttpResponse:
    return _show(request, LegalPage.Slug.PRIVACY)


def easy_language(request: HttpRequest) -> HttpResponse:
    return _show(request, LegalPage.Slug.EASY_LANGUAGE)


class FeedbackForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Ihr Name"), max_length=200, required=False)
    email = forms.EmailField(
        label=gettext_lazy("Ihre E-Mail-Adresse"),
        help_text=gettext_lazy("Damit wir Ihnen antworten können."),
    )
    page_url = forms.CharField(
        label=gettext_lazy("Auf welcher Seite?"), max_length=500, required=False
    )
    message = forms.CharField(
        label=gettext_lazy("Was ist Ihnen aufgefallen?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    form = FeedbackForm(request.POST or None)
    if request.method == "POST":
        wait = FEEDBACK_PER_CLIENT.hit(client_address(request))
        if wait is not None:
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Von Ihrem Anschluss kamen in kurzer Zeit sehr viele Rückmeldungen. Bitte "
                    "versuchen Sie es später noch einmal."
                ),
            )
            response = _show(request, LegalPage.Slug.ACCESSIBILITY, {"form": form}, status=429)
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            try:
                legal.send_accessibility_feedback(language=_language(), **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Vielen Dank! Ihre Rückmeldung ist bei der Koordination angekommen. Wir "
                        "haben Ihnen eine Bestätigung geschickt."
                    ),
                )
                return redirect("legal-accessibility")
    return _show(request, LegalPage.Slug.ACCESSIBILITY, {"form": form})


# --- the coordinators' editor -----------------------------------------------------------------


class LegalPageForm(forms.Form):
    title_de = forms.CharField(label=gettext_lazy("Titel (deutsch)"), max_length=200)
    body_de = forms.CharField(
        label=gettext_lazy("Text (deutsch, Markdown)"),
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=gettext_lazy(
            "Markdown: ## Überschrift, **fett**, - Liste, [Text](Adresse). HTML wird als Text "
            "gezeigt. {retention_days} wird durch die Aufbewahrungsfrist ersetzt."
        ),
    )
    title_en = forms.CharField(label=gettext_lazy("Titel (englisch)"), max_length=200)
    body_en = forms.CharField(
        label=gettext_lazy("Text (englisch, Markdown)"),
        widget=forms.Textarea(attrs={"rows": 18}),
        required=False,
    )


@coordinator_required
@in_viewer_zone
def page_list(request: HttpRequest) -> HttpResponse:
    pages = legal.pages_for(request.user)
    return render(request, "consult/legal/list.html", {"pages": pages})


@coordinator_required
@in_viewer_zone
def page_edit(request: HttpRequest, slug: str) -> HttpResponse:
    page = legal.pages_for(request.user).filter(slug=slug).first()
    if page is None:
        raise Http404
    initial = {f: getattr(page, f) for f in ("title_de", "title_en", "body_de", "body_en")}
    form = LegalPageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            legal.update_page(actor=request.user, slug=slug, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Die Seite ist gespeichert."))
            return redirect("legal-page-edit", slug=slug)
    history = legal.page_history(request.user, slug)[:20]
    return render(
        request, "consult/legal/edit.html", {"page": page, "form": form, "history": history}
    )


urlpatterns = [
    path("impressum/", imprint, name="legal-imprint"),
    path("datenschutz/", privacy, name="legal-privacy"),
    path("barrierefreiheit/", accessibility, name="legal-accessibility"),
    path("leichte-sprache/", easy_language, name="legal-easy-language"),
    path("koordination/seiten/", page_list, name="legal-pages"),
    path("koordination/seiten/<slug:slug>/", page_edit, name="legal-page-edit"),
]
