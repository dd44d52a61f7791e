"""Journey in a real browser: the expert and a municipal staff member open the room link of an
online consultation (MEETING_PROVIDER=bbb), type a name, enter with the keyboard and land on
the (fake) BigBlueButton server with their role; before the window the page says when it opens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page

from bookings import views
from core.rate_limits import RateLimit
from tests import factories
from tests.bookings.fake_bbb import FakeBigBlueButton, running_bbb, signed_join_params
from tests.pages.browser import ANY_IMPACT, Journey
from tests.pages.test_staff_journey import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def bbb(settings, live_server) -> Iterator[FakeBigBlueButton]:  # type: ignore[no-untyped-def]
    cache.clear()  # the room limits count per client address: every visit here is 127.0.0.1
    with running_bbb(settings, live_server.url) as fake:
        yield fake


def online_booking(expert, municipality, *, starts_in: dt.timedelta, room: str):  # type: ignore[no-untyped-def]
    return factories.ConsultationBookingFactory(
        expert=expert,
        request=factories.RequestFactory(plan__municipality=municipality),
        start=timezone.now() + starts_in,
        status="confirmed",
        format="online",
        room=room,
    )


def _focused(page: Page) -> str | None:
    """The focused element inside <main> (``#id`` or ``tag:text``), None outside it."""
    return page.evaluate(
        """() => { const e = document.activeElement;
                   if (!e || !e.closest("main")) return null;
                   return e.id ? "#" + e.id : e.tagName.toLowerCase() + ":" + e.innerText; }"""
    )


def focus_order_in_main(page: Page, limit: int = 40) -> list[str]:
    """Tab from the top of a freshly loaded page until focus leaves <main> again: the order
    in which its controls got focus."""
    order: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused is None and order:
            break
        if focused is not None:
            order.append(focused)
    return order


def enter_with_keyboard(page: Page, name: str) -> None:
    """Tab to the name field, replace what it holds with ``name`` and submit with Enter."""
    for _ in range(40):
        if _focused(page) == "#id_name":
            break
        page.keyboard.press("Tab")
    assert _focused(page) == "#id_name"
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    page.keyboard.type(name)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def joined(page: Page, bbb: FakeBigBlueButton) -> dict[str, str]:
    """Wait for the browser to land on the video server; the signed join's parameters."""
    page.wait_for_url(bbb.url + "api/join?**")
    params = signed_join_params(page.url, bbb.url)
    assert page.inner_text("#joined") == params["role"]  # the server took the link
    return params


def test_expert_and_staff_enter_the_room_with_their_roles(
    live_server, browser_page, bbb, monkeypatch
):
    municipality = factories.MunicipalityFactory(name="Musterstadt")
    staff = factories.staff_for(municipality)
    expert = factories.ExpertProfileFactory(display_name="Dr. Ada Beispiel", meeting_url="")
    booking = online_booking(
        expert, municipality, starts_in=dt.timedelta(minutes=10), room="journey-room-" + "a" * 20
    )
    later = online_booking(
        expert, municipality, starts_in=dt.timedelta(days=2), room="journey-later-" + "b" * 20
    )
    journey = Journey(browser_page, "meeting-room", live_server.url)
    page = browser_page

    log_in(journey, expert.user.username)
    journey.go(f"/raum/{booking.room}/")
    assert "Sie leiten die Beratung" in page.inner_text("main")
    assert page.get_by_label("Ihr Name im Online-Raum").input_value() == "Dr. Ada Beispiel"
    # The name field, then the button: nothing else to tab through on the way in.
    assert focus_order_in_main(page) == ["#id_name", "button:Online-Raum betreten"]
    journey.step("room open for the expert", impacts=ANY_IMPACT)

    enter_with_keyboard(page, "")
    errors = page.locator("#id_name_errors")
    assert errors.is_visible() and "Bitte geben Sie Ihren Namen an." in errors.inner_text()
    name = page.get_by_label("Ihr Name im Online-Raum")
    assert "id_name_errors" in name.get_attribute("aria-describedby").split()
    assert name.get_attribute("aria-invalid") == "true"
    assert bbb.calls == []
    journey.step("name missing", impacts=ANY_IMPACT)

    enter_with_keyboard(page, "Ada B.")
    params = joined(page, bbb)
    assert (params["role"], params["fullName"]) == ("MODERATOR", "Ada B.")

    page.context.clear_cookies()
    log_in(journey, staff.username)
    journey.go(f"/raum/{booking.room}/")
    assert "Sie betreten den Raum als Teilnehmende*r" in page.inner_text("main")
    journey.step("room open for municipal staff", impacts=ANY_IMPACT)
    enter_with_keyboard(page, "Kim Kommunal")
    params = joined(page, bbb)
    assert (params["role"], params["fullName"]) == ("VIEWER", "Kim Kommunal")
    joins = bbb.joins()
    assert [p["role"] for p, valid in joins if valid] == ["MODERATOR", "VIEWER"]
    assert len({p["meetingID"] for p, _ in joins}) == 1

    journey.go(f"/raum/{later.room}/")
    status = page.inner_text("#room-status")
    opens = timezone.localtime(later.start - dt.timedelta(minutes=15))
    assert "Der Online-Raum öffnet am" in status and opens.strftime("%H:%M") in status
    assert page.get_by_label("Ihr Name im Online-Raum").count() == 0
    journey.step("room not yet open", impacts=ANY_IMPACT)

    page.get_by_label("Sprache").select_option("en")
    with page.expect_navigation():
        page.get_by_role("button", name="Wechseln").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "The online room opens on" in page.inner_text("#room-status")
    journey.step("room not yet open, English", impacts=ANY_IMPACT)

    journey.go(f"/raum/{booking.room}/")
    assert page.get_by_label("Your name in the online room").is_visible()
    journey.step("room open, English", impacts=ANY_IMPACT)
    enter_with_keyboard(page, "")
    assert page.locator("#id_name_errors").is_visible()
    journey.step("name missing, English", impacts=ANY_IMPACT)

    # Beyond the client's entry limit (lowered to none here): the 429 page.
    monkeypatch.setattr(views, "ROOM_ENTRIES_PER_CLIENT", RateLimit("journey", limit=0, window=600))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Enter the online room").press("Enter")
    assert navigation.value.status == 429
    assert 1 <= int(navigation.value.headers["retry-after"]) <= 600
    assert "Too many attempts" in page.inner_text("main")
    journey.step("too many attempts, English", impacts=ANY_IMPACT)
    assert len(bbb.joins()) == 2
