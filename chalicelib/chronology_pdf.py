"""A pupil's chronology as a PDF, for the pupil's file or a transfer to another school: made on the server with
fpdf2 (pure Python, no browser), with a header on every page (the pupil, the school, who made it and when,
"Confidential") and "Page n of N" in the footer. Accounts are always in full.

fpdf2 is imported only here, when a PDF is asked for: it costs about a third of a second to import, which no
other request should pay. DejaVu Sans (shipped in chalicelib/data/fonts) covers the names and text staff type,
which the PDF standard fonts (Latin-1 only) do not.
"""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path

from chalicelib import audit, chronology
from chalicelib.clock import utcnow
from chalicelib.models import Staff
from chalicelib.settings import SchoolSettings

FONTS = Path(__file__).parent / "data" / "fonts"
INK, GREY = (0, 0, 0), (80, 80, 80)
ROLE_IN = {"subject": "the pupil it is about", "linked": "linked pupil"}
KINDS = {"action": "Action", "action done": "Action done", "status": "Status", "recategorised": "Re-categorised"}


def _when(iso: str, school: SchoolSettings) -> str:
    moment = datetime.fromisoformat(iso).astimezone(school.zone)
    return moment.strftime("%a %-d %b %Y, %H:%M")


def _day(text: str) -> str:
    try:
        return datetime.fromisoformat(text).strftime("%-d %B %Y")
    except ValueError:
        return text


def render(
    school: SchoolSettings,
    printed_by: str,
    pupil: dict,
    scope: dict,
    entries: list[dict],
    complete: bool,
    filters: dict,
    now: datetime,
) -> bytes:
    from fpdf import FPDF

    made = now.astimezone(school.zone).strftime("%-d %B %Y at %H:%M")

    class ChronologyPDF(FPDF):
        def header(self) -> None:
            self.set_font("DejaVu", "B", 8)
            self.set_text_color(*INK)
            self.cell(0, 4, f"CONFIDENTIAL · {school.name} · Lantern", new_x="LMARGIN", new_y="NEXT")
            self.set_font("DejaVu", "B", 12)
            self.cell(0, 6, f"Chronology: {pupil['name']}", new_x="LMARGIN", new_y="NEXT")
            self.set_font("DejaVu", "", 8)
            self.cell(0, 4, f"Made by {printed_by} on {made}", new_x="LMARGIN", new_y="NEXT")
            self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.cell(0, 5, "Confidential: safeguarding and behaviour record", align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = ChronologyPDF(format="A4")
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Chronology: {pupil['name']}")
    pdf.set_author(f"Lantern, {school.name}")
    pdf.set_creation_date(now)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, *, bold: bool = False, size: float = 9.5, colour=INK, indent: float = 0) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.set_text_color(*colour)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(width - indent, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")

    def field(label: str, value: str, indent: float = 0) -> None:
        if value:
            line(f"{label}: {value}", indent=indent)

    field("Year group", pupil.get("year_group") or "Not recorded")
    field("Class", pupil.get("class_name") or "Not recorded")
    field("Date of birth", _day(pupil.get("date_of_birth") or "") or "Not recorded")
    field("Needs and support", ", ".join(pupil.get("flags") or []) or "None recorded")
    shown = "All categories" if scope["all_categories"] else "The categories the person who made it has access to"
    line(f"{shown}: {', '.join(filters.get('category') and [filters['category']] or scope['readable_categories'])}")
    dates = " to ".join(d for d in (filters.get("from"), filters.get("to")) if d) or "All dates"
    order = "newest first" if scope["order"] == "newest" else "oldest first"
    line(f"Dates: {dates}; {order}. {len(entries)} incident{'s' if len(entries) != 1 else ''}.")
    if not complete:
        line(f"Only the first {len(entries)} incidents are included: narrow the dates for the rest.", bold=True)
    pdf.ln(3)
    if not entries:
        line("Nothing has been recorded for these filters in the categories shown.")

    for entry in entries:
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.set_draw_color(*GREY)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.5)
        categories = "; ".join(
            f"{name} ({', '.join(entry['subcategories'].get(name, []))})" for name in entry["categories"]
        )
        line(f"{_when(entry['at'], school)} · {entry['reference']}", bold=True, size=10.5)
        line(categories, bold=True)
        field("Where and when", f"{entry['location']} · {entry['session']} · {entry['day']}")
        level = f" · concern level {entry['concern_level']}" if entry.get("concern_level") else ""
        field("Status", f"{entry['status']}{level}")
        field("Recorded by", f"{entry['reporter']} on {_when(entry['recorded_at'], school)}")
        involved = [
            f"{p['name']}{' (this pupil)' if p['this'] else ''}: {ROLE_IN[p['involvement']]}" for p in entry["pupils"]
        ]
        if len(involved) > 1:
            field("Pupils", "; ".join(involved))
        if entry["body_marks"]:
            field("Body map", "; ".join(entry["body_marks"]))
        line("Account:", bold=True)
        line(entry["account"], indent=3)
        if entry["timeline"]:
            line("Actions, decisions and changes:", bold=True)
            for item in entry["timeline"]:
                kind = KINDS.get(item["kind"], item["kind"].capitalize())
                line(f"{_when(item['at'], school)} · {kind} · {item['by']}", indent=3, size=8.5, colour=GREY)
                line(item["text"], indent=6)
        pdf.ln(2)
    return bytes(pdf.output())


def download(
    school: SchoolSettings,
    user: Staff,
    pupil_id: str,
    source: dict,
    *,
    category: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    order: str | None = None,
    now: datetime | None = None,
) -> dict:
    """The whole chronology (for these filters) as a PDF, base64 in JSON like every answer; audited as a read."""
    now = now or utcnow()
    reader = chronology.Reader(
        school, user, pupil_id, category=category, date_from=date_from, date_to=date_to, order=order
    )
    entries, complete = chronology.whole(reader)
    filters = {"category": category or "", "from": date_from or "", "to": date_to or ""}
    data = render(school, user.name, reader.pupil_summary(), reader.scope(), entries, complete, filters, now)
    audit.record(f"pupil#{pupil_id}", user.staff_id, "downloaded the chronology (PDF)", source)
    return {
        "filename": f"lantern-chronology-{now.astimezone(school.zone).date().isoformat()}.pdf",
        "content_type": "application/pdf",
        "pdf": base64.b64encode(data).decode(),
        "entries": len(entries),
        "complete": complete,
    }
