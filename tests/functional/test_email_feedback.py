"""SES's bounces and complaints: the account is marked, Lantern stops emailing it, the admins are told at once, the
DSL team's digest lists it, and an admin can say it works again. Notifications as SES publishes them to SNS."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib import audit, digest, email_feedback, outbox
from chalicelib.clock import utcnow
from chalicelib.models import OutboxItem, Staff
from tests.functional.incident_data import safeguarding
from tests.functional.test_follow_up import _monday_at, add, emails_to
from tests.helpers import Api, deliver_outbox, session_cookie_for


@pytest.fixture
def as_(client, people):
    return lambda who: Api(client, session_cookie_for(people[who]))


def bounce(address: str, kind: str = "Permanent") -> str:
    """A configuration-set event, as SES publishes it to the topic (the fields Lantern reads, and a few others)."""
    return json.dumps(
        {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": kind,
                "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1"}],
                "timestamp": "2026-12-02T10:00:00.000Z",
            },
            "mail": {"destination": [address], "source": "lantern@themead.example.org"},
        }
    )


def complaint(address: str) -> str:
    return json.dumps(
        {
            "notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"},
            "mail": {"destination": [address]},
        }
    )


def sns_event(message: str) -> dict:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "1",
                    "Subject": None,
                    "Message": message,
                    "MessageAttributes": {},
                },
            }
        ]
    }


def test_a_hard_bounce_marks_the_account_tells_the_admins_and_stops_its_email(client, as_, people, school):
    dsl = people["dsl"]
    client.lambda_.invoke("email_feedback", sns_event(bounce(dsl.email.upper())))  # SES may change the case

    marked = Staff.get(dsl.staff_id)
    assert marked.email_problem == "bounced" and marked.email_problem_at is not None
    assert [e.action for e in audit.entries(f"staff#{dsl.staff_id}")][0] == "email bounced"
    (told,) = emails_to(people["admin"])
    assert "Lantern cannot email Test dsl" in told.subject
    assert dsl.email not in told.body  # who, not their address

    # A new Safeguarding concern: the DSL's alert is not sent (it would bounce again), the deputy's is.
    add(as_, people, safeguarding(people))
    deliver_outbox()
    assert emails_to(dsl) == []
    assert [m for m in emails_to(people["ddsl"]) if "Safeguarding" in m.subject]
    skipped = [i for i in OutboxItem.scan() if i.staff_id == dsl.staff_id]
    assert skipped and {i.outcome for i in skipped} == {"skipped"}

    # SNS delivers at least once: the same notification again changes and sends nothing more.
    assert email_feedback.handle(school, bounce(dsl.email)) == 0
    assert len(emails_to(people["admin"])) == 1


def test_a_complaint_marks_the_account_and_a_transient_bounce_or_a_stranger_changes_nothing(people, school):
    assert email_feedback.handle(school, complaint(people["teacher"].email)) == 1
    assert Staff.get(people["teacher"].staff_id).email_problem == "marked as spam"

    assert email_feedback.handle(school, bounce(people["dht"].email, kind="Transient")) == 0  # a full mailbox
    assert email_feedback.handle(school, bounce("nobody@elsewhere.example")) == 0
    for not_feedback in ("not json", "[1, 2]", json.dumps({"notificationType": "Delivery"}), "null"):
        assert email_feedback.handle(school, not_feedback) == 0
    assert Staff.get(people["dht"].staff_id).email_problem is None


def test_the_admin_page_shows_it_and_an_admin_says_emails_work_again(as_, people, school):
    teacher = people["teacher"]
    email_feedback.handle(school, bounce(teacher.email))
    rows = {row["id"]: row for row in as_("admin").get("/admin/staff").data["staff"]}
    assert rows[teacher.staff_id]["email_problem"] == "bounced"
    assert rows[people["ta"].staff_id]["email_problem"] == ""

    assert as_("dsl").post(f"/admin/staff/{teacher.staff_id}/email-works", {}).status_code == 403  # admins only
    answer = as_("admin").post(f"/admin/staff/{teacher.staff_id}/email-works", {})
    assert answer.status_code == 200 and answer.data["staff"]["email_problem"] == ""
    assert Staff.get(teacher.staff_id).email_problem is None
    assert [e.action for e in audit.entries(f"staff#{teacher.staff_id}")][0] == "cleared the email problem"

    # Emailed again; and a later bounce is caught again.
    item = outbox.item("password_changed", teacher.staff_id, "test#1", {}, utcnow())
    item.save()
    assert outbox.deliver(school, item) == "sent"
    assert email_feedback.handle(school, bounce(teacher.email)) == 1


def test_the_dsl_teams_digest_names_who_lantern_cannot_email(as_, people, school):
    email_feedback.handle(school, complaint(people["ta"].email))
    monday = _monday_at("07:35")
    assert digest.send_if_due(school, now=monday) >= 1
    (for_dsl,) = [m for m in emails_to(people["ddsl"]) if "digest" in m.subject]
    assert "Staff Lantern cannot email" in for_dsl.body and "Test staff" in for_dsl.body
    assert people["ta"].email not in for_dsl.body
    leaders = [m for m in emails_to(people["dht"]) if "digest" in m.subject]
    assert all("cannot email" not in m.body for m in leaders)  # the DSL team's and Head's business


def test_sending_uses_the_stacks_configuration_set_when_deployed(monkeypatch, people, school):
    from chalicelib import aws

    sent = []

    class RecordingSes:
        def send_email(self, **message):
            sent.append(message)

    monkeypatch.setattr(aws, "ses", lambda: RecordingSes())
    item = outbox.item("password_changed", people["dht"].staff_id, "test#2", {}, utcnow() - timedelta(seconds=1))
    item.save()
    monkeypatch.setenv("LANTERN_SES_CONFIGURATION_SET", "lantern-themead")
    assert outbox.deliver(school, item) == "sent"
    assert sent[0]["ConfigurationSetName"] == "lantern-themead"
