"""Date ranges as the school speaks of them ("this half-term"), turned into UTC instants for the index.

A range is two school dates, both included: it runs from midnight at the start of `first` to midnight at the end
of `last`, in the school's time zone (so a concern at 23:30 on the last day, in British Summer Time, is in it).

>>> Period(date(2026, 11, 2), date(2026, 11, 8)).days
7
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from chalicelib.errors import InvalidInputError
from chalicelib.settings import SchoolSettings

PRESETS = {
    "week": "This week",
    "half-term": "This half-term",
    "term": "This term",
    "year": "This school year",
    "custom": "Custom dates",
}
MAX_DAYS = 3 * 366  # a report covers at most three school years
SCHOOL_YEAR_STARTS = (9, 1)  # 1 September


class Period(NamedTuple):
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The same number of days just before this one: the headline figures' comparison."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def instants(self, school: SchoolSettings) -> tuple[datetime, datetime]:
        """[start, end) in UTC: midnight starting `first` and midnight ending `last`, in school time."""
        zone = school.zone
        start = datetime.combine(self.first, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        return start, end


def months_between(start: datetime, end: datetime) -> list[str]:
    """The UTC months ("2026-11") that [start, end) touches: the index's partitions to Query."""
    months = []
    year, month = start.year, start.month
    last = end - timedelta(microseconds=1)
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _halves(term) -> list[Period]:
    first, last = date.fromisoformat(term.start), date.fromisoformat(term.end)
    if not term.half_term:
        return [Period(first, last)]
    off, back = (date.fromisoformat(d) for d in term.half_term)
    return [Period(first, off - timedelta(days=1)), Period(back + timedelta(days=1), last)]


def _current_or_latest(periods: list[Period], today: date) -> Period | None:
    """The period containing today or, in a holiday, the latest one before it (else the first one to come)."""
    started = [p for p in periods if p.first <= today]
    if started:
        return started[-1]
    return periods[0] if periods else None


def school_year(today: date) -> Period:
    month, day = SCHOOL_YEAR_STARTS
    year = today.year if (today.month, today.day) >= (month, day) else today.year - 1
    return Period(date(year, month, day), date(year + 1, month, day) - timedelta(days=1))


def preset_period(school: SchoolSettings, preset: str, today: date) -> Period | None:
    """The period a preset names today, or None when the school's settings do not say (no term dates)."""
    if preset == "week":
        monday = today - timedelta(days=today.weekday())
        return Period(monday, monday + timedelta(days=6))
    if preset == "year":
        return school_year(today)
    terms = [Period(date.fromisoformat(t.start), date.fromisoformat(t.end)) for t in school.terms]
    if preset == "term":
        return _current_or_latest(terms, today)
    if preset == "half-term":
        return _current_or_latest([half for t in school.terms for half in _halves(t)], today)
    return None


def available_presets(school: SchoolSettings) -> list[str]:
    return [p for p in PRESETS if p not in ("term", "half-term") or school.terms]


def choose(school: SchoolSettings, preset: str | None, first: str | None, last: str | None, today: date) -> Period:
    """The report's period from the page's choice: a preset, or custom dates (both needed, at most three years)."""
    preset = preset or ("term" if school.terms else "year")
    if preset not in available_presets(school):
        raise InvalidInputError("Choose a period from the list.", {"preset": "Choose a period from the list."})
    if preset != "custom":
        return preset_period(school, preset, today)
    problems = {}
    days = {}
    for field, text in (("from", first), ("to", last)):
        try:
            days[field] = date.fromisoformat(text or "")
        except ValueError:
            problems[field] = "Enter a date, like 27/11/2026."
    if not problems and days["to"] < days["from"]:
        problems["to"] = "The ‘To’ date must be the same as or after the ‘From’ date."
    if not problems and (days["to"] - days["from"]).days >= MAX_DAYS:
        problems["to"] = "Choose at most three school years."
    if problems:
        raise InvalidInputError("Check the dates.", problems)
    return Period(days["from"], days["to"])
