"""Pages of debates, news (with its Atom feed) and partner networks under /austausch/;
coordinators' forms on the same pages, without JavaScript. Not a coordinator: 404."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from consult.choices import OrganisationKind
from core.errors import DomainError, Invalid, NotFound
from core.roles import is_coordinator
from exchange import debates, forum, news, selectors
from exchange.access import is_member
from exchange.forms_debates import ContributionForm, DebateForm, NewsForm, PartnerForm, SummaryForm
from exchange.models import Debate, NewsItem

View = Callable[..., HttpResponse]
CONTRIBUTIONS_SHOWN = 200


def coordinator_page(view: View) -> View:
    """Coordinators' forms: anybody else finds nothing here (404)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_coordinator(request.user):
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return wrapper


def _form_errors(form: Any, exc: Invalid) -> None:
    for name, problems in exc.fields.items():
        form.add_error(name if name in form.fields else None, problems)
    if not exc.fields:
        form.add_error(None, exc.message)


# --- debates ------------------------------------------------------------------------------------


def debate_list(request: HttpRequest) -> HttpResponse:
    rows = list(debates.debates_for(request.user))
    now = timezone.now()
    return render(
        request,
        "exchange/debates.html",
        {
            "rows": [
                {
                    "debate": d,
                    "phase": debates.phase(d, now),
                    "title": news.in_language(d.title_de, d.title_en),
                }
                for d in rows
            ],
            "coordinator": is_coordinator(request.user),
            "member": is_member(request.user),
        },
    )


def debate_detail(request: HttpRequest, debate_id: int, *, form: Any = None) -> HttpResponse:
    try:
        debate = debates.debate_for(user=request.user, debate_id=debate_id)
    except NotFound:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404 from None
    member = is_member(request.user)
    phase = debates.phase(debate)
    contributions: list[Any] = []
    if debate.thread is not None and (member or debate.thread.public):
        posts = selectors.posts_of(user=request.user, thread=debate.thread)
        contributions = list(posts.exclude(pk=debate.thread.first_post_id)[:CONTRIBUTIONS_SHOWN])
    if form is None and member and phase == "open":
        form = ContributionForm()
    kinds = dict(OrganisationKind.choices)
    return render(
        request,
        "exchange/debate.html",
        {
            "debate": debate,
            "phase": phase,
            "title": news.in_language(debate.title_de, debate.title_en),
            "description_html": news.in_language(
                debate.description_html_de, debate.description_html_en
            ),
            "summary_html": news.in_language(debate.summary_html_de, debate.summary_html_en),
            "invited": [kinds.get(kind, kind) for kind in debate.invited_kinds],
            "materials": list(debate.materials.all()),
            "contributions": contributions,
            "form": form if phase == "open" and member else None,
            "member": member,
            "coordinator": is_coordinator(request.user),
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
def contribute(request: HttpRequest, debate_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("exchange:debate", args=[debate_id]))
    if not is_member(request.user):
        raise Http404
    try:
        debate = debates.debate_for(user=request.user, debate_id=debate_id)
    except NotFound:
        raise Http404 from None
    form = ContributionForm(request.POST)
    if form.is_valid():
        try:
            post = forum.reply(
                user=request.user, thread_id=debate.thread_id, body=form.cleaned_data["body"]
            )
        except Invalid as exc:
            _form_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("exchange:debate", debate_id=debate_id)
        else:
            response = redirect("exchange:debate", debate_id=debate_id)
            response["Location"] += f"#post-{post.pk}"
            return response
    return debate_detail(request, debate_id, form=form)


def _debate_initial(debate: Debate) -> dict[str, Any]:
    zone = timezone.get_current_timezone()
    return {
        "title_de": debate.title_de,
        "title_en": debate.title_en,
        "description_de": debate.description_de,
        "description_en": debate.description_en,
        "topic": debate.topic.slug,
        "starts_at": debate.starts_at.astimezone(zone),
        "ends_at": debate.ends_at.astimezone(zone),
        "invited_kinds": debate.invited_kinds,
        "materials": list(debate.materials.all()),
    }


@coordinator_page
def debate_edit(request: HttpRequest, debate_id: int | None = None) -> HttpResponse:
    debate = None
    if debate_id is not None:
        debate = Debate.objects.select_related("topic").filter(pk=debate_id).first()
        if debate is None:
            raise Http404
    if request.method == "POST":
        form = DebateForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            arguments = {
                **{k: v for k, v in data.items() if k not in ("topic", "materials")},
                "topic_slug": data["topic"],
                "material_ids": [r.pk for r in data["materials"]],
            }
            try:
                if debate is None:
                    debate = debates.open_debate(user=request.user, **arguments)
                else:
                    debates.update_debate(user=request.user, debate_id=debate.pk, **arguments)
            except Invalid as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Die Debatte ist gespeichert."))
                return redirect("exchange:debate", debate_id=debate.pk)
    else:
        form = DebateForm(initial=_debate_initial(debate) if debate else None)
    return render(
        request,
        "exchange/debate_form.html",
        {"form": form, "debate": debate},
        status=400 if form.errors else 200,
    )


@coordinator_page
def debate_summary(request: HttpRequest, debate_id: int) -> HttpResponse:
    debate = Debate.objects.filter(pk=debate_id).first()
    if debate is None:
        raise Http404
    if request.method == "POST":
        form = SummaryForm(request.POST)
        if form.is_valid():
            try:
                debates.publish_summary(user=request.user, debate_id=debate.pk, **form.cleaned_data)
            except Invalid as exc:
                _form_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Die Zusammenfassung ist veröffentlicht."))
                return redirect("exchange:debate", debate_id=debate.pk)
    else:
        form = SummaryForm(
            initial={
                "summary_de": debate.summary_de,
                "summary_en": debate.summary_en,
                "public": debate.summary_public,
            }
        )
    return render(
        request,
        "exchange/debate_summary.html",
        {"form": form, "debate": debate, "phase": debates.phase(debate)},
        status=400 if form.errors else 200,
    )


# --- news ---------------------------------------------------------------------------------------


def _news_row(item: NewsItem) -> dict[str, Any]:
    return {
        "item": item,
        "title": news.in_language(item.title_de, item.title_en),
        "body_html": news.in_language(item.body_html_de, item.body_html_en),
    }


def news_list(request: HttpRequest) -> HttpResponse:
    items = list(news.news_for(request.user)[:50])
    return render(
        request,
        "exchange/news.html",
        {
            "rows": [_news_row(item) for item in items],
            "coordinator": is_coordinator(request.user),
            "now": timezone.now(),
        },
    )


def news_item(request: HttpRequest, news_id: int) -> HttpResponse:
    try:
        item = news.news_item_for(user=request.user, news_id=news_id)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "exchange/news_item.html",
        {**_news_row(item), "coordinator": is_coordinator(request.user)},
    )


@coordinator_page
def news_edit(request: HttpRequest, news_id: int | None = None) -> HttpResponse:
    item = None
    if news_id is not None:
        item = NewsItem.objects.filter(pk=news_id).first()
        if item is None:
            raise Http404
    if request.method == "POST":
        form = NewsForm(request.POST)
        if form.is_valid():
            try:
                item = news.save_news(
                    user=request.user, news_id=item.pk if item else None, **form.cleaned_data
                )
            except Invalid as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Die Neuigkeit ist gespeichert."))
                return redirect("exchange:news-item", news_id=item.pk)
    else:
        initial = None
        if item is not None:
            initial = {name: getattr(item, name) for name in news.NEWS_FIELDS}
            if item.published_at:
                initial["published_at"] = timezone.localtime(item.published_at)
        form = NewsForm(initial=initial)
    return render(
        request,
        "exchange/news_form.html",
        {"form": form, "item": item},
        status=400 if form.errors else 200,
    )


class NewsFeed(Feed):
    """The published news as Atom (the German texts, English where the request asks for it)."""

    feed_type = Atom1Feed
    title = gettext_lazy("Neuigkeiten aus dem Netzwerk Bürgerhaushalt")
    subtitle = gettext_lazy("Ankündigungen der Koordination")

    def link(self) -> str:
        return reverse("exchange:news")

    def items(self) -> list[NewsItem]:
        return list(news.published_news()[: news.FEED_ITEMS])

    def item_title(self, item: NewsItem) -> str:
        return news.in_language(item.title_de, item.title_en)

    def item_description(self, item: NewsItem) -> str:
        return news.in_language(item.body_html_de, item.body_html_en)

    def item_link(self, item: NewsItem) -> str:
        return reverse("exchange:news-item", args=[item.pk])

    def item_pubdate(self, item: NewsItem) -> Any:
        return item.published_at

    def item_updateddate(self, item: NewsItem) -> Any:
        return max(item.updated_at, item.published_at) if item.published_at else item.updated_at


# --- partner networks ---------------------------------------------------------------------------


def partner_list(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "partner": partner,
            "description": news.in_language(partner.description_de, partner.description_en),
            "offers": news.in_language(partner.offers_de, partner.offers_en),
        }
        for partner in news.partner_networks()
    ]
    return render(
        request,
        "exchange/partners.html",
        {"rows": rows, "coordinator": is_coordinator(request.user)},
    )


@coordinator_page
def partner_edit(request: HttpRequest, partner_id: int | None = None) -> HttpResponse:
    partner = None
    if partner_id is not None:
        partner = news.partner_networks().filter(pk=partner_id).first()
        if partner is None:
            raise Http404
    if request.method == "POST":
        form = PartnerForm(request.POST)
        if form.is_valid():
            try:
                news.save_partner(
                    user=request.user,
                    partner_id=partner.pk if partner else None,
                    **form.cleaned_data,
                )
            except Invalid as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Das Netzwerk ist gespeichert."))
                return redirect("exchange:partners")
    else:
        initial = (
            {name: getattr(partner, name) for name in news.PARTNER_FIELDS} if partner else None
        )
        form = PartnerForm(initial=initial)
    return render(
        request,
        "exchange/partner_form.html",
        {"form": form, "partner": partner},
        status=400 if form.errors else 200,
    )


@require_POST
@coordinator_page
def partner_delete(request: HttpRequest, partner_id: int) -> HttpResponse:
    news.delete_partner(user=request.user, partner_id=partner_id)
    messages.success(request, _("Das Netzwerk ist von der Liste genommen."))
    return redirect("exchange:partners")
