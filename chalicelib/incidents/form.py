"""Checking an Add Incident submission against the school's settings. Pure: no I/O, no AWS.

Every problem is reported against the form element it belongs to (the keys are the form's element ids), so the
page can show a GOV.UK error summary linking to each field. Answers to questions of categories that are not
ticked are discarded.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from chalicelib.body_map import body_regions, regions_by_id
from chalicelib.errors import InvalidInputError
from chalicelib.settings import SchoolSettings

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STATUSES = ("Active", "Closed")
ACCOUNT_MAX = 10_000
TEXT_ANSWER_MAX = 2_000
MARK_NOTE_MAX = 200
PLANNER_NOTE_MAX = 500
MAX_LINKED = 15
MAX_ALERTED = 20
MAX_ASSIGNED = 10
MAX_MARKS = 40
MAX_FILES = 10
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# A pupil: their id, or a reference from the typeahead's roster (`<answer>.<n>`), which the service resolves to the
# pupil that answer offered (chalicelib/people.py `pupil_ids`).
_PUPIL = rf"{_ID}|[0-9a-f]{{32}}\.(?:0|[1-9][0-9]{{0,4}})"
_KEY = r"[A-Za-z0-9-]{8,64}"

FIELDS = {
    "idempotency_key", "pupil_id", "linked_pupil_ids", "categories", "subcategories", "answers", "date", "time",
    "day", "session", "location", "account", "body_marks", "status", "assigned_ids", "alerted_ids", "agencies",
    "planner", "upload_ids",
}  # fmt: skip


class Planner(NamedTuple):
    due_at: datetime
    note: str


class Submission(NamedTuple):
    idempotency_key: str
    pupil_id: str  # as sent (an id or a roster reference) until the service resolves it to the pupil's id
    linked_pupil_ids: list[str]
    categories: list[str]
    subcategories: dict[str, list[str]]
    answers: dict[str, list[str] | str]
    occurred_at: datetime
    day: str
    session: str
    location: str
    account: str
    body_marks: list[dict]
    status: str
    assigned_ids: list[str]
    alerted_ids: list[str]
    agencies: list[str]
    planner: Planner | None
    upload_ids: list[str]


class FieldChecker:
    """Collects one message per form field."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.problems.setdefault(field, message)

    def ids(self, value, field: str, label: str, limit: int, pattern: str = _ID) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and re.fullmatch(pattern, v) for v in value):
            self.fail(field, f"Choose {label} from the list.")
            return []
        if len(set(value)) != len(value):
            self.fail(field, f"{label[0].upper()}{label[1:]} are listed twice.")
        if len(value) > limit:
            self.fail(field, f"Choose {limit} {label} or fewer.")
        return list(dict.fromkeys(value))

    def choices(self, value, field: str, allowed, message: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(field, message)
            return []
        unknown = [v for v in value if v not in allowed]
        if unknown:
            self.fail(field, f"{unknown[0]!r} is not one of the choices. {message}")
        return [v for v in allowed if v in value]  # the settings' order, no duplicates

    def one_of(self, value, field: str, allowed, message: str) -> str:
        if not isinstance(value, str) or value not in allowed:
            self.fail(field, message)
            return ""
        return value

    def text(self, value, field: str, label: str, limit: int, *, required: bool) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(field, f"{label} must be text.")
            return ""
        value = value.strip()
        if required and not value:
            self.fail(field, f"Enter the {label.lower()}.")
        elif len(value) > limit:
            self.fail(field, f"{label} must be {limit:,} characters or fewer. It has {len(value):,}.")
        return value


def local_moment(school: SchoolSettings, day_text, clock_text) -> datetime | None:
    try:
        day = date.fromisoformat(day_text) if isinstance(day_text, str) and len(day_text) == 10 else None
        clock = time.fromisoformat(clock_text) if isinstance(clock_text, str) and len(clock_text) == 5 else None
    except ValueError:
        return None
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock, tzinfo=school.zone).astimezone(UTC)


def parse_submission(data: dict, school: SchoolSettings, now: datetime) -> Submission:
    """Check everything a form sends; raise `InvalidInputError` with a message per field, or return a Submission."""
    check = FieldChecker()
    for unknown in sorted(set(data) - FIELDS):
        check.fail(unknown, "This is not a field Lantern expects.")

    key = data.get("idempotency_key")
    if not isinstance(key, str) or not re.fullmatch(_KEY, key):
        raise InvalidInputError("The form is out of date. Reload the page (what you typed will be kept) and try again.")

    pupil_id = data.get("pupil_id")
    if not isinstance(pupil_id, str) or not re.fullmatch(_PUPIL, pupil_id):
        check.fail("pupil", "Choose the student from the list: start typing their first name.")
        pupil_id = ""
    linked = check.ids(data.get("linked_pupil_ids"), "linked-pupils", "linked students", MAX_LINKED, _PUPIL)
    if pupil_id in linked:
        check.fail("linked-pupils", "The student this incident is about cannot also be a linked student.")

    names = [c.name for c in school.categories]
    categories = check.choices(data.get("categories"), "categories", names, "Choose at least one category.")
    if not categories and "categories" not in check.problems:
        check.fail("categories", "Choose at least one category.")
    chosen_subcategories: dict[str, list[str]] = {}
    raw_subcategories = data.get("subcategories") or {}
    raw_answers = data.get("answers") or {}
    if not isinstance(raw_subcategories, dict):
        check.fail("categories", "Choose the sub-categories from the list.")
        raw_subcategories = {}
    if not isinstance(raw_answers, dict):
        check.fail("categories", "Answer the questions from the list.")
        raw_answers = {}
    answers: dict[str, list[str] | str] = {}
    known_questions = question_ids(school, [c.name for c in school.categories])
    for question_id in sorted(set(raw_answers) - known_questions):
        check.fail(f"question-{question_id}", "This is not a question Lantern asks.")
    for name in categories:
        category = school.category(name)
        field = f"subcategories-{name}"
        message = f"Choose at least one {name} sub-category."
        chosen = check.choices(raw_subcategories.get(name), field, category.subcategories, message)
        if not chosen and field not in check.problems:
            check.fail(field, message)
        chosen_subcategories[name] = chosen
        for subcategory in chosen:
            if SPECIFY in subcategory:  # "Other (please specify)": its box is required once it is ticked
                answer_id = specify_id(name)
                box = f"question-{answer_id}"
                text = check.text(raw_answers.get(answer_id), box, "What it was", TEXT_ANSWER_MAX, required=False)
                if text:
                    answers[answer_id] = text
                elif box not in check.problems:
                    check.fail(box, f"Say what the other kind of {name.lower()} was.")
        for question in category.questions:
            value = raw_answers.get(question.id)
            field = f"question-{question.id}"
            if question.kind == "text":
                text = check.text(value, field, question.label, TEXT_ANSWER_MAX, required=False)
                if text:
                    answers[question.id] = text
            else:
                picked = check.choices(value, field, question.options, f"Choose from the {question.label} list.")
                if picked:
                    answers[question.id] = picked

    occurred_at = local_moment(school, data.get("date"), data.get("time"))
    if occurred_at is None:
        check.fail("date", "Enter the date and time of the incident, like 27/11/2026 and 10:30.")
        occurred_at = now
    elif occurred_at > now + FUTURE_TOLERANCE:
        check.fail("time", "The date and time of the incident cannot be in the future.")
    elif occurred_at < EARLIEST:
        check.fail("date", "Check the year of the incident.")
    day = check.one_of(data.get("day"), "day", WEEKDAYS, "Choose the day of the week.")
    session = check.one_of(data.get("session"), "session", session_choices(school), "Choose the session.")
    location = check.one_of(data.get("location"), "location", school.locations, "Choose the location of the incident.")
    account = check.text(data.get("account"), "account", "Incident", ACCOUNT_MAX, required=True)
    if "account" in check.problems and not account:
        check.problems["account"] = "Write what happened in the incident box."

    body_marks = _body_marks(check, data.get("body_marks"))
    status = check.one_of(data.get("status"), "status", STATUSES, "Choose Active or Closed.")
    assigned = check.ids(data.get("assigned_ids"), "assign-to", "people to assign", MAX_ASSIGNED)
    alerted = check.ids(data.get("alerted_ids"), "alert", "people to alert", MAX_ALERTED)
    agencies = check.choices(data.get("agencies"), "agencies", school.agencies, "Choose agencies from the list.")
    planner = read_planner(check, data.get("planner"), school, now)
    upload_ids = check.ids(data.get("upload_ids"), "files", "files", MAX_FILES)

    if check.problems:
        raise InvalidInputError("There is a problem with the incident. Nothing has been saved yet.", check.problems)
    return Submission(
        idempotency_key=key,
        pupil_id=pupil_id,
        linked_pupil_ids=linked,
        categories=categories,
        subcategories=chosen_subcategories,
        answers=answers,
        occurred_at=occurred_at,
        day=day,
        session=session,
        location=location,
        account=account,
        body_marks=body_marks,
        status=status,
        assigned_ids=assigned,
        alerted_ids=alerted,
        agencies=agencies,
        planner=planner,
        upload_ids=upload_ids,
    )


def _body_marks(check: FieldChecker, value) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        check.fail("body-map", "The body map marks could not be read. Remove them and mark again.")
        return []
    if len(value) > MAX_MARKS:
        check.fail("body-map", f"Use {MAX_MARKS} marks or fewer on the body map.")
        return []
    x0, y0, width, height = body_regions()["viewBox"]
    marks = []
    for number, mark in enumerate(value, start=1):
        region = regions_by_id().get(mark.get("region")) if isinstance(mark, dict) else None
        if region is None or set(mark) - {"view", "region", "x", "y", "note"} or mark.get("view") != region["view"]:
            check.fail("body-map", f"Mark {number} is not on the body map. Remove it and mark again.")
            continue
        x, y = mark.get("x"), mark.get("y")
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (x, y))
        if not numbers or not (x0 <= x <= x0 + width and y0 <= y <= y0 + height):
            check.fail("body-map", f"Mark {number} is outside the body map. Remove it and mark again.")
            continue
        note = check.text(mark.get("note"), "body-map", f"The note on mark {number}", MARK_NOTE_MAX, required=False)
        marks.append({"view": region["view"], "region": region["id"], "x": round(x, 1), "y": round(y, 1), "note": note})
    return marks


SPECIFY = "(please specify)"


def specify_id(category: str) -> str:
    """The answer that says what "Other (please specify)" was, for one category: `bullying_other`."""
    return f"{category.lower()}_other"


def question_ids(school: SchoolSettings, categories: list[str]) -> set[str]:
    """Every answer these categories may hold: their questions, and what an "(please specify)" choice was."""
    ids = set()
    for name in categories:
        category = school.category(name)
        if category is None:
            continue
        ids |= {q.id for q in category.questions}
        if any(SPECIFY in sub for sub in category.subcategories):
            ids.add(specify_id(name))
    return ids


OUTSIDE_SESSIONS = "Outside session times"  # for a concern at home, at the weekend or after school


def session_choices(school: SchoolSettings) -> list[str]:
    """The Session list: the school's sessions, then one for any time outside them."""
    return [s.name for s in school.sessions] + [OUTSIDE_SESSIONS]


def read_planner(check: FieldChecker, value, school: SchoolSettings, now: datetime) -> Planner | None:
    """A reminder's date, time (school time) and note, checked: in the future, within a year."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"date", "time", "note"}:
        check.fail("planner-date", "The planner reminder could not be read. Choose its date and time again.")
        return None
    due_at = local_moment(school, value.get("date"), value.get("time"))
    note = check.text(value.get("note"), "planner-note", "Planner note", PLANNER_NOTE_MAX, required=False)
    if due_at is None:
        check.fail("planner-date", "Enter the date and time for your reminder.")
        return None
    if due_at <= now:
        check.fail("planner-time", "Choose a date and time in the future for your reminder.")
        return None
    if due_at > now + timedelta(days=366):
        check.fail("planner-date", "Choose a date within the next year for your reminder.")
        return None
    return Planner(due_at=due_at, note=note)
