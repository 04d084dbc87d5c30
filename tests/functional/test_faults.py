"""Faults on every write path: a failure injected at each DynamoDB, S3 and SES call in turn, both before the call
reaches AWS and after AWS did it (the answer lost, which is what makes "Try again" dangerous), then the client's
retry. Each path must leave exactly one record per intent and nothing half-written; the figure printed is the
number of injection points each path was tried at."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from chalicelib import audit
from chalicelib.clock import utcnow
from chalicelib.models import (
    Alert,
    AuditEntry,
    ChronologyEntry,
    Incident,
    IncidentEvent,
    OutboxItem,
    PlannerReminder,
    Staff,
)
from tests.functional.incident_data import safeguarding, submission
from tests.helpers import Api, inject_aws_fault, make_staff, sent_emails, session_cookie_for

LONDON = ZoneInfo("Europe/London")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
MODES = [pytest.param(False, id="request-lost"), pytest.param(True, id="answer-lost")]
# `make test` runs adding an incident and setting a password both ways, and every other path with the answer lost
# (the case that makes "Try again" dangerous); `make faults` (FAULTS=all) runs every path both ways.
EVERY_MODE = os.environ.get("FAULTS") == "all"
SHORT_MODES = MODES if EVERY_MODE else [MODES[1]]


def succeeded(response) -> bool:
    return response.status_code < 300


def every_fault_then_retry(
    call, check, *, lost_answer: bool, prepare=lambda n: None, after_fault=None, retry_ok=succeeded
) -> int:
    """Run `call(n)` once clean to count its AWS calls, then once per call with that call failing, each followed
    by a clean retry; `check(n)` then asserts the state for intent n. `prepare(n)` makes what intent n acts on;
    `after_fault(n)` checks what the failed try alone left; `retry_ok` says which answers to the retry are right.
    Returns the number of injection points (printed)."""
    prepare(0)
    with pytest.MonkeyPatch.context() as patch:
        calls = inject_aws_fault(patch, None)
        first = call(0)
        assert first.status_code < 300, first.data
    check(0)
    for fail_at in range(1, len(calls) + 1):
        prepare(fail_at)
        with pytest.MonkeyPatch.context() as patch:
            inject_aws_fault(patch, fail_at, lost_answer=lost_answer)
            failed = call(fail_at)
        assert failed.status_code != 400, (fail_at, calls[fail_at - 1], failed.data)  # never blamed on the form
        if after_fault is not None:
            after_fault(fail_at)
        retry = call(fail_at)
        assert retry_ok(retry), (fail_at, calls[fail_at - 1], retry.status_code, retry.data)
        check(fail_at)
    print(f"{len(calls)} injection points ({', '.join(dict.fromkeys(calls))})")
    return len(calls)


def let_in_progress_claims_lapse() -> None:
    """As if the functions holding Powertools' idempotency claims had run out of time (what a claim waits for)."""
    import boto3

    from chalicelib.models import IDEMPOTENCY_TABLE, table_name

    table = boto3.resource("dynamodb").Table(table_name(IDEMPOTENCY_TABLE))
    for item in table.scan()["Items"]:
        if item.get("status") == "INPROGRESS":
            table.update_item(
                Key={"id": item["id"]},
                UpdateExpression="SET in_progress_expiration = :past",
                ExpressionAttributeValues={":past": 1},
            )


def audit_chains_intact() -> None:
    assert audit.verify(AuditEntry.scan()) == []


@pytest.fixture
def as_(client, people):
    return lambda who: Api(client, session_cookie_for(people[who]))


def added(api: Api, body: dict) -> str:
    response = api.post("/incidents", body)
    assert response.status_code == 201, response.data
    return next(i.incident_id for i in Incident.scan() if i.reference == response.data["reference"])


# --- Adding an incident, with a file and a planner reminder ---------------------------------------------------


@pytest.mark.parametrize("lost_answer", MODES)
def test_adding_an_incident_with_a_file_then_retrying_adds_one_incident_and_keeps_the_file(as_, people, lost_answer):
    from chalicelib import aws, files

    teacher = as_("teacher")
    bodies = {}

    def prepare(n):
        start = teacher.post("/uploads", {"name": "arm.png", "type": "image/png", "size": len(PNG)})
        post = start.data
        sent = requests.post(post["url"], data=post["fields"], files={"file": ("arm.png", PNG)}, timeout=10)
        assert sent.status_code in (200, 204)
        day = (utcnow() + timedelta(days=2)).astimezone(LONDON).date().isoformat()
        bodies[n] = submission(
            people, upload_ids=[post["upload_id"]], planner={"date": day, "time": "09:00", "note": "Check"}
        )

    def incident_of(n):
        from chalicelib.incidents.service import incident_id_for

        try:
            return Incident.get(incident_id_for(people["teacher"].staff_id, bodies[n]["idempotency_key"]))
        except Incident.DoesNotExist:
            return None

    def tag(n) -> str:
        key = f"uploads/{people['teacher'].staff_id}/{bodies[n]['upload_ids'][0]}"
        tags = aws.s3().get_object_tagging(Bucket=files.files_bucket(), Key=key)["TagSet"]
        # moto does not apply the presigned POST's tagging field (S3 does): no tag there is "pending" here
        return tags[0]["Value"] if tags else "pending"

    def after_fault(n):
        # An incident that failed to save leaves no file tagged as kept (the clean-up deletes it if nobody retries);
        # one that was saved (its answer lost) keeps its file.
        assert tag(n) == ("attached" if incident_of(n) is not None else "pending"), n

    def check(n):
        incident = incident_of(n)
        assert incident is not None and len(incident.files) == 1, n
        assert tag(n) == "attached", n
        assert (
            len([e for e in ChronologyEntry.query(people["ama"].pupil_id) if e.incident_id == incident.incident_id])
            == 1
        )
        alerts = [o for o in OutboxItem.scan() if o.outbox_id.startswith(f"alert#{incident.incident_id}#")]
        assert len(alerts) == 2, n  # the DHT (assigned by default) and the Head: once each
        assert [r for r in PlannerReminder.scan() if r.incident_id == incident.incident_id and r.note == "Check"]

    def call(n):
        response = teacher.post("/incidents", bodies[n])
        if response.status_code == 409 and "still being added" in response.data["error"]:
            # The try that failed left its claim on the form (the answer to saving it was lost): the page says wait a
            # moment, then Try again. Deployed, the claim lapses when the failed call's time is up (<= 29 s);
            # here the moment passes at once.
            let_in_progress_claims_lapse()
            response = teacher.post("/incidents", bodies[n])
        return response

    points = every_fault_then_retry(call, check, lost_answer=lost_answer, prepare=prepare, after_fault=after_fault)
    assert points >= 6
    assert Incident.count() == points + 1
    audit_chains_intact()


# --- Every change to an incident ----------------------------------------------------------------------------


def _follow_up() -> str:
    return (utcnow() + timedelta(days=3)).astimezone(LONDON).date().isoformat()


CHANGES = {
    # change: (what it is made on, its form, what must be true once made)
    "actions": ("safeguarding", lambda p: {"text": "Rang home.", "date": _today(), "tagged_ids": [p["ta"].staff_id]}),
    "recategorise": (
        "behaviour",
        lambda p: {"categories": ["Safeguarding"], "subcategories": {"Safeguarding": ["Neglect"]}, "reason": "Said"},
    ),
    "concern-level": ("safeguarding", lambda p: {"level": "high", "reason": "Injury seen"}),
    "assign": ("safeguarding", lambda p: {"assigned_ids": [p["head"].staff_id]}),
    "status": ("behaviour", lambda p: {"status": "Closed", "decision": "No further action", "reason": "Resolved"}),
    "agencies": ("safeguarding", lambda p: {"agencies": ["Police"]}),
}
KINDS = {
    "actions": "action",
    "recategorise": "recategorised",
    "concern-level": "concern level",
    "assign": "assigned",
    "status": "status",
    "agencies": "agencies",
}


def _today() -> str:
    return utcnow().astimezone(LONDON).date().isoformat()


# `make test` runs the two changes whose transactions write the most (an action: alerts, emails, follow-up reminders;
# re-categorising: access passed on, chronology); `make faults` runs all six.
SHORT_CHANGES = list(CHANGES) if EVERY_MODE else ["actions", "recategorise"]


@pytest.mark.parametrize("lost_answer", SHORT_MODES)
@pytest.mark.parametrize("change", SHORT_CHANGES)
def test_each_change_then_retrying_is_made_once_with_its_history_chronology_alerts_and_audit(
    as_, people, change, lost_answer
):
    kind, form = CHANGES[change]
    teacher, dsl = as_("teacher"), as_("dsl")
    incidents = {}

    def prepare(n):
        incidents[n] = added(teacher, safeguarding(people) if kind == "safeguarding" else submission(people))

    def call(n):
        body = form(people)
        if change == "actions":
            body = {**body, "text": f"Rang home {n}.", "follow_up": _follow_up()}
        return dsl.post(f"/incidents/{incidents[n]}/{change}", {**body, "idempotency_key": f"{change}-form-{n}"})

    def check(n):
        incident_id = incidents[n]
        events = [e for e in IncidentEvent.query(incident_id) if e.kind == KINDS[change]]
        assert len(events) == 1, (n, [e.kind for e in IncidentEvent.query(incident_id)])
        receipts = [e for e in IncidentEvent.query(incident_id) if e.kind == "receipt"]
        assert len(receipts) == 1, n
        state = Incident.get(incident_id, consistent_read=True).state.as_dict()
        entry = next(e for e in ChronologyEntry.query(people["ama"].pupil_id) if e.incident_id == incident_id)
        timeline = [item for item in (entry.timeline or []) if item["kind"] == KINDS[change]]
        assert len(timeline) == 1, n  # the chronology moved with the change, once
        updates = [o for o in OutboxItem.scan() if o.outbox_id.startswith(f"change#{events[0].event_id}#")]
        if change == "actions":
            assert [o.staff_id for o in updates] == [people["ta"].staff_id], n
            reminders = [r for r in PlannerReminder.scan() if r.action_id == events[0].event_id]
            assert len(reminders) == 2, n  # the author's and the tagged TA's follow-up
            assert [a for a in Alert.query(people["ta"].staff_id) if a.action_id == events[0].event_id]
        elif change == "recategorise":
            assert state["categories"] == ["Safeguarding"] and list(entry.categories) == ["Safeguarding"]
        elif change == "concern-level":
            assert state["concern_level"] == "high"
        elif change == "assign":
            assert state["assigned_ids"] == [people["head"].staff_id]
            assert [o.staff_id for o in updates] == [people["head"].staff_id], n
        elif change == "status":
            incident = Incident.get(incident_id, consistent_read=True)
            assert state["status"] == "Closed" and incident.open is None and entry.status == "Closed"
        elif change == "agencies":
            assert state["agencies"] == ["Police"]

    assert every_fault_then_retry(call, check, lost_answer=lost_answer, prepare=prepare) >= 4
    audit_chains_intact()


@pytest.mark.parametrize("lost_answer", SHORT_MODES)
def test_marking_an_action_done_then_retrying_closes_it_once_for_everyone(as_, people, lost_answer):
    teacher, dsl, ta = as_("teacher"), as_("dsl"), as_("ta")
    actions = {}

    def prepare(n):
        incident_id = added(teacher, safeguarding(people))
        page = dsl.post(
            f"/incidents/{incident_id}/actions",
            {"text": f"Check in {n}", "date": _today(), "tagged_ids": [people["ta"].staff_id]},
        )
        assert page.status_code == 200, page.data
        action = next(e for e in IncidentEvent.query(incident_id) if e.kind == "action")
        actions[n] = (incident_id, action.event_id)

    def call(n):
        incident_id, action_id = actions[n]
        return ta.post(
            f"/incidents/{incident_id}/actions/{action_id}/done", {"note": "Done", "idempotency_key": f"d{n}xxxxxx"}
        )

    def check(n):
        incident_id, action_id = actions[n]
        assert len([e for e in IncidentEvent.query(incident_id) if e.kind == "action done"]) == 1, n
        (alert,) = [a for a in Alert.query(people["ta"].staff_id) if a.action_id == action_id]
        assert alert.done_at is not None and alert.open_work is None, n  # off the TA's open work
        entry = next(e for e in ChronologyEntry.query(people["ama"].pupil_id) if e.incident_id == incident_id)
        assert len([t for t in entry.timeline if t["kind"] == "action done"]) == 1, n

    assert every_fault_then_retry(call, check, lost_answer=lost_answer, prepare=prepare) >= 4
    audit_chains_intact()


# --- Alerts, the planner ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lost_answer", SHORT_MODES)
def test_marking_an_alert_read_then_retrying_reads_it_and_keeps_it_in_place(as_, people, lost_answer):
    teacher, head = as_("teacher"), as_("head")
    incidents = {}

    def prepare(n):
        incidents[n] = added(teacher, submission(people))

    def call(n):
        return head.post("/alerts/read", {"incident_id": incidents[n]})

    def check(n):
        (alert,) = [a for a in Alert.query(people["head"].staff_id) if a.incident_id == incidents[n]]
        assert alert.read and alert.open_work is None, n

    every_fault_then_retry(call, check, lost_answer=lost_answer, prepare=prepare)


def _due(days: int):
    return (utcnow() + timedelta(days=days)).astimezone(LONDON)


@pytest.mark.parametrize("lost_answer", SHORT_MODES)
def test_adding_a_reminder_then_retrying_keeps_one_per_click(as_, lost_answer):
    dsl = as_("dsl")
    due = _due(3)

    def call(n):
        body = {"date": due.date().isoformat(), "time": due.strftime("%H:%M"), "note": f"n{n}"}
        return dsl.post("/planner", {**body, "idempotency_key": f"planner-form-{n}"})

    def check(n):
        assert [r.note for r in PlannerReminder.scan() if r.note == f"n{n}"] == [f"n{n}"], n

    every_fault_then_retry(call, check, lost_answer=lost_answer)


# A reminder's id is its due time: once moved (or deleted), the old id is gone, so a retry after a lost answer is
# told "This reminder is not in your planner any more. Reload the page." (404), and the reload shows it moved.
def _moved_or_gone(response) -> bool:
    return response.status_code < 300 or (
        response.status_code == 404 and "not in your planner any more" in response.data["error"]
    )


@pytest.mark.parametrize("lost_answer", SHORT_MODES)
def test_moving_a_reminder_then_retrying_leaves_exactly_one_where_it_was_moved(as_, lost_answer):
    dsl = as_("dsl")
    made = {}

    def prepare(n):
        body = {"date": _due(2).date().isoformat(), "time": "09:00", "note": f"move {n}"}
        made[n] = dsl.post("/planner", {**body, "idempotency_key": f"make-{n}-xxxxxx"}).data["reminder"]["id"]

    def call(n):
        body = {"id": made[n], "date": _due(5).date().isoformat(), "time": "10:30", "note": f"move {n}"}
        return dsl.post("/planner/change", body)

    def check(n):
        mine = [r for r in PlannerReminder.scan() if r.note == f"move {n}"]
        assert len(mine) == 1 and mine[0].due_at.astimezone(LONDON).strftime("%H:%M") == "10:30", n

    every_fault_then_retry(call, check, lost_answer=lost_answer, prepare=prepare, retry_ok=_moved_or_gone)


@pytest.mark.parametrize("lost_answer", SHORT_MODES)
def test_deleting_a_reminder_then_retrying_leaves_none(as_, lost_answer):
    dsl = as_("dsl")
    made = {}

    def prepare(n):
        body = {"date": _due(2).date().isoformat(), "time": "09:00", "note": f"delete {n}"}
        made[n] = dsl.post("/planner", {**body, "idempotency_key": f"make-{n}-xxxxxx"}).data["reminder"]["id"]

    def call(n):
        return dsl.post("/planner/delete", {"id": made[n]})

    def check(n):
        assert [r for r in PlannerReminder.scan() if r.note == f"delete {n}"] == [], n

    every_fault_then_retry(call, check, lost_answer=lost_answer, prepare=prepare, retry_ok=_moved_or_gone)


# --- Accounts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lost_answer", MODES)
def test_setting_a_password_then_retrying_leaves_no_old_session_alive(client, school, lost_answer):
    """The probe's finding: a new password set while the account's old sessions stayed alive."""
    from chalicelib.auth import accounts

    staff = make_staff("staff", password=None)
    api = Api(client)
    tokens, old_sessions = {}, {}

    def new_link() -> str:
        accounts.send_password_link(school, Staff.get(staff.staff_id))
        return re.search(r"#token=([\w-]+)", sent_emails()[-1].body).group(1)

    def prepare(n):
        old_sessions[n] = Api(client, session_cookie_for(staff))
        tokens[n] = new_link()

    def call(n):
        return api.post("/auth/set-password", {"token": tokens[n], "password": f"kettle orchard lantern {n}"})

    def check(n):
        assert old_sessions[n].get("/me").status_code == 401, n  # never a new password beside a live session
        login = api.post("/auth/login", {"email": staff.email, "password": f"kettle orchard lantern {n}"})
        assert login.status_code == 200, (n, login.data)

    # The retry of a link already used (the password set, the answer lost) is told so: the password is set.
    def set_or_told_used(response) -> bool:
        return response.status_code == 200 or (response.status_code == 400 and "used" in str(response.data).lower())

    every_fault_then_retry(call, check, lost_answer=lost_answer, prepare=prepare, retry_ok=set_or_told_used)


@pytest.mark.parametrize("action", ["reset-second-factor", "disable", "email-works"])
@pytest.mark.parametrize("lost_answer", SHORT_MODES)
def test_an_admins_action_on_an_account_then_retrying_is_whole_and_audited(client, people, action, lost_answer):
    from chalicelib import email_feedback

    admin = Api(client, session_cookie_for(people["admin"]))
    members, sessions = {}, {}

    def prepare(n):
        member = make_staff("leader", email=f"leader.{n}.{action}@themead.example.org")
        member.update(actions=[Staff.totp_secret.set("JBSWY3DPEHPK3PXP"), Staff.second_factor_at.set(utcnow())])
        if action == "email-works":
            email_feedback.handle(
                email_feedback_school(),
                '{"notificationType": "Complaint", "complaint": {"complainedRecipients": '
                f'[{{"emailAddress": "{member.email}"}}]}}}}',
            )
        members[n] = member
        sessions[n] = Api(client, session_cookie_for(member))

    def call(n):
        return admin.post(f"/admin/staff/{members[n].staff_id}/{action}", {})

    def check(n):
        member = Staff.get(members[n].staff_id, consistent_read=True)
        if action == "reset-second-factor":
            assert member.totp_secret is None and not member.passkeys, n
            assert sessions[n].get("/me").status_code == 401, n
        elif action == "disable":
            assert not member.active and member.directory is None, n
            assert sessions[n].get("/me").status_code == 401, n
        else:
            assert member.email_problem is None, n
        entries = audit.entries(f"staff#{member.staff_id}")
        assert entries, n

    every_fault_then_retry(call, check, lost_answer=lost_answer, prepare=prepare)
    audit_chains_intact()


def email_feedback_school():
    from chalicelib.settings import current_school

    return current_school()


@pytest.mark.parametrize("lost_answer", SHORT_MODES)
def test_importing_staff_then_retrying_creates_each_account_once_with_one_link(client, people, lost_answer):
    admin = Api(client, session_cookie_for(people["admin"]))

    def call(n):
        csv = f"Email,Name,Role,Job Title\nnew.{n}@themead.example.org,New Teacher {n},staff,Class Teacher\n"
        return admin.post("/admin/roster", {"kind": "staff", "csv": csv})

    def check(n):
        email = f"new.{n}@themead.example.org"
        accounts = [s for s in Staff.scan() if s.email == email]
        assert len(accounts) == 1, n
        links = [o for o in OutboxItem.scan() if o.staff_id == accounts[0].staff_id and o.template == "set_password"]
        assert len(links) >= 1, n  # a retry may send a newer link (only the newest works), never none

    every_fault_then_retry(call, check, lost_answer=lost_answer)
