"""Checking an Add Incident submission against the school's settings. Pure: no I/O, no AWS.

The request model (chalicelib/web/requests.py `NewIncident`) has already checked the submission's shape: types,
lengths, counts, ids that look like ids, dates and times that exist. What is checked here depends on the school's
settings or the clock: categories, sub-categories and questions, sessions, locations and agencies that exist; a
moment not in the future; a body-map mark on the map. Every problem is reported at once, keyed by the name of what
was sent (`pupil_id`, `subcategories.Behaviour`, `answers.outcomes`, `planner.due_at`); the web layer puts each on
its form field. Answers to questions of categories that are not ticked are discarded.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, NamedTuple

from chalicelib.body_map import body_regions, regions_by_id
from chalicelib.errors import InvalidInputError
from chalicelib.settings import SchoolSettings

if TYPE_CHECKING:
    from chalicelib.web.requests import BodyMarkIn, NewIncident, PlannerIn

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
PROBLEM = "There is a problem with the incident. Nothing has been saved yet."


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


class Problems:
    """Collects one message per name of what was sent (the first problem of each)."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.found.setdefault(name, message)

    def __contains__(self, name: str) -> bool:
        return name in self.found

    def choices(self, chosen: list[str], name: str, allowed, message: str) -> list[str]:
        """Names ticked from one of the settings' lists, in the settings' order, each once."""
        unknown = [v for v in chosen if v not in allowed]
        if unknown:
            self.fail(name, f"{unknown[0]!r} is not one of the choices. {message}")
        return [v for v in allowed if v in chosen]

    def one_of(self, value: str, name: str, allowed, message: str) -> str:
        if value not in allowed:
            self.fail(name, message)
            return ""
        return value

    def raise_any(self, message: str) -> None:
        if self.found:
            raise InvalidInputError(message, self.found)


def local_moment(school: SchoolSettings, day_text, clock_text) -> datetime | None:
    try:
        day = date.fromisoformat(day_text) if isinstance(day_text, str) and len(day_text) == 10 else None
        clock = time.fromisoformat(clock_text) if isinstance(clock_text, str) and len(clock_text) == 5 else None
    except ValueError:
        return None
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock, tzinfo=school.zone).astimezone(UTC)


def parse_submission(form: NewIncident, school: SchoolSettings, now: datetime) -> Submission:
    """Check a submission against the settings and the clock; raise `InvalidInputError` with a message per field
    (every problem at once), or return a Submission."""
    check = Problems()
    if form.pupil_id in form.linked_pupil_ids:
        check.fail("linked_pupil_ids", "The student this incident is about cannot also be a linked student.")

    names = [c.name for c in school.categories]
    categories = check.choices(form.categories, "categories", names, "Choose at least one category.")
    if not categories and "categories" not in check:
        check.fail("categories", "Choose at least one category.")
    chosen_subcategories: dict[str, list[str]] = {}
    answers: dict[str, list[str] | str] = {}
    known_questions = question_ids(school, names)
    for question_id in sorted(set(form.answers) - known_questions):
        check.fail(f"answers.{question_id}", "This is not a question Lantern asks.")
    for name in categories:
        category = school.category(name)
        field = f"subcategories.{name}"
        message = f"Choose at least one {name} sub-category."
        chosen = check.choices(form.subcategories.get(name, []), field, category.subcategories, message)
        if not chosen and field not in check:
            check.fail(field, message)
        chosen_subcategories[name] = chosen
        for subcategory in chosen:
            if SPECIFY in subcategory:  # "Other (please specify)": its box is required once it is ticked
                answer_id = specify_id(name)
                box = f"answers.{answer_id}"
                text = form.answers.get(answer_id, "")
                if isinstance(text, str) and text:
                    answers[answer_id] = text
                elif not isinstance(text, str):
                    check.fail(box, "What it was must be text.")
                else:
                    check.fail(box, f"Say what the other kind of {name.lower()} was.")
        for question in category.questions:
            value = form.answers.get(question.id)
            field = f"answers.{question.id}"
            if value is None:
                continue
            if question.kind == "text":
                if not isinstance(value, str):
                    check.fail(field, f"{question.label} must be text.")
                elif value:
                    answers[question.id] = value
            elif not isinstance(value, list):
                check.fail(field, f"Choose from the {question.label} list.")
            else:
                picked = check.choices(value, field, question.options, f"Choose from the {question.label} list.")
                if picked:
                    answers[question.id] = picked

    occurred_at = local_moment(school, form.date, form.time) or now
    if occurred_at > now + FUTURE_TOLERANCE:
        check.fail("occurred_at", "The date and time of the incident cannot be in the future.")
    elif occurred_at < EARLIEST:
        check.fail("date", "Check the year of the incident.")
    session = check.one_of(form.session, "session", session_choices(school), "Choose the session.")
    location = check.one_of(form.location, "location", school.locations, "Choose the location of the incident.")
    body_marks = _body_marks(check, form.body_marks)
    agencies = check.choices(form.agencies, "agencies", school.agencies, "Choose agencies from the list.")
    planner = None
    if form.planner is not None:
        planner = read_planner(check, form.planner, school, now, prefix="planner.")

    check.raise_any(PROBLEM)
    return Submission(
        idempotency_key=form.idempotency_key,
        pupil_id=form.pupil_id,
        linked_pupil_ids=list(form.linked_pupil_ids),
        categories=categories,
        subcategories=chosen_subcategories,
        answers=answers,
        occurred_at=occurred_at,
        day=form.day,
        session=session,
        location=location,
        account=form.account,
        body_marks=body_marks,
        status=form.status,
        assigned_ids=list(form.assigned_ids),
        alerted_ids=list(form.alerted_ids),
        agencies=agencies,
        planner=planner,
        upload_ids=list(form.upload_ids),
    )


def _body_marks(check: Problems, marks: list[BodyMarkIn]) -> list[dict]:
    """The marks, each on the map: a region of its view, the point inside the outline."""
    x0, y0, width, height = body_regions()["viewBox"]
    found = []
    for number, mark in enumerate(marks, start=1):
        region = regions_by_id().get(mark.region)
        if region is None or mark.view != region["view"]:
            check.fail("body_marks", f"Mark {number} is not on the body map. Remove it and mark again.")
            continue
        x, y = mark.x, mark.y
        if not all(math.isfinite(v) for v in (x, y)) or not (x0 <= x <= x0 + width and y0 <= y <= y0 + height):
            check.fail("body_marks", f"Mark {number} is outside the body map. Remove it and mark again.")
            continue
        found.append(
            {"view": region["view"], "region": region["id"], "x": round(x, 1), "y": round(y, 1), "note": mark.note}
        )
    return found


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


def read_planner(
    check: Problems, planner: PlannerIn, school: SchoolSettings, now: datetime, *, prefix: str = ""
) -> Planner | None:
    """A reminder's date and time (school time), checked: in the future, within a year. Problems are keyed
    `{prefix}due_at` (the moment) and `{prefix}date` (too far ahead)."""
    due_at = local_moment(school, planner.date, planner.time)
    if due_at is None:  # the request model lets only real dates and times through
        check.fail(f"{prefix}date", "Enter the date and time for your reminder.")
        return None
    if due_at <= now:
        check.fail(f"{prefix}due_at", "Choose a date and time in the future for your reminder.")
        return None
    if due_at > now + timedelta(days=366):
        check.fail(f"{prefix}date", "Choose a date within the next year for your reminder.")
        return None
    return Planner(due_at=due_at, note=planner.note)
