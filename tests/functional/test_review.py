"""Review and follow-up: the review page, actions, re-categorising, status, chronology, alerts, audit, and every
role seeing exactly what the roles table allows."""

from __future__ import annotations

import uuid

import pytest

from app import app, routes
from chalicelib.models import AuditEntry, ChronologyEntry, Incident
from tests.functional.incident_data import safeguarding, submission
from tests.helpers import Api, make_staff, sent_emails, session_cookie_for


@pytest.fixture
def as_(client, people):
    """as_("dsl") → an Api signed in as that person."""
    return lambda who: Api(client, session_cookie_for(people[who]))


def add(as_, people, body) -> str:
    response = as_("teacher").post("/incidents", body)
    assert response.status_code == 201, response.data
    return next(i.incident_id for i in Incident.scan() if i.reference == response.data["reference"])


@pytest.fixture
def behaviour(as_, people):
    return add(as_, people, submission(people, body_marks=[]))


@pytest.fixture
def concern(as_, people):
    return add(as_, people, safeguarding(people))


def test_the_dsl_sees_everything_recorded(as_, people, concern):
    response = as_("dsl").get(f"/incidents/{concern}")
    assert response.status_code == 200, response.data
    page = response.data
    incident = page["incident"]
    assert incident["pupil"]["name"] == "Ama Boateng"
    assert [p["name"] for p in incident["linked_pupils"]] == ["Rory Campbell", "Will Cooper"]
    assert incident["account"].startswith("Ama pushed a chair")
    assert incident["reporter"]["name"] == people["teacher"].name
    assert incident["categories"] == incident["original"]["categories"] == ["Safeguarding"]
    assert [m["name"].endswith(", front") for m in incident["body_marks"]][0]
    assert page["may_act"] is True
    assert [(v["name"], v["what"]) for v in page["viewers"]] == [  # "Who has viewed this", newest first
        (people["dsl"].name, "viewed the incident"),
        (people["teacher"].name, "added the incident"),
    ]
    assert page["history"][0]["summary"].startswith("Added as Safeguarding")


def test_a_leader_cannot_read_safeguarding_and_the_attempt_is_audited(as_, people, concern):
    response = as_("dht").get(f"/incidents/{concern}")
    assert response.status_code == 403
    assert response.data == {"error": "You do not have access to this record."}
    (entry,) = [e for e in AuditEntry.query(f"incident#{concern}") if e.actor_id == people["dht"].staff_id]
    assert entry.action.startswith("refused")


@pytest.mark.parametrize(
    ("who", "behaviour_access", "safeguarding_access"),
    [
        ("teacher", 403, 403),  # the reporter: "you will not be able to access it again"
        ("ta", 403, 200),  # alerted to the safeguarding concern only
        ("dht", 200, 403),
        ("dsl", 200, 200),
        ("head", 200, 200),
        ("admin", 403, 403),  # admins read no records
    ],
)
def test_object_level_access_for_every_role(
    as_, people, behaviour, concern, who, behaviour_access, safeguarding_access
):
    api = as_(who)
    assert api.get(f"/incidents/{behaviour}").status_code == behaviour_access
    assert api.get(f"/incidents/{concern}").status_code == safeguarding_access
    files = api.get(f"/incidents/{concern}/files/0")
    assert files.status_code == 403  # no such file for anyone, and no access for most
    if who not in ("dsl", "head"):
        assert api.post(f"/incidents/{concern}/actions", {"text": "x", "date": "2026-11-01"}).status_code == 403
    assert api.get(f"/incidents/{uuid.uuid4()}").status_code == 403  # unknown records look the same


def test_an_action_tags_a_teacher_who_then_sees_only_that_action(as_, people, concern):
    dsl = as_("dsl")
    response = dsl.post(
        f"/incidents/{concern}/actions",
        {"text": "Phone call to parent.", "date": "2026-11-27", "tagged_ids": [people["teacher"].staff_id]},
    )
    assert response.status_code == 200, response.data
    assert response.data["actions"][0]["tagged"] == [people["teacher"].name]
    dsl.post(f"/incidents/{concern}/actions", {"text": "Referral made to MASH.", "date": "2026-11-27"})

    email = sent_emails()[-1]
    assert email.destinations["ToAddresses"] == [people["teacher"].email]
    assert "Phone call" not in email.body and "Ama" not in email.body

    teacher = as_("teacher")
    page = teacher.get(f"/incidents/{concern}")
    assert page.status_code == 200
    assert page.data["limited"] is True
    assert [a["text"] for a in page.data["actions"]] == ["Phone call to parent."]  # not the MASH referral
    assert "account" not in page.data["incident"] and "body_marks" not in page.data["incident"]
    # Whom the action is about, so the teacher can do it: name, year and class (in the app, never by email).
    assert set(page.data["incident"]["pupil"]) == {"id", "name", "year_group", "class_name"}
    assert teacher.get(f"/incidents/{concern}/files/0").status_code == 403
    alerts = teacher.get("/alerts").data
    assert [a["text"] for a in alerts["actions"]] == ["Phone call to parent."]
    assert alerts["actions"][0]["pupil"]["name"] == page.data["incident"]["pupil"]["name"]


def test_recategorise_keeps_the_original_and_moves_access(as_, people, behaviour):
    dht = as_("dht")
    no_reason = dht.post(
        f"/incidents/{behaviour}/recategorise",
        {"categories": ["Safeguarding"], "subcategories": {"Safeguarding": ["Neglect"]}, "reason": ""},
    )
    assert no_reason.status_code == 400 and "recategorise-reason" in no_reason.data["fields"]
    changed = dht.post(
        f"/incidents/{behaviour}/recategorise",
        {"categories": ["Safeguarding"], "subcategories": {"Safeguarding": ["Neglect"]}, "reason": "Disclosure."},
    )
    assert changed.status_code == 200 and changed.data["moved"] is True  # escalated beyond the leader's reach
    assert dht.get(f"/incidents/{behaviour}").status_code == 403
    page = as_("dsl").get(f"/incidents/{behaviour}").data
    assert page["incident"]["categories"] == ["Safeguarding"]
    assert page["incident"]["original"]["categories"] == ["Behaviour"]  # as the member of staff wrote it
    assert page["incident"]["account"].startswith("Ama pushed a chair")
    assert sorted(a["name"] for a in page["incident"]["assigned"]) == sorted([people["dsl"].name, people["ddsl"].name])
    change = page["history"][-1]
    assert change["summary"] == "Re-categorised as Safeguarding (Neglect)" and change["reason"] == "Disclosure."
    entry = next(ChronologyEntry.query(people["ama"].pupil_id))
    assert list(entry.categories) == ["Safeguarding"]
    assert as_("dht").get(f"/pupils/{people['ama'].pupil_id}/chronology").data["entries"] == []


def test_closing_needs_a_decision_and_a_reason(as_, people, behaviour):
    dht = as_("dht")
    refused = dht.post(f"/incidents/{behaviour}/status", {"status": "Closed"})
    assert refused.status_code == 400
    assert set(refused.data["fields"]) == {"status-decision", "status-reason"}
    closed = dht.post(
        f"/incidents/{behaviour}/status", {"status": "Closed", "decision": "No further action", "reason": "Resolved"}
    )
    assert closed.status_code == 200
    assert closed.data["incident"]["status"] == "Closed"
    assert closed.data["history"][-1]["summary"] == "Status set to Closed: No further action"


def test_concern_level_assign_and_agencies(as_, people, concern):
    dsl = as_("dsl")
    assert dsl.post(f"/incidents/{concern}/concern-level", {"level": "extreme", "reason": "x"}).status_code == 400
    level = dsl.post(f"/incidents/{concern}/concern-level", {"level": "high", "reason": "Injury seen"})
    assert level.data["incident"]["concern_level"] == "high"
    wrong = dsl.post(f"/incidents/{concern}/assign", {"assigned_ids": [people["dht"].staff_id]})
    assert wrong.status_code == 400 and "assign-to" in wrong.data["fields"]
    assigned = dsl.post(f"/incidents/{concern}/assign", {"assigned_ids": [people["head"].staff_id]})
    assert [a["name"] for a in assigned.data["incident"]["assigned"]] == [people["head"].name]
    agencies = dsl.post(f"/incidents/{concern}/agencies", {"agencies": ["Police", "Early Help"]})
    assert agencies.data["incident"]["agencies"] == ["Early Help", "Police"]
    kinds = [h["kind"] for h in agencies.data["history"]]
    assert kinds == ["added", "concern level", "assigned", "agencies"]


def test_two_leaders_changing_at_once_cannot_overwrite_each_other(as_, people, behaviour, monkeypatch):
    from chalicelib.incidents import review

    original = review.load_for

    def stale(*args, **kwargs):
        incident, level = original(*args, **kwargs)
        incident.version -= 1  # as if another leader saved in between
        return incident, level

    monkeypatch.setattr(review, "load_for", stale)
    response = as_("dht").post(f"/incidents/{behaviour}/concern-level", {"level": "low", "reason": "x"})
    assert response.status_code == 409


def test_my_alerts_unread_first_and_mark_as_read(as_, people, behaviour, concern):
    head = as_("head")
    alerts = head.get("/alerts").data["alerts"]
    assert [a["read"] for a in alerts] == [False, False]
    assert {a["categories"][0] for a in alerts} == {"Behaviour", "Safeguarding"}
    assert all(a["raised_by"] == people["teacher"].name for a in alerts)
    assert head.post("/alerts/read", {"incident_id": concern}).data == {"changed": 1}
    again = head.get("/alerts").data
    assert [(a["incident_id"], a["read"]) for a in again["alerts"]] == [(behaviour, False)]
    assert [(a["incident_id"], a["read"]) for a in again["read"]] == [(concern, True)]  # read ones, below


def test_the_chronology_shows_incidents_and_actions_newest_first(as_, people, behaviour, concern):
    dsl = as_("dsl")
    dsl.post(f"/incidents/{concern}/actions", {"text": "Met with parent.", "date": "2026-11-27"})
    page = dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology")
    assert page.status_code == 200, page.data
    assert page.data["pupil"]["name"] == "Ama Boateng"
    kinds = [(e["kind"], e["categories"][0]) for e in page.data["entries"]]
    assert set(kinds) == {("incident", "Safeguarding"), ("incident", "Behaviour")}
    # Actions sit beneath their own incident, in their own time order (tests/functional/test_chronology.py).
    (concern_entry,) = [e for e in page.data["entries"] if e["incident_id"] == concern]
    assert [t["kind"] for t in concern_entry["timeline"]] == ["action"]
    linked = dsl.get(f"/pupils/{people['rory'].pupil_id}/chronology").data["entries"]
    assert [e["involvement"] for e in linked if e["kind"] == "incident"] == ["linked"]

    leader_view = as_("dht").get(f"/pupils/{people['ama'].pupil_id}/chronology").data["entries"]
    assert {e["categories"][0] for e in leader_view} == {"Behaviour"}  # no sign of the Safeguarding concern
    only = dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology?category=Behaviour").data["entries"]
    assert {e["categories"][0] for e in only} == {"Behaviour"}
    assert as_("teacher").get(f"/pupils/{people['ama'].pupil_id}/chronology").status_code == 403
    assert any(e.action == "viewed the chronology" for e in AuditEntry.query(f"pupil#{people['ama'].pupil_id}"))


def test_the_chronology_pages(as_, people):
    for _ in range(3):
        add(as_, people, submission(people))
    dsl = as_("dsl")
    from chalicelib import chronology

    original = chronology.PAGE_SIZE
    chronology.PAGE_SIZE = 2
    try:
        first = dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology").data
        second = dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology?cursor={first['next']}").data
    finally:
        chronology.PAGE_SIZE = original
    assert len(first["entries"]) == 2 and len(second["entries"]) == 1
    assert not {e["incident_id"] for e in first["entries"]} & {e["incident_id"] for e in second["entries"]}


def test_no_route_edits_or_deletes_audit_entries(as_, people, concern):
    as_("dsl").get(f"/incidents/{concern}")
    before = [(e.entry, e.action) for e in AuditEntry.query(f"incident#{concern}")]
    for path, methods in app.routes.items():
        assert "audit" not in path
        for method in methods:
            assert method in ("GET", "POST"), (path, method)  # no PUT, PATCH or DELETE anywhere
    for change in ("audit", "viewers", "history"):
        attempt = as_("dsl").post(f"/incidents/{concern}/{change}", {"entry": before[0][0]})
        assert attempt.status_code == 404
    after = [(e.entry, e.action) for e in AuditEntry.query(f"incident#{concern}")]
    assert after[: len(before)] == before or set(before) <= set(after)
    assert all(route in routes.access for path, m in app.routes.items() for route in [(path, next(iter(m)))])


def test_every_read_and_change_is_audited_with_where_from(as_, people, behaviour, monkeypatch):
    monkeypatch.setenv("LANTERN_ORIGIN_SECRET", "from-the-stack")  # as deployed: CloudFront proves itself
    dht = as_("dht")
    dht.get(
        f"/incidents/{behaviour}",
        headers={
            "user-agent": "iPad Safari",
            "cloudfront-viewer-address": "203.0.113.7:51234",
            "x-lantern-origin": "from-the-stack",
        },
    )
    dht.post(
        f"/incidents/{behaviour}/agencies", {"agencies": ["Police"]}, headers={"x-lantern-origin": "from-the-stack"}
    )
    entries = list(AuditEntry.query(f"incident#{behaviour}"))
    actions = [(e.actor_id, e.action, e.user_agent) for e in entries]
    assert (people["dht"].staff_id, "viewed the incident", "iPad Safari") in actions
    assert "203.0.113.7" in [e.ip for e in entries]  # the viewer, not CloudFront
    assert any(a == "changed: agencies" for _, a, _ in actions)


def test_a_former_member_of_staff_still_shows_in_history(as_, people, behaviour):
    make_staff("leader", email="another.leader@themead.example.org", title="Deputy Head Teacher")
    page = as_("head").get(f"/incidents/{behaviour}").data
    assert page["incident"]["reporter"]["name"] == people["teacher"].name


def test_a_change_that_changes_nothing_is_refused(as_, people, behaviour):
    dht = as_("dht")
    same = dht.post(
        f"/incidents/{behaviour}/recategorise",
        {"categories": ["Behaviour"], "subcategories": {"Behaviour": ["Disruption"]}, "reason": "Checking"},
    )
    assert same.status_code == 400 and "already how it is" in same.data["fields"]["recategorise-categories"]
    assert dht.post(f"/incidents/{behaviour}/status", {"status": "Active"}).status_code == 400
    history = dht.get(f"/incidents/{behaviour}").data["history"]
    assert [h["kind"] for h in history] == ["added"]


def test_a_page_never_looks_empty_while_older_entries_exist(as_, people, behaviour):
    """A leader's view skips a run of Safeguarding entries rather than saying nothing is recorded."""
    for _ in range(3):
        add(as_, people, safeguarding(people))
    from chalicelib import chronology

    original = chronology.PAGE_SIZE
    chronology.PAGE_SIZE = 2
    try:
        page = as_("dht").get(f"/pupils/{people['ama'].pupil_id}/chronology").data
    finally:
        chronology.PAGE_SIZE = original
    assert [e["categories"] for e in page["entries"] if e["kind"] == "incident"] == [["Behaviour"]]


def test_a_follow_up_date_goes_to_the_actors_planner_in_utc(as_, people, behaviour):
    from chalicelib.models import PlannerReminder

    response = as_("dht").post(
        f"/incidents/{behaviour}/actions", {"text": "Check in.", "date": "2026-11-27", "follow_up": "2099-07-01"}
    )
    assert response.status_code == 200, response.data
    (reminder,) = [r for r in PlannerReminder.scan() if r.staff_id == people["dht"].staff_id]
    assert reminder.due_day == "2099-07-01"
    assert reminder.due.startswith("2099-07-01T07:00:00+00:00#")  # 08:00 in London (BST) is 07:00 UTC
