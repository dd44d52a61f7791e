"""The back office's one gate: coordinators only; everyone else, anonymous too, gets 404."""

from __future__ import annotations

from core.pages import View, coordinator_required, in_viewer_zone


def backoffice(view: View) -> View:
    """404 for anonymous visitors, staff and experts alike (not a login redirect: the back
    office does not exist for them); times in the viewer's zone."""
    return coordinator_required(in_viewer_zone(view))
