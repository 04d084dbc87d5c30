"""Reports: every aggregate against answers worked out by hand on fixed data, for a DSL and a leader; range edges
in school time (end of day, the clocks going back); re-categorised incidents; linked pupils; the CSV export; the
items read; pattern alerts."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime

import pytest

from chalicelib.models import Alert, AuditEntry, ChronologyEntry, Incident
from chalicelib.reports import keys, service
from chalicelib.settings import current_school
from tests.functional.incident_data import make_pupil, submission
from tests.helpers import Api, sent_emails, session_cookie_for

AUTUMN_HALF_1 = "preset=custom&from=2026-10-01&to=2026-10-24"


@pytest.fixture
def as_(client, people):
    return lambda who: Api(client, session_cookie_for(people[who]))


def put(
    people,
    when: str,
    categories: dict,
    *,
    day: str,
    session: str,
    location: str,
    pupil="ama",
    linked=(),
    status="Active",
    answers=None,
    groups=None,
) -> Incident:
    """An incident written straight to the table as the service writes it (the form checks dates against today)."""
    occurred = datetime.fromisoformat(when).astimezone(UTC)
    incident_id = str(uuid.uuid4())
    subject = people[pupil].pupil_id
    linked_ids = [people[p].pupil_id for p in linked]
    incident = Incident(
        incident_id=incident_id,
        reference=f"LAN-{incident_id[:8].upper()}",
        reporter_id=people["teacher"].staff_id,
        recorded_at=occurred,
        occurred_at=occurred,
        day=day,
        session=session,
        location=location,
        pupil_id=subject,
        linked_pupil_ids=linked_ids,
        categories=list(categories),
        subcategories=categories,
        answers=answers or {},
        account="MARKER account text, not for exports unless asked",
        status=status,
        state={
            "categories": list(categories),
            "subcategories": categories,
            "answers": answers or {},
            "status": status,
            "concern_level": None,
            "assigned_ids": [],
            "agencies": [],
            "tagged_ids": [],
        },
        report_month=keys.report_month(occurred),
        pupil_groups=groups
        or {
            subject: {"year_group": "Year 3", "class_name": "Oak", "flags": ["sen"] if pupil == "ama" else []},
            **{p: {"year_group": "Year 5", "class_name": "Elm", "flags": ["eal"]} for p in linked_ids},
        },
    )
    incident.save()
    for pid, involvement in [(subject, "subject"), *[(p, "linked") for p in linked_ids]]:
        ChronologyEntry(
            pupil_id=pid,
            entry=f"{occurred.isoformat()}#{incident_id}",
            incident_id=incident_id,
            categories=list(categories),
            involvement=involvement,
            reference=incident.reference,
            location=location,
            status=status,
        ).save()
    return incident


@pytest.fixture
def autumn(people):
    """Seven incidents around the first half of the autumn term 2026 (BST until Sunday 25 October, 02:00)."""
    b = {"Behaviour": ["Disruption"]}
    return {
        # 00:15 BST on Thursday 1 October is 23:15 UTC on 30 September: in the range, in UTC month 2026-09.
        "first_minute": put(
            people, "2026-10-01T00:15+01:00", b, day="Thursday", session="Before school", location="Playground"
        ),
        "mon_lunch": put(
            people,
            "2026-10-05T12:10+01:00",
            {"Behaviour": ["Disruption", "Defiance"]},
            day="Monday",
            session="Lunchtime",
            location="Playground",
            linked=("rory",),
            answers={"outcomes": ["Aggressive incident"], "deescalation": ["Humour", "Choices offered"]},
        ),
        "mon_lunch_2": put(
            people,
            "2026-10-12T12:30+01:00",
            {"Bullying": ["Experiencing physical abuse"]},
            day="Monday",
            session="Lunchtime",
            location="Playground",
            pupil="rory",
            linked=("ama",),
            status="Closed",
        ),
        "two_kinds": put(
            people,
            "2026-10-14T09:00+01:00",
            {"Behaviour": ["Damage"], "Prejudicial": ["Race"]},
            day="Wednesday",
            session="Morning",
            location="Classroom",
            answers={"outcomes": ["Aggressive incident"]},
        ),
        "safeguarding": put(
            people,
            "2026-10-20T10:00+01:00",
            {"Safeguarding": ["Neglect"]},
            day="Tuesday",
            session="Morning",
            location="Classroom",
            pupil="will",
        ),
        # 23:59 BST on Saturday 24 October: the last minute of the range.
        "last_minute": put(
            people, "2026-10-24T23:59+01:00", b, day="Saturday", session="After school", location="Online"
        ),
        # 00:30 BST on Sunday 25 October is 23:30 UTC on the 24th: after the range in school time.
        "after": put(people, "2026-10-25T00:30+01:00", b, day="Sunday", session="After school", location="Online"),
        # The 24 days before the range (7 to 30 September): one Behaviour, one Safeguarding.
        "before": put(people, "2026-09-20T10:00+01:00", b, day="Sunday", session="Morning", location="Hall"),
        "before_sg": put(
            people,
            "2026-09-21T10:00+01:00",
            {"Safeguarding": ["Other"]},
            day="Monday",
            session="Morning",
            location="Hall",
            pupil="will",
        ),
    }


def rows(chart) -> dict:
    return {row["label"]: row["count"] for row in chart}


def test_a_dsl_report_counts_every_incident_in_the_range(as_, people, autumn):
    response = as_("dsl").get(f"/reports?{AUTUMN_HALF_1}")
    assert response.status_code == 200, response.data
    report = response.data
    assert report["counts"] == "incidents"
    assert report["period"] == {"preset": "custom", "from": "2026-10-01", "to": "2026-10-24", "days": 24}
    assert report["total"] == 6  # first_minute … last_minute; not "after" (25 October in school time)
    assert report["open"] == 5  # mon_lunch_2 is closed
    assert report["previous"] == {"from": "2026-09-07", "to": "2026-09-30", "total": 2}
    assert rows(report["by_category"]) == {"Behaviour": 4, "Bullying": 1, "Prejudicial": 1, "Safeguarding": 1}
    subs = {(r["category"], r["label"]): r["count"] for r in report["by_subcategory"]}
    assert subs[("Behaviour", "Disruption")] == 3 and subs[("Behaviour", "Defiance")] == 1
    assert subs[("Safeguarding", "Neglect")] == 1
    assert rows(report["by_day"]) == {
        "Monday": 2,
        "Tuesday": 1,
        "Wednesday": 1,
        "Thursday": 1,
        "Friday": 0,
        "Saturday": 1,
    }  # Sunday had none in range, so it is not listed; weekdays always are
    by_session = rows(report["by_session"])
    assert by_session["Lunchtime"] == 2 and by_session["Morning"] == 2 and by_session["Afternoon"] == 0
    assert [r["label"] for r in report["by_session"]][:2] == ["Before school", "Morning"]  # the school's order
    assert report["by_location"][0] == {"label": "Playground", "count": 3}  # most first
    heat = report["heatmap"]
    assert heat["cells"][heat["days"].index("Monday")][heat["sessions"].index("Lunchtime")] == 2
    assert sum(map(sum, heat["cells"])) == 6
    # By the pupil each incident is about (Ama is Year 3 Oak with SEN; Rory and Will as put above).
    assert rows(report["by_year_group"]) == {"Year 3": 6}
    assert {r["flag"]: r["count"] for r in report["by_flag"]}["sen"] == 4
    outcomes = next(a for a in report["answers"] if a["id"] == "outcomes")
    assert rows(outcomes["rows"])["Aggressive incident"] == 2
    deescalation = next(a for a in report["answers"] if a["id"] == "deescalation")
    assert rows(deescalation["rows"])["Humour"] == 1
    # Pupils: Ama in 4 as the pupil it is about and 1 as linked; Rory 1 + 1; Will 1.
    top = {r["name"]: (r["count"], r["subject"], r["linked"]) for r in report["top_pupils"]}
    assert top == {"Ama Boateng": (5, 4, 1), "Rory Campbell": (2, 1, 1), "Will Cooper": (1, 1, 0)}
    assert report["pupils"] == 3
    weeks = report["over_time"]
    assert weeks["interval"] == "week"
    assert rows(weeks["rows"]) == {"2026-09-28": 1, "2026-10-05": 1, "2026-10-12": 2, "2026-10-19": 2}


def test_a_leaders_report_has_no_trace_of_safeguarding(as_, people, autumn):
    report = as_("dht").get(f"/reports?{AUTUMN_HALF_1}").data
    assert report["total"] == 5
    assert report["previous"]["total"] == 1  # not even in the comparison
    assert "Safeguarding" not in rows(report["by_category"])
    assert all(r["category"] != "Safeguarding" for r in report["by_subcategory"])
    assert "Will Cooper" not in {r["name"] for r in report["top_pupils"]}
    assert [c["name"] for c in report["choices"]["categories"]] == ["Behaviour", "Bullying", "Prejudicial"]
    assert sum(map(sum, report["heatmap"]["cells"])) == 5
    assert "Safeguarding" not in str(report)
    refused = as_("dht").get(f"/reports?{AUTUMN_HALF_1}&category=Safeguarding")
    unknown = as_("dht").get(f"/reports?{AUTUMN_HALF_1}&category=Nonsense")
    assert refused.status_code == unknown.status_code == 400 and refused.data == unknown.data


def test_filters(as_, people, autumn):
    dsl = as_("dsl")
    assert dsl.get(f"/reports?{AUTUMN_HALF_1}&category=Behaviour&subcategory=Disruption").data["total"] == 3
    assert dsl.get(f"/reports?{AUTUMN_HALF_1}&location=Playground&session=Lunchtime").data["total"] == 2
    assert dsl.get(f"/reports?{AUTUMN_HALF_1}&status=Closed").data["total"] == 1
    assert dsl.get(f"/reports?{AUTUMN_HALF_1}&flag=sen").data["total"] == 4
    assert dsl.get(f"/reports?{AUTUMN_HALF_1}&year_group=Year%203&class_name=Oak").data["total"] == 6
    assert dsl.get(f"/reports?{AUTUMN_HALF_1}&class_name=Elm").data["total"] == 0  # linked pupils are not counted
    assert dsl.get(f"/reports?{AUTUMN_HALF_1}&subcategory=Neglect").status_code == 400  # needs its category
    bad = dsl.get("/reports?preset=custom&from=2026-10-24&to=2026-10-01")
    assert bad.status_code == 400 and "to" in bad.data["fields"]
    assert dsl.get("/reports?preset=fortnight").status_code == 400


def test_the_clocks_going_back_and_the_end_of_the_day(as_, people, autumn):
    dsl = as_("dsl")
    sunday = dsl.get("/reports?preset=custom&from=2026-10-25&to=2026-10-25").data
    assert sunday["total"] == 1 and sunday["by_day"][-1] == {"label": "Sunday", "count": 1}
    saturday = dsl.get("/reports?preset=custom&from=2026-10-24&to=2026-10-24").data
    assert saturday["total"] == 1  # 23:59 BST is in its own day, not the next
    september = dsl.get("/reports?preset=custom&from=2026-09-01&to=2026-09-30").data
    assert september["total"] == 2  # the 00:15 BST incident on 1 October is in October, though UTC says September


def test_re_categorising_moves_an_incident_in_every_report(as_, people):
    teacher = as_("teacher")
    body = submission(people)
    response = teacher.post("/incidents", body)
    assert response.status_code == 201, response.data
    (incident,) = list(Incident.scan())
    assert incident.report_month == keys.report_month(incident.occurred_at)
    assert incident.pupil_groups.as_dict()[people["ama"].pupil_id]["year_group"] == "Year 3"
    day = body["date"]  # the incident's own day: ten minutes ago is yesterday just after midnight
    query = f"/reports?preset=custom&from={day}&to={day}"
    assert rows(as_("dht").get(query).data["by_category"])["Behaviour"] == 1
    moved = as_("dht").post(
        f"/incidents/{incident.incident_id}/recategorise",
        {"categories": ["Safeguarding"], "subcategories": {"Safeguarding": ["Neglect"]}, "reason": "Disclosure."},
    )
    assert moved.status_code == 200, moved.data
    assert as_("dht").get(query).data["total"] == 0
    dsl = as_("dsl").get(query).data
    assert rows(dsl["by_category"]) == {"Behaviour": 0, "Bullying": 0, "Prejudicial": 0, "Safeguarding": 1}
    closed = as_("dsl").post(
        f"/incidents/{incident.incident_id}/status", {"status": "Closed", "decision": "NFA", "reason": "Resolved"}
    )
    assert closed.status_code == 200
    assert as_("dsl").get(f"{query}&status=Closed").data["total"] == 1


def test_only_the_incidents_in_the_range_are_read(people, autumn):
    school = current_school()
    from chalicelib.reports.periods import Period

    reading = service.Reading()
    found = service.incidents_in(school, Period(date(2026, 10, 1), date(2026, 10, 24)), reading)
    assert len(found) == 6 and reading.items == 6
    assert reading.queries == 2  # UTC months 2026-09 and 2026-10


def test_the_csv_export(as_, people, autumn):
    dsl = as_("dsl")
    plain = dsl.get(f"/reports/incidents?{AUTUMN_HALF_1}").data
    assert plain["csv"].startswith("\ufeff") and plain["filename"].endswith(".csv") and plain["rows"] == 6
    table = list(csv.reader(io.StringIO(plain["csv"].lstrip("\ufeff"))))
    assert "Account" not in table[0] and "Pupil" not in table[0]
    assert "MARKER" not in plain["csv"] and "Ama" not in plain["csv"]
    assert [row[1] for row in table[1:]] == sorted(row[1] for row in table[1:])  # in date order
    full = dsl.get(f"/reports/incidents?{AUTUMN_HALF_1}&names=1&account=1").data
    header, *lines = list(csv.reader(io.StringIO(full["csv"].lstrip("\ufeff"))))
    assert header[-3:] == ["Pupil", "Linked pupils' names", "Account"]
    assert lines[0][header.index("Date")] == "2026-10-01" and lines[0][header.index("Time")] == "00:15"
    assert all(line[-1].startswith("MARKER") for line in lines)
    leader = as_("dht").get(f"/reports/incidents?{AUTUMN_HALF_1}&names=1").data
    assert leader["rows"] == 5 and "Safeguarding" not in leader["csv"] and "Will Cooper" not in leader["csv"]
    actions = [e.action for e in AuditEntry.query("reports")]
    assert "exported incidents (CSV, names, accounts)" in actions and "exported incidents (CSV)" in actions


def test_a_cell_never_runs_as_a_formula():
    assert service._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and service._cell("Oak") == "Oak"


def test_pattern_alerts_tell_the_dsl_team_naming_the_rule_not_the_pupil(as_, people):
    teacher = as_("teacher")
    for _ in range(2):
        assert teacher.post("/incidents", submission(people)).status_code == 201
    assert not [a for a in Alert.scan() if a.reason.startswith("pattern alert")]
    assert teacher.post("/incidents", submission(people)).status_code == 201  # the third in 14 days
    fired = [a for a in Alert.scan() if a.reason.startswith("pattern alert")]
    assert {a.staff_id for a in fired} == {people["dsl"].staff_id, people["ddsl"].staff_id}
    assert {a.reason for a in fired} == {"pattern alert: 3 or more concerns about one pupil in 14 days"}
    emails = [e for e in sent_emails() if "pattern alert" in e.subject]
    assert len(emails) == 2 and all("Ama" not in e.body and "Boateng" not in e.body for e in emails)
    assert "3 or more concerns about one pupil in 14 days" in emails[0].body
    dsl_alerts = as_("dsl").get("/alerts").data["alerts"]
    assert any(a["reason"].startswith("pattern alert") for a in dsl_alerts)


def test_a_concern_about_a_pupil_on_a_child_protection_plan_fires_at_once(as_, people):
    cp = make_pupil("Cara", "Plan")
    cp.update(actions=[type(cp).cp_plan.set(True)])
    response = as_("teacher").post("/incidents", submission(people, pupil_id=cp.pupil_id))
    assert response.status_code == 201, response.data
    fired = [a for a in Alert.scan() if a.reason.startswith("pattern alert")]
    assert {a.reason for a in fired} == {"pattern alert: Any concern about a pupil on a child-protection plan"}
    (incident,) = list(Incident.scan())
    assert incident.pupil_groups.as_dict()[cp.pupil_id]["flags"] == ["cp_plan"]
