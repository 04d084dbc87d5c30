"""The scheduled and event functions, each started as the deployed stack starts it: in a process of its own.

Each of the stack's functions is a separate Lambda process, so nothing the API function did (naming the school's
tables on its first request) has happened when the outbox sender, the sweep, the reminders, the digest or the email
feedback function starts. Each must find the school's tables itself, or every email would fail once deployed.
"""

from __future__ import annotations

import pytest

from app import app
from chalicelib import models
from chalicelib.models import Staff
from tests.functional.test_email_feedback import bounce, sns_event
from tools.local_stack import outbox_stream, sent_emails


@pytest.fixture
def as_a_new_process():
    """Forget the tables' names, as a function's fresh process has never named them."""

    def forget() -> None:
        models._bound_prefix = None
        for kind, model in models.MODELS.items():
            model.Meta.table_name = kind
            model._connection = None

    yield forget
    models.bind()  # the rest of the session's tests run as the API function, named


def test_each_scheduled_and_event_function_finds_the_schools_tables_in_a_fresh_process(
    client, api, people, school, as_a_new_process
):
    stream = outbox_stream(app)  # Lambda's event source mapping knows the stream's address; finding it is set-up
    teacher = people["teacher"]
    assert api.post("/auth/forgot", {"email": teacher.email}).status_code == 202

    as_a_new_process()
    stream.poll()  # the set-password email, handed to a fresh send_outbox
    assert [email.destinations["ToAddresses"] for email in sent_emails(school.aws_region)] == [[teacher.email]]

    scheduled = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    for name in ("queue_due_reminders", "sweep_outbox", "send_daily_digest"):
        as_a_new_process()
        client.lambda_.invoke(name, scheduled)  # raised "table not found" before each named its tables
        assert models.OutboxItem.Meta.table_name == "lantern-themead-outbox", name

    as_a_new_process()
    client.lambda_.invoke("email_feedback", sns_event(bounce(teacher.email)))
    assert Staff.get(teacher.staff_id).email_problem == "bounced"
