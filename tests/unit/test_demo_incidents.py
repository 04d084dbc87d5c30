"""The demo term has the patterns the reports page should show on `make run`, and stays invented."""

from __future__ import annotations

from collections import Counter
from datetime import date
from types import SimpleNamespace

from chalicelib.models import ChronologyEntry, Incident
from chalicelib.reports.aggregate import Filters, ReportIncident, aggregate
from chalicelib.reports.periods import Period
from chalicelib.settings import load_school
from tools.demo import demo_pupils, demo_staff
from tools.demo_incidents import demo_incidents

SCHOOL = load_school("infra/schools/themead.toml")
TODAY = date(2026, 12, 2)


def made():
    staff = [SimpleNamespace(staff_id=f"s{i}", **person) for i, person in enumerate(demo_staff("themead"))]
    pupils = [SimpleNamespace(**pupil, full_name="x") for pupil in demo_pupils("themead")]
    return demo_incidents(SCHOOL, staff, pupils, TODAY)


def test_a_term_with_patterns():
    items = made()
    incidents = [i for i in items if isinstance(i, Incident)]
    assert 120 <= len(incidents) <= 400
    assert all(date(2026, 9, 2) <= i.occurred_at.date() < TODAY for i in incidents)
    assert made()[0].incident_id == items[0].incident_id  # the same every time
    plain = [(i, i.state.as_dict(), i.pupil_groups.as_dict()) for i in incidents]
    report = aggregate(
        SCHOOL,
        "dsl",
        [
            ReportIncident(
                i.incident_id,
                i.reference,
                i.occurred_at,
                i.day,
                i.session,
                i.location,
                i.pupil_id,
                tuple(i.linked_pupil_ids),
                groups,
                tuple(state["categories"]),
                state["subcategories"],
                state["answers"],
                state["status"],
            )
            for i, state, groups in plain
        ],
        Filters(),
        Period(date(2026, 9, 2), TODAY),
    )
    by_day = {r["label"]: r["count"] for r in report["by_day"]}
    assert by_day["Monday"] > max(by_day["Tuesday"], by_day["Wednesday"], by_day["Thursday"], by_day["Friday"])
    assert max(report["by_session"], key=lambda r: r["count"])["label"] == "Lunchtime"
    assert report["by_location"][0]["label"] == "Playground"
    assert report["top_pupils"][0]["count"] >= 5  # repeated concerns about a few pupils
    classes = sorted(report["by_class"], key=lambda r: -r["count"])
    assert classes[0]["count"] >= 2 * classes[len(classes) // 2]["count"]  # a cluster in one class
    assert {r["label"] for r in report["by_category"] if r["count"]} == {
        "Behaviour",
        "Bullying",
        "Prejudicial",
        "Safeguarding",
    }
    entries = [i for i in items if isinstance(i, ChronologyEntry)]
    assert len(entries) >= len(incidents)
    assert Counter(state["status"] for _, state, _ in plain)["Closed"] > 0
