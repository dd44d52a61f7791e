"""News by coordinators (German/English, Markdown, public once published) and the partner
networks page (what each network offers the members)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.errors import FieldErrors, Forbidden, NotFound
from core.roles import is_coordinator
from exchange import markdown
from exchange.models import NewsItem, PartnerNetwork

MAX_TITLE = 200
MAX_BODY = 20_000
FEED_ITEMS = 30


def require_coordinator(user: Any) -> None:
    if not is_coordinator(user):
        raise Forbidden(_("Das dürfen Koordinator*innen."), code="coordinators_only")


def in_language(german: str, english: str) -> str:
    """The English text on English pages where there is one, else the German."""
    return english if english and (get_language() or "de").startswith("en") else german


# --- news ---------------------------------------------------------------------------------------


def published_news(now: dt.datetime | None = None) -> QuerySet[NewsItem]:
    return NewsItem.objects.filter(published_at__lte=now or timezone.now()).order_by(
        "-published_at", "-id"
    )


def news_for(user: Any, now: dt.datetime | None = None) -> QuerySet[NewsItem]:
    """Everybody reads what is published; coordinators also their drafts and scheduled items."""
    if is_coordinator(user):
        return NewsItem.objects.order_by("-published_at", "-id")
    return published_news(now)


def news_item_for(*, user: Any, news_id: int) -> NewsItem:
    found = news_for(user).filter(pk=news_id).first()
    if found is None:
        raise NotFound(_("Diese Neuigkeit gibt es nicht."))
    return found


def _check_news(item: NewsItem) -> None:
    errors = FieldErrors()
    if not item.title_de.strip():
        errors.add("title_de", _("Bitte einen Titel angeben."))
    for name in ("title_de", "title_en"):
        if len(getattr(item, name)) > MAX_TITLE:
            errors.add(name, _("Höchstens %(n)s Zeichen.") % {"n": MAX_TITLE})
    if not item.body_de.strip():
        errors.add("body_de", _("Bitte einen Text schreiben."))
    for name in ("body_de", "body_en"):
        if len(getattr(item, name)) > MAX_BODY:
            errors.add(name, _("Höchstens %(n)s Zeichen.") % {"n": MAX_BODY})
    errors.raise_if_any()


NEWS_FIELDS = ("title_de", "title_en", "body_de", "body_en", "published_at")


@transaction.atomic
def save_news(*, user: Any, news_id: int | None = None, **fields: Any) -> NewsItem:
    """Create (no `news_id`) or change a news item; `published_at` None keeps it a draft."""
    require_coordinator(user)
    if news_id is None:
        item = NewsItem(created_by=user)
    else:
        item = NewsItem.objects.select_for_update(of=("self",)).filter(pk=news_id).first()
        if item is None:
            raise NotFound(_("Diese Neuigkeit gibt es nicht."))
    for name in NEWS_FIELDS:
        if name in fields:
            setattr(item, name, fields[name])
    _check_news(item)
    item.body_html_de = markdown.render(item.body_de)
    item.body_html_en = markdown.render(item.body_en)
    item.save()
    return item


# --- partner networks ---------------------------------------------------------------------------


PARTNER_FIELDS = (
    "name",
    "url",
    "description_de",
    "description_en",
    "offers_de",
    "offers_en",
    "position",
)


def partner_networks() -> QuerySet[PartnerNetwork]:
    return PartnerNetwork.objects.order_by("position", "name")


@transaction.atomic
def save_partner(*, user: Any, partner_id: int | None = None, **fields: Any) -> PartnerNetwork:
    require_coordinator(user)
    if partner_id is None:
        partner = PartnerNetwork()
    else:
        partner = PartnerNetwork.objects.filter(pk=partner_id).first()
        if partner is None:
            raise NotFound(_("Dieses Netzwerk gibt es nicht."))
    for name in PARTNER_FIELDS:
        if name in fields:
            setattr(partner, name, fields[name])
    errors = FieldErrors()
    if not partner.name.strip():
        errors.add("name", _("Bitte einen Namen angeben."))
    elif PartnerNetwork.objects.filter(name=partner.name).exclude(pk=partner.pk).exists():
        errors.add("name", _("Dieses Netzwerk steht schon auf der Liste."))
    if not partner.url.startswith(("https://", "http://")):
        errors.add("url", _("Bitte eine Adresse mit https:// angeben."))
    if not partner.offers_de.strip():
        errors.add("offers_de", _("Bitte beschreiben, was das Netzwerk bietet."))
    errors.raise_if_any()
    partner.save()
    return partner


@transaction.atomic
def delete_partner(*, user: Any, partner_id: int) -> None:
    require_coordinator(user)
    deleted, _rows = PartnerNetwork.objects.filter(pk=partner_id).delete()
    if not deleted:
        raise NotFound(_("Dieses Netzwerk gibt es nicht."))
