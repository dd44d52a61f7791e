"""Driving Debian's Chromium with Playwright: one journey = one page, screenshots, axe checks.

Every step of a journey is saved as test-artifacts/<journey>/NN-step.png and checked with
axe-core (npm package, injected into the page): a serious or critical violation fails the test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# WCAG 2.1 A + AA (BITV 2.0) and axe's best practices about landmarks and headings.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# A journey step fails on serious and critical violations; a page held to every rule: ANY_IMPACT.
SERIOUS = ("serious", "critical")
ANY_IMPACT = ("minor", "moderate", "serious", "critical")


@dataclass
class Journey:
    """One user's way through the pages, step by step."""

    page: Page
    name: str
    base_url: str
    steps: int = 0
    checked: list[str] = field(default_factory=list)
    # Every URL the page asked for (navigations, htmx calls, assets): "nobody opened /admin/".
    requested: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("request", lambda request: self.requested.append(request.url))
        folder = ARTIFACTS / self.name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def step(self, label: str, *, impacts: tuple[str, ...] = SERIOUS) -> None:
        """Screenshot the page as it is now and check it with axe-core (``ANY_IMPACT``: fail on
        moderate and minor violations too)."""
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.page.screenshot(
            path=str(ARTIFACTS / self.name / f"{self.steps:02d}-{slug}.png"), full_page=True
        )
        violations = axe_violations(self.page, impacts)
        assert not violations, f"{self.name} / {label}: " + json.dumps(violations, indent=1)
        self.checked.append(label)


def axe_violations(page: Page, impacts: tuple[str, ...] = SERIOUS) -> list[dict[str, Any]]:
    """The axe-core violations of the current page with one of ``impacts`` (empty: none)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async ([tags, impacts]) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                               resultTypes: ["violations"]});
            return r.violations
              .filter(v => impacts.includes(v.impact))
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
        }""",
        [AXE_TAGS, list(impacts)],
    )
    return list(result)
