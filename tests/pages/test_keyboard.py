"""Keyboard use in a real browser: the focus ring is visible against the page (WCAG 1.4.11)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.pages.browser import Journey

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

FOCUS_RING = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {name: e.tagName + ":" + (e.innerText || e.name || e.id).trim().slice(0, 30),
          outline: s.outlineStyle === "none" ? "" : s.outlineColor, shadow: s.boxShadow,
          page: getComputedStyle(document.body).backgroundColor};
}"""


def _luminance(rgb: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def colours(css: str) -> list[tuple[int, ...]]:
    return [tuple(int(n) for n in m) for m in re.findall(r"rgba?\((\d+), (\d+), (\d+)", css)]


def focus_rings(page: Page, stops: int) -> list[dict[str, str]]:
    rings = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring:
            rings.append(ring)
    return rings


def test_focus_ring_contrasts_at_least_3_to_1_with_the_page(browser_page, live_server):
    journey = Journey(browser_page, "keyboard-focus", live_server.url)
    journey.go("/login/")
    rings = focus_rings(browser_page, 8)
    # From the focused user name: the form, then round again through header and navigation.
    assert len(rings) >= 6
    for ring in rings:
        page_colour = colours(ring["page"])[0]
        best = max(
            (contrast(c, page_colour) for c in colours(ring["outline"] + ring["shadow"])),
            default=1.0,
        )
        assert best >= 3, f"focus on {ring['name']} is hard to see: {ring}"
    journey.step("focus on the login button")
