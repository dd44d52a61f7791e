"""The reports page /koordination/berichte/: every report as an SVG bar chart and as CSV."""

from __future__ import annotations

import csv
import io

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from coordination.gate import backoffice
from coordination.reports import REPORTS
from events.serializers import csv_cell

BAR_HEIGHT = 28
LABEL_WIDTH = 220
CHART_WIDTH = 640


def _chart(report):  # type: ignore[no-untyped-def]
    """Geometry for the template: one bar per row, scaled to the largest value."""
    room = CHART_WIDTH - LABEL_WIDTH - 80
    return {
        "report": report,
        "height": max(len(report.bars), 1) * BAR_HEIGHT + 10,
        "width": CHART_WIDTH,
        "label_width": LABEL_WIDTH,
        "rows": [
            {
                "bar": bar,
                "y": i * BAR_HEIGHT + 5,
                "text_y": i * BAR_HEIGHT + 5 + BAR_HEIGHT // 2 + 4,
                "width": round(room * bar.value / report.peak) if report.peak else 0,
                "value_x": LABEL_WIDTH
                + (round(room * bar.value / report.peak) if report.peak else 0)
                + 6,
            }
            for i, bar in enumerate(report.bars)
        ],
    }


@backoffice
def reports(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    charts = [_chart(build(now)) for build in REPORTS.values()]
    return render(request, "coordination/backoffice/reports.html", {"charts": charts})


@backoffice
def report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    build = REPORTS.get(slug)
    if build is None:
        raise Http404
    report = build(timezone.now())
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(report.title), csv_cell(report.unit), ""])
    for bar in report.bars:
        writer.writerow([csv_cell(bar.label), str(bar.value).replace(".", ","), csv_cell(bar.note)])
    response = HttpResponse(out.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="bericht-{slug}.csv"'
    return response
