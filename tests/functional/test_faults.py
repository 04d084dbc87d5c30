"""Faults on the write paths: a failure injected at each DynamoDB call in turn, then the client's retry, leaves
exactly one record per intent and nothing half-written. (Adding an incident: tests/functional/test_follow_up.py.)"""

from __future__ import annotations

import re

import pytest

from chalicelib.models import Incident, IncidentEvent, OutboxItem, PlannerReminder
from tests.functional.incident_data import safeguarding
from tests.helpers import Api, inject_dynamodb_fault, make_staff, sent_emails, session_cookie_for


def every_fault_then_retry(call, check) -> int:
    """Run `call(n)` once clean to count its calls, then once per call with that call failing, each followed by a
    clean retry; `check(n)` then asserts the state for intent n. Returns the number of injection points."""
    with pytest.MonkeyPatch.context() as patch:
        calls = inject_dynamodb_fault(patch, None)
        assert call(0).status_code < 300
    check(0)
    for fail_at in range(1, len(calls) + 1):
        with pytest.MonkeyPatch.context() as patch:
            inject_dynamodb_fault(patch, fail_at)
            call(fail_at)
        retry = call(fail_at)
        assert retry.status_code < 300, (fail_at, retry.status_code, retry.data)
        check(fail_at)
    return len(calls)


def test_adding_an_action_then_retrying_adds_one_action_and_one_email(client, people):
    teacher = Api(client, session_cookie_for(people["teacher"]))
    dsl = Api(client, session_cookie_for(people["dsl"]))
    reference = teacher.post("/incidents", safeguarding(people)).data["reference"]
    incident_id = next(i.incident_id for i in Incident.scan() if i.reference == reference)

    def call(n):
        body = {"text": f"Action {n}", "date": "2026-11-27", "tagged_ids": [people["ta"].staff_id]}
        return dsl.post(f"/incidents/{incident_id}/actions", {**body, "idempotency_key": f"action-form-{n}"})

    def check(n):
        actions = [
            e for e in IncidentEvent.query(incident_id) if e.kind == "action" and e.details["text"] == f"Action {n}"
        ]
        assert len(actions) == 1, n
        emails = [
            o for o in OutboxItem.scan() if o.outbox_id == f"change#{actions[0].event_id}#{people['ta'].staff_id}"
        ]
        assert len(emails) == 1, n

    assert every_fault_then_retry(call, check) >= 5


def test_setting_a_password_then_retrying_leaves_no_old_session_alive(client, school):
    """The probe's finding: a new password set while the account's old sessions stayed alive."""
    from chalicelib.auth import accounts
    from chalicelib.models import Staff

    staff = make_staff("staff", password=None)
    api = Api(client)

    def new_link() -> str:
        accounts.send_password_link(school, Staff.get(staff.staff_id))
        return re.search(r"#token=([\w-]+)", sent_emails()[-1].body).group(1)

    with pytest.MonkeyPatch.context() as patch:
        calls = inject_dynamodb_fault(patch, None)
        api.post("/auth/set-password", {"token": new_link(), "password": "kettle orchard lantern 0"})
    for fail_at in range(1, len(calls) + 1):
        old_session = Api(client, session_cookie_for(staff))
        token = new_link()
        with pytest.MonkeyPatch.context() as patch:
            inject_dynamodb_fault(patch, fail_at)
            api.post("/auth/set-password", {"token": token, "password": f"kettle orchard lantern {fail_at}"})
        retry = api.post("/auth/set-password", {"token": token, "password": f"kettle orchard lantern {fail_at}"})
        assert retry.status_code in (200, 400), (fail_at, retry.data)  # set now, or already set by the first try
        assert old_session.get("/me").status_code == 401, fail_at  # never a new password beside a live session


def test_adding_a_reminder_then_retrying_keeps_one_per_click(client, people):
    from datetime import timedelta

    from chalicelib.clock import utcnow

    dsl = Api(client, session_cookie_for(people["dsl"]))
    due = (utcnow() + timedelta(days=3)).astimezone(
        people["dsl"].__class__ and __import__("zoneinfo").ZoneInfo("Europe/London")
    )

    def call(n):
        body = {"date": due.date().isoformat(), "time": due.strftime("%H:%M"), "note": f"n{n}"}
        return dsl.post("/planner", {**body, "idempotency_key": f"planner-form-{n}"})

    def check(n):
        assert [r.note for r in PlannerReminder.scan() if r.note == f"n{n}"] == [f"n{n}"], n

    every_fault_then_retry(call, check)
