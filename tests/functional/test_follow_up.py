"""Follow-up that nothing slips through: planner reminders (with a controlled clock), actions to completion, my
alerts that never hide unread work, the daily digest, and the outbox that sends every email once, late rather
than never."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from chalicelib import digest, outbox, reminders
from chalicelib.clock import utcnow
from chalicelib.models import Alert, Incident, JobCheckpoint, OutboxItem, PlannerReminder, Staff
from tests.functional.incident_data import safeguarding, submission
from tests.helpers import Api, deliver_outbox, sent_emails, session_cookie_for

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def as_(client, people):
    return lambda who: Api(client, session_cookie_for(people[who]))


def add(as_, people, body, who="teacher") -> str:
    response = as_(who).post("/incidents", body)
    assert response.status_code == 201, response.data
    return next(i.incident_id for i in Incident.scan() if i.reference == response.data["reference"])


def london(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=LONDON).astimezone(UTC)


def emails_to(person) -> list:
    return [m for m in sent_emails() if m.destinations["ToAddresses"] == [person.email]]


def reminder_emails(person) -> list:
    return [m for m in emails_to(person) if "reminder" in m.subject.lower()]


def plan(api: Api, when: datetime, note="Check in with the class", **extra):
    local = when.astimezone(LONDON)
    body = {"date": local.date().isoformat(), "time": local.strftime("%H:%M"), "note": note, **extra}
    return api.post("/planner", body)


# --- Reminders ---------------------------------------------------------------------------------------------------


def test_a_reminder_is_sent_when_due_once_and_not_before(as_, people, school):
    due = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    added = plan(as_("dsl"), due)
    assert added.status_code == 201, added.data
    assert added.data["reminder"]["time"] == due.astimezone(LONDON).strftime("%H:%M")

    assert reminders.queue_due(school, now=due - timedelta(minutes=1)) == {}  # not yet due
    assert reminder_emails(people["dsl"]) == []
    assert reminders.queue_due(school, now=due + timedelta(seconds=30)) == {"queued": 1}
    (email,) = reminder_emails(people["dsl"])
    assert "Check in with the class" in email.body
    assert reminders.queue_due(school, now=due + timedelta(minutes=1)) == {}  # the next run: nothing again
    assert len(reminder_emails(people["dsl"])) == 1
    shown = as_("dsl").get("/alerts").data["reminders"]
    assert shown == [] or all(r["sent"] for r in shown)  # due in the future relative to the real clock


def test_a_reminder_missed_while_the_job_was_down_is_sent_late_once(as_, people, school):
    start = utcnow()
    reminders.queue_due(school, now=start)  # the checkpoint
    due = (start + timedelta(hours=1)).replace(second=0, microsecond=0)
    assert plan(as_("dsl"), due).status_code == 201
    back = start + timedelta(hours=7)  # the job was down for six hours
    assert reminders.queue_due(school, now=back) == {"queued": 1}
    assert reminders.queue_due(school, now=back + timedelta(minutes=1)) == {}
    assert len(reminder_emails(people["dsl"])) == 1


def test_a_reminder_past_midnight_after_downtime_is_found_in_the_previous_days_bucket(as_, people, school):
    now = utcnow()
    due = (now + timedelta(days=1)).replace(hour=23, minute=50, second=0, microsecond=0)
    reminders.queue_due(school, now=due - timedelta(hours=1))
    assert plan(as_("dsl"), due).status_code == 201
    assert reminders.queue_due(school, now=due + timedelta(hours=3)) == {"queued": 1}  # next UTC day


@pytest.mark.parametrize(
    ("day", "clock", "utc"),
    [
        ("2027-01-11", "08:00", "2027-01-11T08:00:00+00:00"),  # winter: London is UTC
        ("2027-06-14", "08:00", "2027-06-14T07:00:00+00:00"),  # summer: BST is UTC+1
        ("2027-03-29", "07:30", "2027-03-29T06:30:00+00:00"),  # the Monday after the clocks go forward
        ("2027-11-01", "07:30", "2027-11-01T07:30:00+00:00"),  # the Monday after they go back
    ],
)
def test_reminders_are_keyed_and_sent_in_utc_across_daylight_saving(as_, people, school, day, clock, utc):
    response = as_("dsl").post("/planner", {"date": day, "time": clock, "note": ""})
    assert response.status_code == 201, response.data
    assert response.data["reminder"]["due_at"] == utc
    assert response.data["reminder"]["time"] == clock  # shown back in school time
    due = datetime.fromisoformat(utc)
    (stored,) = PlannerReminder.query(due.date().isoformat())
    assert stored.due.startswith(utc)
    reminders.queue_due(school, now=due - timedelta(minutes=5))
    assert reminders.queue_due(school, now=due - timedelta(seconds=1)) == {}
    assert reminders.queue_due(school, now=due + timedelta(seconds=1)) == {"queued": 1}


def test_two_overlapping_runs_queue_a_reminder_once(as_, people, school):
    due = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    assert plan(as_("dsl"), due).status_code == 201
    results = []
    runs = [
        threading.Thread(target=lambda: results.append(reminders.queue_due(school, now=due + timedelta(seconds=5))))
        for _ in range(4)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert sum(r.get("queued", 0) for r in results) == 1
    assert len(reminder_emails(people["dsl"])) == 1


def test_the_reporters_own_reminder_comes_without_a_link_they_can_no_longer_open(as_, people, school):
    due = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)
    local = due.astimezone(LONDON)
    body = submission(
        people,
        planner={"date": local.date().isoformat(), "time": local.strftime("%H:%M"), "note": "Ask Ama how it went"},
    )
    incident_id = add(as_, people, body)
    reminders.queue_due(school, now=due + timedelta(seconds=10))
    (email,) = reminder_emails(people["teacher"])
    assert "Ask Ama how it went" in email.body  # their own note
    assert incident_id not in email.body  # the reporter may not read the record any more: no link
    assert "Boateng" not in email.body and "pushed a chair" not in email.body


def test_a_dsls_reminder_about_an_incident_links_to_it(as_, people, school):
    incident_id = add(as_, people, safeguarding(people))
    due = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    assert plan(as_("dsl"), due, note="Call social care", incident_id=incident_id).status_code == 201
    reminders.queue_due(school, now=due + timedelta(seconds=10))
    (email,) = reminder_emails(people["dsl"])
    assert f"/incident.html?id={incident_id}" in email.body


def test_a_disabled_owner_gets_no_reminder(as_, people, school):
    due = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    assert plan(as_("dsl"), due).status_code == 201
    people["dsl"].update(actions=[Staff.active.set(False), Staff.directory.remove()])
    assert reminders.queue_due(school, now=due + timedelta(seconds=10)) == {"not needed": 1}
    assert reminder_emails(people["dsl"]) == []


def test_an_email_to_an_account_disabled_after_it_was_queued_is_not_sent(as_, people, school):
    add(as_, people, safeguarding(people))
    people["ta"].update(actions=[Staff.active.set(False), Staff.directory.remove()])
    assert emails_to(people["ta"]) == []
    outcomes = {item.outcome for item in OutboxItem.scan() if item.staff_id == people["ta"].staff_id}
    assert outcomes == {"skipped"}


# --- My planner --------------------------------------------------------------------------------------------------


def test_my_planner_add_change_delete_and_nobody_elses(as_, people):
    dsl, head = as_("dsl"), as_("head")
    due = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    reminder = plan(dsl, due, note="First").data["reminder"]
    assert [r["note"] for r in dsl.get("/planner").data["upcoming"]] == ["First"]
    assert head.get("/planner").data == {"upcoming": [], "past": []}

    later = (due + timedelta(hours=1)).astimezone(LONDON)
    change = {"id": reminder["id"], "date": later.date().isoformat(), "time": later.strftime("%H:%M"), "note": "Moved"}
    assert head.post("/planner/change", change).status_code == 404  # not in the Head's planner
    assert head.post("/planner/delete", {"id": reminder["id"]}).status_code == 404
    moved = dsl.post("/planner/change", change)
    assert moved.status_code == 200, moved.data
    assert [(r["note"], r["time"]) for r in dsl.get("/planner").data["upcoming"]] == [
        ("Moved", later.strftime("%H:%M"))
    ]
    assert dsl.post("/planner/delete", {"id": moved.data["reminder"]["id"]}).data == {"deleted": True}
    assert dsl.get("/planner").data["upcoming"] == []


def test_planner_field_errors(as_, people, concern_by_teacher):
    teacher = as_("teacher")
    past = utcnow() - timedelta(hours=1)
    response = plan(teacher, past)
    assert response.status_code == 400
    assert "planner-time" in response.data["fields"]
    assert plan(teacher, utcnow() + timedelta(days=400)).data["fields"]["planner-date"]
    # A reminder about an incident the teacher may not read is refused, naming the field.
    refused = plan(teacher, utcnow() + timedelta(hours=1), incident_id=concern_by_teacher)
    assert refused.status_code == 400 and "planner-incident" in refused.data["fields"]
    assert as_("admin").get("/planner").status_code == 403


@pytest.fixture
def concern_by_teacher(as_, people):
    return add(as_, people, safeguarding(people))


# --- Actions to completion ---------------------------------------------------------------------------------------


def test_a_tagged_teacher_sees_and_completes_an_action_and_the_dsl_sees_who(as_, people, school, concern_by_teacher):
    dsl, teacher = as_("dsl"), as_("teacher")
    follow_up = (school.today() + timedelta(days=3)).isoformat()
    added = dsl.post(
        f"/incidents/{concern_by_teacher}/actions",
        {
            "text": "Check Ama's wellbeing at lunch.",
            "date": school.today().isoformat(),
            "tagged_ids": [people["teacher"].staff_id],
            "follow_up": follow_up,
        },
    )
    assert added.status_code == 200, added.data
    (action,) = added.data["actions"]
    assert action["follow_up"] == follow_up and action["done"] is None and not action["overdue"]

    mine = teacher.get("/alerts").data["actions"]
    assert [(a["text"], a["pupil"]["name"], a["by"]) for a in mine] == [
        ("Check Ama's wellbeing at lunch.", "Ama Boateng", people["dsl"].name)
    ]
    email = emails_to(people["teacher"])[-1]
    assert "Ama" not in email.body and "wellbeing" not in email.body  # never the pupil or the action by email

    # Someone not tagged cannot mark it done; the teacher can, with a note.
    assert (
        as_("ta").post(f"/incidents/{concern_by_teacher}/actions/{action['id']}/done", {"note": "x"}).status_code == 403
    )
    long_note = teacher.post(f"/incidents/{concern_by_teacher}/actions/{action['id']}/done", {"note": "x" * 1001})
    assert long_note.status_code == 400 and "action-done-note" in long_note.data["fields"]
    done = teacher.post(f"/incidents/{concern_by_teacher}/actions/{action['id']}/done", {"note": "Seemed happier."})
    assert done.status_code == 200, done.data
    again = teacher.post(f"/incidents/{concern_by_teacher}/actions/{action['id']}/done", {"note": "Seemed happier."})
    assert again.status_code == 200  # a retry changes nothing

    assert teacher.get("/alerts").data["actions"] == []  # no longer open work
    (seen,) = dsl.get(f"/incidents/{concern_by_teacher}").data["actions"]
    assert seen["done"]["by"] == people["teacher"].name and seen["done"]["note"] == "Seemed happier."
    assert len([e for e in Alert.scan() if e.action_id == action["id"] and e.done_at]) == 1

    # Its follow-up reminders (the author's and the teacher's) are not sent: the action is done.
    due = london(follow_up, "08:00")
    assert reminders.queue_due(school, now=due + timedelta(minutes=1)) == {"not needed": 2}


def test_an_action_past_its_follow_up_is_overdue_and_both_author_and_tagged_are_reminded(
    as_, people, school, concern_by_teacher
):
    dsl = as_("dsl")
    follow_up = school.today() + timedelta(days=1)
    response = dsl.post(
        f"/incidents/{concern_by_teacher}/actions",
        {
            "text": "Speak to mum at pick-up.",
            "date": school.today().isoformat(),
            "tagged_ids": [people["ddsl"].staff_id],
            "follow_up": follow_up.isoformat(),
        },
    )
    assert response.status_code == 200, response.data
    due = london(follow_up.isoformat(), "08:00")
    assert reminders.queue_due(school, now=due + timedelta(seconds=30)) == {"queued": 2}
    assert len(reminder_emails(people["dsl"])) == 1 and len(reminder_emails(people["ddsl"])) == 1
    # The day after the follow-up date, it shows as overdue on the page and the dashboard.
    (overdue,) = [a for a in Alert.scan() if a.action_id]
    assert overdue.follow_up == follow_up.isoformat()
    from chalicelib.incidents.review import is_overdue

    assert is_overdue(overdue.follow_up, follow_up + timedelta(days=1))
    assert not is_overdue(overdue.follow_up, follow_up)


def test_an_admin_is_never_alerted_tagged_or_assigned(as_, people, concern_by_teacher):
    refused = as_("teacher").post("/incidents", submission(people, alerted_ids=[people["admin"].staff_id]))
    assert refused.status_code == 400 and "alert" in refused.data["fields"]
    assigned = as_("teacher").post("/incidents", submission(people, assigned_ids=[people["admin"].staff_id]))
    assert assigned.status_code == 400 and "assign-to" in assigned.data["fields"]
    tagged = as_("dsl").post(
        f"/incidents/{concern_by_teacher}/actions",
        {"text": "x", "date": utcnow().date().isoformat(), "tagged_ids": [people["admin"].staff_id]},
    )
    assert tagged.status_code == 400 and "action-tagged" in tagged.data["fields"]
    roster = as_("teacher").get("/roster").data["staff"]
    assert people["admin"].staff_id not in {s["id"] for s in roster}


# --- My alerts: unread and open work never hidden ----------------------------------------------------------------


def test_unread_alerts_older_than_a_page_of_history_are_all_listed(as_, people, concern_by_teacher):
    head = people["head"]
    old = utcnow() - timedelta(days=300)
    with Alert.batch_write() as batch:
        for n in range(150):  # a busy history, all read, newer than the three unread ones below
            batch.save(
                Alert(
                    staff_id=head.staff_id,
                    alert=f"{(old + timedelta(days=1, minutes=n)).isoformat()}#{uuid.uuid4()}",
                    incident_id=str(uuid.uuid4()),
                    reason="alerted",
                    raised_by=people["teacher"].staff_id,
                    categories=["Behaviour"],
                    read=True,
                )
            )
        for n in range(3):
            batch.save(
                Alert(
                    staff_id=head.staff_id,
                    alert=f"{(old + timedelta(minutes=n)).isoformat()}#{uuid.uuid4()}",
                    incident_id=str(uuid.uuid4()),
                    reason="alerted",
                    raised_by=people["teacher"].staff_id,
                    categories=["Behaviour"],
                ).open_up()
            )
    page = as_("head").get("/alerts").data
    assert len(page["alerts"]) == 4  # the three old unread ones and today's concern
    assert len(page["read"]) == 20 and page["cursor"]
    more = as_("head").get(f"/alerts?cursor={page['cursor']}").data
    assert len(more["read"]) == 20 and {a["alerted_at"] for a in more["read"]}.isdisjoint(
        {a["alerted_at"] for a in page["read"]}
    )
    assert as_("head").get("/alerts?cursor=not-a-cursor").status_code == 400


# --- The outbox: never lost, never twice per change --------------------------------------------------------------


def test_an_ses_failure_is_retried_with_backoff_then_parked(as_, people, school, monkeypatch):
    from chalicelib import notify

    real_send = notify.send_email
    monkeypatch.setattr(notify, "send_email", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("SES down")))
    add(as_, people, submission(people))
    deliver_outbox()
    (item,) = [i for i in OutboxItem.scan() if i.staff_id == people["head"].staff_id]
    assert item.attempts == 1 and item.queue == "pending" and item.last_error == "ConnectionError"
    now = utcnow()
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        now += timedelta(hours=1)
        outbox.sweep(school, now=now)
    item.refresh()
    assert item.queue == "parked" and item.attempts == outbox.MAX_ATTEMPTS
    assert item.outbox_id in [p.outbox_id for p in outbox.parked()]

    monkeypatch.setattr(notify, "send_email", real_send)  # SES is back: a retry after a recovery sends once
    other = add(as_, people, submission(people))
    monkeypatch.setattr(notify, "send_email", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("SES down")))
    deliver_outbox()
    monkeypatch.setattr(notify, "send_email", real_send)
    outbox.sweep(school, now=utcnow() + timedelta(minutes=2))
    head_emails = [m for m in emails_to(people["head"]) if f"LAN-{other[:8].upper()}" in m.body]
    assert len(head_emails) == 1


def test_a_sender_that_dies_before_marking_sent_leaves_the_email_to_be_sent_again(as_, people, school):
    """The documented side: a rare duplicate, never a lost email."""
    add(as_, people, submission(people))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outbox, "_finish", lambda *a, **k: (_ for _ in ()).throw(TimeoutError("Lambda timed out")))
        with pytest.raises(BatchProcessingError):  # Lambda would retry the batch; the lease keeps it from racing
            deliver_outbox()
    assert outbox.sweep(school, now=utcnow()) == {}  # the claim's lease has not run out
    assert outbox.sweep(school, now=utcnow() + outbox.CLAIM_LEASE + timedelta(seconds=1)) == {"sent": 2}
    assert len(emails_to(people["head"])) == 2  # sent, then sent again: the Head and the DHT each get it twice


def test_two_senders_claim_an_email_once(as_, people, school):
    add(as_, people, submission(people))
    (item,) = [i for i in OutboxItem.scan() if i.staff_id == people["head"].staff_id]
    results = []
    senders = [threading.Thread(target=lambda: results.append(outbox.deliver(school, item))) for _ in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert results.count("sent") == 1
    assert len(emails_to(people["head"])) == 1


def test_the_request_does_not_wait_for_ses(as_, people, monkeypatch):
    from chalicelib import notify

    monkeypatch.setattr(notify, "send_email", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("SES down")))
    assert as_("teacher").post("/incidents", submission(people)).status_code == 201
    assert as_("dsl").post("/auth/forgot", {"email": people["ta"].email}).status_code == 202


# --- Faults while adding an incident: exactly one incident and one set of alerts ---------------------------------


# --- The daily digest --------------------------------------------------------------------------------------------


def _monday_at(clock: str) -> datetime:
    today = utcnow().astimezone(LONDON).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    return london(monday.isoformat(), clock)


def test_the_daily_digest_lists_open_work_for_each_reader_and_is_sent_once_a_day(as_, people, school):
    concern = add(as_, people, safeguarding(people))
    add(as_, people, submission(people))
    dsl = as_("dsl")
    overdue_on = school.today() + timedelta(days=1)
    dsl.post(
        f"/incidents/{concern}/actions",
        {
            "text": "x",
            "date": school.today().isoformat(),
            "tagged_ids": [people["ta"].staff_id],
            "follow_up": overdue_on.isoformat(),
        },
    )
    people["ta"].update(actions=[Staff.active.set(False), Staff.directory.remove()])  # left the school
    monday = _monday_at("07:35")
    assert digest.send_if_due(school, now=monday - timedelta(minutes=10)) == 0  # before the school's time
    queued = digest.send_if_due(school, now=monday)
    assert queued >= 3
    assert digest.send_if_due(school, now=monday + timedelta(minutes=5)) == 0  # once a day
    reference = f"LAN-{concern[:8].upper()}"

    (for_dsl,) = [m for m in emails_to(people["dsl"]) if "digest" in m.subject]
    assert reference in for_dsl.body and "Safeguarding" in for_dsl.body
    assert "disabled" in for_dsl.body  # the leaver's open action, for someone to pick up
    assert "Ama" not in for_dsl.body and "pushed a chair" not in for_dsl.body
    (for_dht,) = [m for m in emails_to(people["dht"]) if "digest" in m.subject]
    assert reference not in for_dht.body and "Safeguarding" not in for_dht.body  # a leader: no trace of it
    assert "Behaviour" in for_dht.body
    assert [m for m in emails_to(people["teacher"]) if "digest" in m.subject] == []  # staff: none


def test_no_digest_at_the_weekend_when_switched_off_or_empty(as_, people, school):
    saturday = _monday_at("09:00") - timedelta(days=2)
    assert digest.send_if_due(school, now=saturday) == 0
    assert (
        digest.send_if_due(school._replace(digest=school.digest._replace(enabled=False)), now=_monday_at("09:00")) == 0
    )
    assert digest.send_if_due(school, now=_monday_at("09:00")) == 0  # nothing open: nothing sent
    assert JobCheckpoint.get("digest").day_done == _monday_at("09:00").astimezone(LONDON).date().isoformat()


def test_a_reminder_that_could_not_be_queued_is_tried_again_however_long_it_takes(as_, people, school):
    """DynamoDB refuses the queueing transaction for a while (longer than the job's overlap): the checkpoint
    waits, and the reminder is sent once DynamoDB answers again."""
    from pynamodb.transactions import TransactWrite

    due = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    reminders.queue_due(school, now=due - timedelta(minutes=5))
    assert plan(as_("dsl"), due).status_code == 201
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactWrite, "_commit", lambda self: (_ for _ in ()).throw(ConnectionError("no DynamoDB")))
        for minutes in range(1, 40, 5):
            assert reminders.queue_due(school, now=due + timedelta(minutes=minutes)) == {"failed": 1}
    assert reminders.queue_due(school, now=due + timedelta(minutes=45)) == {"queued": 1}
    assert len(reminder_emails(people["dsl"])) == 1
