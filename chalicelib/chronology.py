"""A pupil's chronology: every incident about them (or where they are linked), newest first, with its actions
and changes, filtered to what the reader may see. One Query per page (and the pupil's record on the first)."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime, time, timedelta

from chalicelib import access, audit
from chalicelib.errors import ForbiddenError, InvalidInputError
from chalicelib.models import ChronologyEntry, Pupil, Staff
from chalicelib.settings import SchoolSettings

PAGE_SIZE = 20
MAX_EMPTY_PAGES = 10
NO_ACCESS = "You do not have access to this record."
_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def flags(pupil: Pupil) -> list[str]:
    found = [pupil.sen] if pupil.sen and pupil.sen != "None" else []
    for present, label in (
        (pupil.pupil_premium, "Pupil premium"),
        (pupil.eal, "EAL"),
        (pupil.looked_after, "Looked after"),
        (pupil.cp_plan, "Child protection plan"),
    ):
        if present:
            found.append(label)
    return found


def _bound(school: SchoolSettings, text: str | None, field: str, *, end: bool) -> str | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError("Check the dates.", {field: "Enter a date, like 27/11/2026."}) from None
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=school.zone)
    return moment.astimezone(UTC).isoformat()


def _cursor(value: str | None) -> dict | None:
    if not value:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(value.encode()))
    except ValueError:
        raise InvalidInputError("That page of the chronology could not be found. Start again.") from None


def _rows(entry: ChronologyEntry) -> list[dict]:
    """The incident, then its actions and changes newest first."""
    base = {
        "incident_id": entry.incident_id,
        "reference": entry.reference,
        "categories": list(entry.categories),
        "involvement": entry.involvement,
    }
    rows = [
        {
            **base,
            "at": entry.entry.split("#", 1)[0],
            "kind": "incident",
            "summary": f"{' and '.join(entry.categories)} – {entry.location} – {entry.status}",
            "text": "",
        }
    ]
    items = [item.as_dict() if hasattr(item, "as_dict") else item for item in entry.timeline]
    for item in sorted(items, key=lambda i: i["at"], reverse=True):
        kind = "action" if item["kind"] == "action" else "change"
        rows.append({**base, "at": item["at"], "kind": kind, "summary": item["by"], "text": item["text"]})
    return rows


def chronology(
    school: SchoolSettings,
    user: Staff,
    pupil_id: str,
    source: dict,
    *,
    category: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    cursor: str | None = None,
) -> dict:
    if not re.fullmatch(_ID, pupil_id or ""):
        raise ForbiddenError(NO_ACCESS)
    if category and school.category(category) is None:
        raise InvalidInputError("Choose a category from the list.", {"category": "Choose a category from the list."})
    start = _bound(school, date_from, "from", end=False)
    stop = _bound(school, date_to, "to", end=True)
    try:
        pupil = Pupil.get(pupil_id)
    except Pupil.DoesNotExist:
        raise ForbiddenError(NO_ACCESS) from None

    range_condition = None
    if start and stop:
        range_condition = ChronologyEntry.entry.between(start, stop)
    elif start:
        range_condition = ChronologyEntry.entry >= start
    elif stop:
        range_condition = ChronologyEntry.entry < stop

    def may_read(entry: ChronologyEntry) -> bool:
        # A leader never sees that a Safeguarding concern exists.
        return access.may_read_categories(user.role, list(entry.categories), school)

    rows: list[dict] = []
    start_key = _cursor(cursor)
    # One Query a page; only when everything on a page is hidden from this reader (a leader and a run of
    # Safeguarding concerns) is the next page fetched, so "nothing recorded" is never shown while more exist.
    for _ in range(MAX_EMPTY_PAGES):
        results = ChronologyEntry.query(
            pupil_id,
            range_key_condition=range_condition,
            filter_condition=ChronologyEntry.categories.contains(category) if category else None,
            scan_index_forward=False,
            limit=PAGE_SIZE,
            last_evaluated_key=start_key,
        )
        for entry in results:
            if may_read(entry):
                rows.extend(_rows(entry))
        start_key = results.last_evaluated_key
        if rows or not start_key:
            break
    last = start_key
    audit.record(f"pupil#{pupil_id}", user.staff_id, "viewed the chronology", source)
    return {
        "pupil": {
            "id": pupil.pupil_id,
            "name": pupil.full_name,
            "year_group": pupil.year_group,
            "class_name": pupil.class_name,
            "date_of_birth": pupil.date_of_birth,
            "flags": flags(pupil),
        },
        "entries": rows,
        "next": base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None,
    }
