"""A pupil's chronology: every incident about them (or where they are linked), in the order things happened, each
with what a reader at a meeting needs (categories and sub-categories, where and when, who recorded it, status and
concern level, the account, body-map marks, the other pupils involved) and, beneath it, its actions, decisions and
changes in their own time order.

Entries are keyed by when the incident happened (`<occurred_at>#<incident_id>`), so a backdated incident falls in
its place; newest first by default, oldest first on request. A reader sees only incidents in categories they may
read, and is told so; nothing says whether a hidden record exists.

Calls per page, whatever the pupil's history: GetItem (the pupil), one Query (the page of entries, filtered in
DynamoDB to what the reader may read), BatchGet (those incidents, for their current state and account), Query
(staff directory, for who recorded them), BatchGet (the other pupils' names), PutItem (audit).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from chalicelib import access, audit, paging, people
from chalicelib.body_map import mark_name
from chalicelib.errors import ForbiddenError, InvalidInputError
from chalicelib.incidents.review import plain, state_of
from chalicelib.models import ChronologyEntry, Incident, Pupil, Staff
from chalicelib.settings import SchoolSettings

PAGE_SIZE = 20
MAX_EMPTY_PAGES = 10
MAX_PDF_ENTRIES = 2_000  # a whole chronology for the pupil's file, in pages of PAGE_SIZE
NO_ACCESS = "You do not have access to this record."
ORDERS = ("newest", "oldest")
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


def readable_categories(school: SchoolSettings, role: str) -> list[str]:
    return [c.name for c in school.categories if access.may_read_categories(role, [c.name], school)]


def _bound(school: SchoolSettings, text: str | None, field: str, *, end: bool) -> str | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2200:  # 9999-12-31 would overflow a day later
        raise InvalidInputError("Check the dates.", {field: "Enter a date, like 27/11/2026."})
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=school.zone)
    return moment.astimezone(UTC).isoformat()


class Reader:
    """One reader's view of one pupil's chronology, with its filters, read a page at a time."""

    def __init__(
        self,
        school: SchoolSettings,
        user: Staff,
        pupil_id: str,
        *,
        category: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        order: str | None = None,
    ) -> None:
        if not re.fullmatch(_ID, pupil_id or ""):
            raise ForbiddenError(NO_ACCESS)
        self.school, self.user, self.pupil_id = school, user, pupil_id
        self.readable = readable_categories(school, user.role)
        # A category the reader may not read is refused exactly like one that does not exist.
        if category and category not in self.readable:
            message = "Choose a category from the list."
            raise InvalidInputError(message, {"category": message})
        if order and order not in ORDERS:
            raise InvalidInputError("Choose newest or oldest first.", {"order": "Choose newest or oldest first."})
        self.category, self.order = category, order or "newest"
        start = _bound(school, date_from, "from", end=False)
        stop = _bound(school, date_to, "to", end=True)
        if start and stop:
            self.range = ChronologyEntry.entry.between(start, stop)
        elif start:
            self.range = ChronologyEntry.entry >= start
        elif stop:
            self.range = ChronologyEntry.entry < stop
        else:
            self.range = None
        try:
            self.pupil = Pupil.get(pupil_id)
        except Pupil.DoesNotExist:
            raise ForbiddenError(NO_ACCESS) from None
        self.staff: dict[str, Staff] | None = None

    def _filter(self):
        """In DynamoDB: the chosen category, and never a category the reader may not read."""
        condition = ChronologyEntry.categories.contains(self.category) if self.category else None
        for category in self.school.categories:
            if category.name not in self.readable:
                hide = ~ChronologyEntry.categories.contains(category.name)
                condition = hide if condition is None else condition & hide
        return condition

    def page(self, cursor: dict | None) -> tuple[list[dict], dict | None]:
        """One page of entries from `cursor`: one Query (more only while whole pages are filtered away)."""
        entries: list[ChronologyEntry] = []
        start_key = cursor
        for _ in range(MAX_EMPTY_PAGES):
            results = ChronologyEntry.query(
                self.pupil_id,
                range_key_condition=self.range,
                filter_condition=self._filter(),
                scan_index_forward=self.order == "oldest",
                limit=PAGE_SIZE,
                last_evaluated_key=start_key,
            )
            entries.extend(results)
            start_key = results.last_evaluated_key
            if entries or not start_key:
                break
        return self._describe(entries), start_key

    def _describe(self, entries: list[ChronologyEntry]) -> list[dict]:
        if not entries:
            return []
        incidents = {i.incident_id: i for i in Incident.batch_get(list(dict.fromkeys(e.incident_id for e in entries)))}
        if self.staff is None:
            self.staff = people.directory()
        others = {pid for i in incidents.values() for pid in (i.pupil_id, *i.linked_pupil_ids)} - {self.pupil_id}
        names = {p.pupil_id: p.full_name for p in Pupil.batch_get(others)} if others else {}
        names[self.pupil_id] = self.pupil.full_name
        rows = []
        for entry in entries:
            incident = incidents.get(entry.incident_id)
            if incident is None:
                continue
            state = state_of(incident)
            # The incident's own state decides (the entry's copy of its categories is only for the Query's filter).
            if not access.may_read_categories(self.user.role, state["categories"], self.school):
                continue
            rows.append(self._entry(entry, incident, state, names))
        return rows

    def _entry(self, entry: ChronologyEntry, incident: Incident, state: dict, names: dict[str, str]) -> dict:
        reporter = self.staff.get(incident.reporter_id)
        timeline = [plain(item) for item in entry.timeline]
        pupils = [{"id": incident.pupil_id, "involvement": "subject"}] + [
            {"id": pid, "involvement": "linked"} for pid in incident.linked_pupil_ids
        ]
        return {
            "incident_id": incident.incident_id,
            "reference": incident.reference,
            "kind": "incident",
            "involvement": entry.involvement,
            "at": incident.occurred_at.isoformat(),
            "recorded_at": incident.recorded_at.isoformat(),
            "day": incident.day,
            "session": incident.session,
            "location": incident.location,
            "categories": state["categories"],
            "subcategories": state["subcategories"],
            "status": state["status"],
            "concern_level": state["concern_level"],
            "reporter": reporter.name if reporter else "A former member of staff",
            "account": incident.account,
            "body_marks": [_mark(m) for m in incident.body_marks],
            "pupils": [
                {**p, "name": names.get(p["id"], "Pupil no longer on record"), "this": p["id"] == self.pupil_id}
                for p in pupils
            ],
            "timeline": [
                {"at": item["at"], "kind": item["kind"], "text": item["text"], "by": item["by"]}
                for item in sorted(timeline, key=lambda item: item["at"])
            ],
        }

    def pupil_summary(self) -> dict:
        pupil = self.pupil
        return {
            "id": pupil.pupil_id,
            "name": pupil.full_name,
            "year_group": pupil.year_group,
            "class_name": pupil.class_name,
            "date_of_birth": pupil.date_of_birth,
            "flags": flags(pupil),
        }

    def scope(self) -> dict:
        """What the page says about the categories shown: all of them, or the ones this reader has access to."""
        return {
            "readable_categories": self.readable,
            "all_categories": len(self.readable) == len(self.school.categories),
            "order": self.order,
        }


def _mark(mark) -> str:
    try:
        name = mark_name(mark.region)
    except KeyError:
        name = mark.region
    return f"{name}: {mark.note}" if mark.note else name


def chronology(
    school: SchoolSettings,
    user: Staff,
    pupil_id: str,
    source: dict,
    *,
    category: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    order: str | None = None,
    cursor: str | None = None,
) -> dict:
    """One page of the chronology for `user`, audited as a read."""
    reader = Reader(school, user, pupil_id, category=category, date_from=date_from, date_to=date_to, order=order)
    message = "That page of the chronology could not be found. Start again."
    entries, last = reader.page(paging.decode(cursor, "pupil_id", pupil_id, "entry", message=message))
    audit.record(f"pupil#{pupil_id}", user.staff_id, "viewed the chronology", source)
    return {
        "pupil": reader.pupil_summary(),
        **reader.scope(),
        "entries": entries,
        "next": paging.encode(last["entry"]["S"]) if last else None,
    }


def whole(reader: Reader) -> tuple[list[dict], bool]:
    """Every entry for the reader's filters (up to MAX_PDF_ENTRIES), and whether that was all of them."""
    entries: list[dict] = []
    cursor = None
    while True:
        page, cursor = reader.page(cursor)
        entries.extend(page)
        if not cursor:
            return entries, True
        if len(entries) >= MAX_PDF_ENTRIES:
            return entries, False
