"""Demo exchange (idempotent): partner networks, news and an open debate from
`exchange/demo_data/*.yaml`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from consult.models import Topic
from core import demo_data
from exchange import markdown, search
from exchange.models import Debate, NewsItem, PartnerNetwork, Post, Thread
from library.models import Resource

MATERIALS_PER_DEBATE = 3


def _partners() -> int:
    created = 0
    for entry in demo_data.load("exchange", "partners")["partners"]:
        _row, new = PartnerNetwork.objects.update_or_create(name=entry["name"], defaults=entry)
        created += new
    return created


def _news(now: dt.datetime) -> int:
    created = 0
    for entry in demo_data.load("exchange", "news")["news"]:
        spec = dict(entry)
        published_at = now - dt.timedelta(days=spec.pop("days_ago"))
        spec.update(
            published_at=published_at,
            body_html_de=markdown.render(spec["body_de"]),
            body_html_en=markdown.render(spec.get("body_en", "")),
        )
        _row, new = NewsItem.objects.update_or_create(title_de=spec["title_de"], defaults=spec)
        created += new
    return created


def _debates(now: dt.datetime) -> int:
    created = 0
    for entry in demo_data.load("exchange", "debates")["debates"]:
        spec = dict(entry)
        if Debate.objects.filter(title_de=spec["title_de"]).exists():
            continue
        topic = Topic.objects.get(slug=spec.pop("topic"))
        starts_at = now + dt.timedelta(days=spec.pop("starts_in_days"))
        ends_at = starts_at + dt.timedelta(days=spec.pop("days"))
        thread = Thread.objects.create(
            title=spec["title_de"],
            topic=topic,
            post_count=1,
            last_post_at=starts_at,
            search_text=search.stems(spec["title_de"]),
        )
        thread.first_post = Post.objects.create(
            thread=thread,
            body=spec["description_de"],
            body_html=markdown.render(spec["description_de"]),
            search_text=search.stems(spec["description_de"]),
        )
        thread.save(update_fields=["first_post"])
        debate = Debate.objects.create(
            **spec,
            description_html_de=markdown.render(spec["description_de"]),
            description_html_en=markdown.render(spec.get("description_en", "")),
            topic=topic,
            starts_at=starts_at,
            ends_at=ends_at,
            thread=thread,
        )
        materials = Resource.objects.filter(
            status=Resource.Status.PUBLISHED, topics=topic
        ).order_by("id")[:MATERIALS_PER_DEBATE]
        debate.materials.set(list(materials))
        created += 1
    return created


@transaction.atomic
def seed(*, options: dict[str, Any], out: Any) -> None:
    now = timezone.now()
    partners, items, debates = _partners(), _news(now), _debates(now)
    out.write(
        f"  Austausch: {PartnerNetwork.objects.count()} Partnernetzwerke ({partners} neu), "
        f"{NewsItem.objects.count()} Neuigkeiten ({items} neu), "
        f"{Debate.objects.count()} Debatten ({debates} neu)"
    )
