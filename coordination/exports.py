"""Files the back office hands out: the participant list as XLSX (openpyxl) and the
certificate of attendance as PDF (fpdf2). Both formula-safe / text-only."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from django.utils import timezone, translation
from fpdf import FPDF
from openpyxl import Workbook

from events.models import Event, EventSession, Registration
from events.serializers import CSV_COLUMNS, csv_cell

# A Unicode font if the system has one (names from abroad); else the PDF core font (Latin-1).
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def participants_xlsx(registrations: Sequence[Registration]) -> bytes:
    """The CSV's columns and cells (the same `csv_cell` neutralising), every cell a string
    cell: openpyxl would otherwise store text starting with '=' as a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Teilnehmende"
    sheet.append([label for _key, label in CSV_COLUMNS])
    for r in registrations:
        municipality = r.municipality.name if r.municipality_id else r.municipality_name
        row = {
            "id": r.pk,
            "name": r.name,
            "email": r.email,
            "municipality": municipality,
            "status": r.get_status_display(),
            "waitlist_position": getattr(r, "position", None) or "",
            "created_at": timezone.localtime(r.created_at).strftime("%d.%m.%Y %H:%M"),
            "confirmed_at": timezone.localtime(r.confirmed_at).strftime("%d.%m.%Y %H:%M")
            if r.confirmed_at
            else "",
            "attended": {True: "ja", False: "nein", None: ""}[r.attended],
        }
        sheet.append([csv_cell(row[key]) for key, _label in CSV_COLUMNS])
    for row in sheet.iter_rows():
        for cell in row:
            cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _font(pdf: FPDF) -> tuple[str, bool]:
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu", True
    return "Helvetica", False


def certificate_pdf(
    *,
    event: Event,
    registration: Registration,
    sessions: Sequence[EventSession],
    language: str,
) -> bytes:
    """A one-page certificate of attendance in German or English."""
    language = "en" if language == "en" else "de"
    pdf = FPDF(format="A4")
    pdf.set_title("Certificate of attendance" if language == "en" else "Teilnahmebescheinigung")
    pdf.add_page()
    family, unicode_font = _font(pdf)

    def text(value: str) -> str:
        return value if unicode_font else value.encode("latin-1", "replace").decode("latin-1")

    with translation.override(language):
        title = event.title
        kind = event.get_kind_display()
    days = ", ".join(
        timezone.localtime(s.start).strftime("%d.%m.%Y" if language == "de" else "%Y-%m-%d")
        for s in sessions
    )
    hours = sum((s.end - s.start).total_seconds() for s in sessions) / 3600
    if language == "en":
        heading = "Certificate of attendance"
        lines = [
            f"{registration.name}",
            f"attended the {kind.lower()}",
            f"“{title}”",
            f"on {days} ({hours:.1f} hours).",
        ]
        footer = "Participatory budgeting network"
    else:
        heading = "Teilnahmebescheinigung"
        lines = [
            f"{registration.name}",
            f"hat an der Veranstaltung ({kind})",
            f"„{title}“",
            f"am {days} teilgenommen ({str(round(hours, 1)).replace('.', ',')} Stunden).",
        ]
        footer = "Netzwerk Bürgerhaushalt"
    pdf.set_font(family, "B", 24)
    pdf.cell(0, 30, text(heading), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font(family, "", 14)
    for line in lines:
        pdf.multi_cell(0, 10, text(line), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(30)
    pdf.set_font(family, "", 11)
    pdf.cell(0, 8, text(footer), new_x="LMARGIN", new_y="NEXT", align="C")
    return bytes(pdf.output())
