"""The reports page and its export: the incidents in a range, read through GSI `by-month` (one Query per UTC month
the range touches, each bounded by the range's first and last instants, so exactly the incidents in the range are
read), then counted for the reader in one pass. Never a Scan.

A call reads: one Query per month of the period and of the comparison period before it, a BatchGet for the names
of the pupils with most incidents, and writes one audit entry.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib import access, audit
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidInputError
from chalicelib.incidents.review import plain
from chalicelib.models import Incident, Pupil, Staff
from chalicelib.reports import aggregate as agg
from chalicelib.reports import periods
from chalicelib.settings import PUPIL_FLAGS, SchoolSettings

if TYPE_CHECKING:
    from chalicelib.web.requests import ExportQuery, ReportQuery

AUDIT_SUBJECT = "reports"
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Reading:
    """Counts what a report read, so the benchmark can compare items read with incidents in range."""

    def __init__(self) -> None:
        self.queries = 0
        self.items = 0


def incidents_in(school: SchoolSettings, period: periods.Period, reading: Reading | None = None) -> list:
    """Every incident that happened in `period` (school dates, both included), from the index."""
    start, end = period.instants(school)
    last = end - timedelta(microseconds=1)
    found = []
    for month in periods.months_between(start, end):
        rows = [_row(item) for item in Incident.by_month.query(month, Incident.occurred_at.between(start, last))]
        found.extend(rows)
        if reading is not None:
            reading.queries += 1
            reading.items += len(rows)
    return found


def _row(item: Incident) -> agg.ReportIncident:
    state = plain(item.state) or {}
    return agg.ReportIncident(
        incident_id=item.incident_id,
        reference=item.reference,
        occurred_at=item.occurred_at,
        day=item.day,
        session=item.session,
        location=item.location,
        pupil_id=item.pupil_id,
        linked_pupil_ids=tuple(item.linked_pupil_ids or ()),
        groups={k: dict(v) for k, v in (plain(item.pupil_groups) or {}).items()},
        categories=tuple(state.get("categories") or ()),
        subcategories={k: list(v) for k, v in (state.get("subcategories") or {}).items()},
        answers=dict(state.get("answers") or {}),
        status=state.get("status") or "",
    )


def parse_filters(school: SchoolSettings, role: str, query: ReportQuery) -> agg.Filters:
    """The page's filters (short text: its request model), each checked against the school's settings and what
    the reader may read."""
    problems = {}

    def one_of(key: str, choices) -> str:
        value = getattr(query, key)
        if value and value not in choices:
            problems[key] = "Choose from the list."
        return value

    readable = [c.name for c in school.categories if access.may_read_categories(role, [c.name], school)]
    category = one_of("category", readable)  # a category the reader may not read is simply not a choice
    chosen = school.category(category) if category and category in readable else None
    subcategory = one_of("subcategory", chosen.subcategories if chosen else ())
    filters = agg.Filters(
        category=category,
        subcategory=subcategory,
        year_group=query.year_group,
        class_name=query.class_name,
        flag=one_of("flag", PUPIL_FLAGS),
        location=one_of("location", school.locations),
        session=one_of("session", [s.name for s in school.sessions]),
        status=one_of("status", agg.STATUSES),
    )
    if problems:
        raise InvalidInputError("Check the filters.", problems)
    return filters


def _period(school: SchoolSettings, query: ReportQuery, today) -> periods.Period:
    return periods.choose(school, query.preset or None, query.from_, query.to, today)


def report(
    school: SchoolSettings, user: Staff, query: ReportQuery, source: dict, *, now=None, reading: Reading | None = None
) -> dict:
    """The reports page for `user`: every chart for the period and filters, and the previous period's total."""
    today = school.today(now or utcnow())
    filters = parse_filters(school, user.role, query)
    period = _period(school, query, today)
    incidents = incidents_in(school, period, reading)
    previous = period.previous()
    previous_total = agg.count(school, user.role, incidents_in(school, previous, reading), filters)
    result = agg.aggregate(school, user.role, incidents, filters, period, query.interval)
    names = {p.pupil_id: p for p in Pupil.batch_get([row["pupil_id"] for row in result["top_pupils"]])}
    for row in result["top_pupils"]:
        pupil = names.get(row["pupil_id"])
        row["name"] = pupil.full_name if pupil else "Pupil no longer on record"
        row["year_group"] = pupil.year_group if pupil else ""
        row["class_name"] = pupil.class_name if pupil else ""
    seen = agg.readable(school, user.role, incidents)
    audit.record(AUDIT_SUBJECT, user.staff_id, "viewed the reports", source)
    return {
        **result,
        "period": {
            "preset": query.preset or ("term" if school.terms else "year"),
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "days": period.days,
        },
        "previous": {"from": previous.first.isoformat(), "to": previous.last.isoformat(), "total": previous_total},
        "filters": filters._asdict(),
        "all_categories": all(access.may_read_categories(user.role, [c.name], school) for c in school.categories),
        "choices": {
            "presets": [{"value": p, "label": periods.PRESETS[p]} for p in periods.available_presets(school)],
            "categories": [
                {"name": c.name, "subcategories": list(c.subcategories)}
                for c in school.categories
                if access.may_read_categories(user.role, [c.name], school)
            ],
            "year_groups": sorted({i.group().get("year_group") for i in seen} - {"", None}, key=agg.year_order),
            "classes": sorted({i.group().get("class_name") for i in seen} - {"", None}),
            "flags": [{"value": k, "label": v} for k, v in PUPIL_FLAGS.items()],
            "locations": list(school.locations),
            "sessions": [s.name for s in school.sessions],
            "statuses": list(agg.STATUSES),
        },
    }


def _cell(value) -> str:
    """A spreadsheet cell that cannot run as a formula when the file is opened in Excel."""
    text = str(value if value is not None else "")
    return f"'{text}" if text.startswith(CSV_FORMULA_STARTS) else text


def export_incidents(school: SchoolSettings, user: Staff, query: ExportQuery, source: dict, *, now=None) -> dict:
    """The filtered incidents as CSV (UTF-8 with a byte-order mark, so Excel reads it as UTF-8): no pupils' names
    or accounts unless asked for (`query.names`, `query.account`). Audited."""
    names, account = query.names == "1", query.account == "1"
    today = school.today(now or utcnow())
    filters = parse_filters(school, user.role, query)
    period = _period(school, query, today)
    rows = [
        i
        for i in sorted(incidents_in(school, period), key=lambda i: i.occurred_at)
        if access.may_read_categories(user.role, list(i.categories), school) and agg.matches(i, filters)
    ]
    pupils = {}
    if names:
        wanted = {pid for i in rows for pid in (i.pupil_id, *i.linked_pupil_ids)}
        pupils = {p.pupil_id: p.full_name for p in Pupil.batch_get(wanted)} if wanted else {}
    accounts = {}
    if account and rows:
        accounts = {
            i.incident_id: i.account
            for i in Incident.batch_get([r.incident_id for r in rows], attributes_to_get=["incident_id", "account"])
        }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["Reference", "Date", "Time", "Day", "Session", "Location", "Categories", "Sub-categories", "Status"]
    header += ["Year group", "Class", "Pupil flags", "Linked pupils"]
    header += ["Pupil", "Linked pupils' names"] if names else []
    header += ["Account"] if account else []
    writer.writerow(header)
    for i in rows:
        local = i.occurred_at.astimezone(school.zone)
        group = i.group()
        line = [
            i.reference,
            local.date().isoformat(),
            local.strftime("%H:%M"),
            i.day,
            i.session,
            i.location,
            "; ".join(i.categories),
            "; ".join(f"{c}: {s}" for c in i.categories for s in i.subcategories.get(c, [])),
            i.status,
            group.get("year_group", ""),
            group.get("class_name", ""),
            "; ".join(PUPIL_FLAGS[f] for f in group.get("flags") or [] if f in PUPIL_FLAGS),
            len(i.linked_pupil_ids),
        ]
        if names:
            line += [pupils.get(i.pupil_id, ""), "; ".join(pupils.get(p, "") for p in i.linked_pupil_ids)]
        if account:
            line.append(accounts.get(i.incident_id, ""))
        writer.writerow([_cell(v) for v in line])
    what = "exported incidents (CSV" + (", names" if names else "") + (", accounts" if account else "") + ")"
    audit.record(AUDIT_SUBJECT, user.staff_id, what, source)
    return {
        "filename": f"lantern-incidents-{period.first.isoformat()}-to-{period.last.isoformat()}.csv",
        "csv": "\ufeff" + out.getvalue(),
        "rows": len(rows),
    }
