"""Every chart of the reports page from one list of incidents, in one pass, for one reader. Pure: no I/O.

What is counted, as the page says: **incidents**. An incident with two categories counts once in each category
(so the categories add up to more than the total); by year group, class and pupil flag an incident counts under the
pupil it is about, as they were when it was added (linked pupils are not counted there); "pupils with most
incidents" counts each pupil's incidents, as the pupil it is about or as a linked pupil.

An incident the reader may not read (a leader and any Safeguarding category) is dropped before anything is counted:
it is in no chart, no total and no comparison.

>>> report = aggregate(school, "dsl", [], Filters(), Period(date(2026, 11, 2), date(2026, 11, 8)))
>>> report["total"]
0
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import NamedTuple

from chalicelib import access
from chalicelib.reports.periods import Period
from chalicelib.settings import PUPIL_FLAGS, SchoolSettings

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STATUSES = ("Active", "Closed")
TOP_PUPILS = 10
WEEKLY_UP_TO_DAYS = 123  # a range up to about a term is shown week by week; longer ranges month by month


class Filters(NamedTuple):
    category: str = ""
    subcategory: str = ""
    year_group: str = ""
    class_name: str = ""
    flag: str = ""
    location: str = ""
    session: str = ""
    status: str = ""


class ReportIncident(NamedTuple):
    """What a report needs of one incident: the index's projection, with its current state."""

    incident_id: str
    reference: str
    occurred_at: datetime  # UTC
    day: str
    session: str
    location: str
    pupil_id: str
    linked_pupil_ids: tuple[str, ...]
    groups: dict  # pupil_id → {"year_group", "class_name", "flags"} when added
    categories: tuple[str, ...]
    subcategories: dict  # category → [sub-category, ...]
    answers: dict  # question id → [option, ...] or text
    status: str

    def group(self, pupil_id: str | None = None) -> dict:
        return self.groups.get(pupil_id or self.pupil_id) or {}


def readable(school: SchoolSettings, role: str, incidents) -> list[ReportIncident]:
    """Only the incidents this role may read every category of."""
    return [i for i in incidents if access.may_read_categories(role, list(i.categories), school)]


def matches(incident: ReportIncident, filters: Filters) -> bool:
    group = incident.group()
    if filters.category and filters.category not in incident.categories:
        return False
    if filters.subcategory and filters.subcategory not in incident.subcategories.get(filters.category, []):
        return False
    if filters.year_group and group.get("year_group") != filters.year_group:
        return False
    if filters.class_name and group.get("class_name") != filters.class_name:
        return False
    if filters.flag and filters.flag not in (group.get("flags") or []):
        return False
    if filters.location and incident.location != filters.location:
        return False
    if filters.session and incident.session != filters.session:
        return False
    return not (filters.status and incident.status != filters.status)


def year_order(year_group: str) -> tuple[int, str]:
    """Nursery, Reception, Year 1 … Year 13, then anything else by name."""
    if year_group == "Nursery":
        return (-2, "")
    if year_group == "Reception":
        return (-1, "")
    words = year_group.split()
    if len(words) == 2 and words[0] == "Year" and words[1].isdigit():
        return (int(words[1]), "")
    return (99, year_group)


def _interval(period: Period, wanted: str) -> str:
    if wanted in ("week", "month"):
        return wanted
    return "week" if period.days <= WEEKLY_UP_TO_DAYS else "month"


def _buckets(period: Period, interval: str) -> list[str]:
    if interval == "week":
        monday = period.first - timedelta(days=period.first.weekday())
        count = (period.last - monday).days // 7 + 1
        return [(monday + timedelta(weeks=n)).isoformat() for n in range(count)]
    months, (year, month) = [], (period.first.year, period.first.month)
    while (year, month) <= (period.last.year, period.last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _bucket(local_day: date, interval: str) -> str:
    if interval == "week":
        return (local_day - timedelta(days=local_day.weekday())).isoformat()
    return f"{local_day.year:04d}-{local_day.month:02d}"


def _rows(counter: Counter, order: list[str] | None = None, *, keep_zero: bool = True) -> list[dict]:
    """[{label, count}] in `order` (then anything else by count), or by count, most first."""
    if order is None:
        return [{"label": k, "count": n} for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
    rows = [{"label": k, "count": counter.get(k, 0)} for k in order if keep_zero or counter.get(k)]
    others = sorted((k for k in counter if k not in order), key=lambda k: (-counter[k], k))
    return rows + [{"label": k, "count": counter[k]} for k in others]


def aggregate(
    school: SchoolSettings, role: str, incidents, filters: Filters, period: Period, interval: str = ""
) -> dict:
    """Every chart's counts for `role`, from the incidents in `period` (any order), in one pass."""
    interval = _interval(period, interval)
    zone = school.zone
    category_names = [c.name for c in school.categories if access.may_read_categories(role, [c.name], school)]
    questions = [
        (category, question)
        for category in school.categories
        if category.name in category_names
        for question in category.questions
        if question.kind == "choose-all"
    ]

    total = open_count = 0
    over_time, by_category, by_day, by_session, by_location = Counter(), Counter(), Counter(), Counter(), Counter()
    by_subcategory, heat = Counter(), Counter()
    by_year, by_class, by_flag, class_year = Counter(), Counter(), Counter(), {}
    answers = {(c.name, q.id): Counter() for c, q in questions}
    pupils_subject, pupils_linked = Counter(), Counter()

    for incident in readable(school, role, incidents):
        if not matches(incident, filters):
            continue
        total += 1
        open_count += incident.status == "Active"
        local_day = incident.occurred_at.astimezone(zone).date()
        over_time[_bucket(local_day, interval)] += 1
        by_day[incident.day] += 1
        by_session[incident.session] += 1
        by_location[incident.location] += 1
        heat[(incident.day, incident.session)] += 1
        for name in incident.categories:
            by_category[name] += 1
            for sub in incident.subcategories.get(name, []):
                by_subcategory[(name, sub)] += 1
        group = incident.group()
        year_group, class_name = group.get("year_group") or "Not recorded", group.get("class_name") or "Not recorded"
        by_year[year_group] += 1
        by_class[class_name] += 1
        class_year.setdefault(class_name, year_group)
        for flag in group.get("flags") or []:
            by_flag[flag] += 1
        for (category, question_id), counter in answers.items():
            if category in incident.categories:
                chosen = incident.answers.get(question_id)
                for option in chosen if isinstance(chosen, list) else []:
                    counter[option] += 1
        pupils_subject[incident.pupil_id] += 1
        for pupil_id in dict.fromkeys(incident.linked_pupil_ids):
            if pupil_id != incident.pupil_id:
                pupils_linked[pupil_id] += 1

    involved = pupils_subject + pupils_linked
    top = sorted(involved, key=lambda p: (-involved[p], -pupils_subject[p], p))[:TOP_PUPILS]
    sessions = [s.name for s in school.sessions]
    days = list(DAYS[:5]) + [d for d in DAYS[5:] if by_day.get(d)]
    years = sorted(by_year, key=year_order)
    classes = sorted(by_class, key=lambda c: (year_order(class_year.get(c, "")), c))
    return {
        "counts": "incidents",
        "total": total,
        "open": open_count,
        "pupils": len(involved),
        "over_time": {"interval": interval, "rows": _rows(over_time, _buckets(period, interval))},
        "by_category": _rows(by_category, category_names),
        "by_subcategory": [
            {"category": category, "label": sub, "count": n}
            for (category, sub), n in sorted(
                by_subcategory.items(), key=lambda kv: (category_names.index(kv[0][0]), -kv[1], kv[0][1])
            )
        ],
        "by_day": _rows(by_day, days),
        "by_session": _rows(by_session, sessions),
        "by_location": _rows(by_location, None),
        "heatmap": {
            "days": days,
            "sessions": sessions,
            "cells": [[heat.get((day, session), 0) for session in sessions] for day in days],
        },
        "by_year_group": _rows(by_year, years),
        "by_class": [{**row, "year_group": class_year.get(row["label"], "")} for row in _rows(by_class, classes)],
        "by_flag": [{"flag": key, "label": label, "count": by_flag.get(key, 0)} for key, label in PUPIL_FLAGS.items()],
        "answers": [
            {
                "category": category.name,
                "question": question.label,
                "id": question.id,
                "rows": _rows(answers[(category.name, question.id)], list(question.options), keep_zero=True),
            }
            for category, question in questions
        ],
        "top_pupils": [
            {"pupil_id": p, "count": involved[p], "subject": pupils_subject[p], "linked": pupils_linked[p]} for p in top
        ],
    }


def count(school: SchoolSettings, role: str, incidents, filters: Filters) -> int:
    """How many of these incidents the reader may read and the filters keep (the comparison period's total)."""
    return sum(1 for incident in readable(school, role, incidents) if matches(incident, filters))
