"""Follow-up: DynamoDB calls of the reminder job per run, and of "My alerts" as a Head's history grows.

    python bench/follow_up.py

Targets:
- the reminder job: one Query per UTC day bucket it reads, plus one claim (a transaction that marks the reminder
  and writes its email to the outbox) per due reminder, and one send per reminder (the outbox: GetItem, the claim
  UpdateItem, the recipient's GetItem, the mark UpdateItem, and one SES SendEmail);
- "My alerts" for a Head with 40 unread alerts: the same calls with 300 alerts in their history as with 30,000.
Counted on the real stack (moto's server).
"""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Calls:
    """Counts AWS calls by service and operation while active."""

    def __init__(self) -> None:
        import botocore.client

        self.counted: Counter = Counter()
        self._client = botocore.client.BaseClient
        self._original = self._client._make_api_call

    def __enter__(self) -> Counter:
        original, counted = self._original, self.counted

        def counting(client, operation, params):
            counted[(client.meta.service_model.service_name, operation)] += 1
            return original(client, operation, params)

        self._client._make_api_call = counting
        return counted

    def __exit__(self, *exc) -> None:
        self._client._make_api_call = self._original


def fresh_school(running):
    import requests

    from tools import local_stack
    from tools.build_site import school_file

    requests.post(f"{running.endpoint}/moto-api/reset", timeout=10)
    school = local_stack.configure_school(str(school_file("themead")), "https://themead.bench", "lantern-bench-")
    local_stack.create_resources(school)
    return school


def reminder_job(running, due_count: int) -> tuple[Counter, Counter, int]:
    from chalicelib import outbox, reminders
    from chalicelib.clock import utcnow
    from chalicelib.models import PlannerReminder
    from tests.functional.incident_data import make_people

    school = fresh_school(running)
    people = make_people()
    now = utcnow().replace(second=0, microsecond=0)
    reminders.queue_due(school, now=now - timedelta(minutes=5))  # the checkpoint
    for n in range(due_count):
        PlannerReminder.due_for(
            now - timedelta(minutes=1), people["dsl"].staff_id, None, "Invented note", key=f"bench-{n}"
        ).save()
    with Calls() as job:
        queued = reminders.queue_due(school, now=now).get("queued", 0)
    with Calls() as sending:
        outbox.sweep(school, now=now + timedelta(seconds=1))
    buckets = 1 if (now - reminders.OVERLAP - timedelta(minutes=5)).date() == now.date() else 2
    return job, sending, buckets if queued == due_count else -1


def my_alerts(running, history: int, unread: int) -> Counter:
    from chalice.test import Client

    from app import app
    from chalicelib.clock import utcnow
    from chalicelib.models import Alert
    from tests.functional.incident_data import make_people
    from tests.helpers import Api, session_cookie_for

    fresh_school(running)
    people = make_people()
    head = people["head"]
    start = utcnow() - timedelta(days=400)
    with Alert.batch_write() as batch:
        for n in range(history):
            alert = Alert(
                staff_id=head.staff_id,
                alert=f"{(start + timedelta(minutes=n)).isoformat()}#{uuid.uuid4()}",
                incident_id=str(uuid.uuid4()),
                reason="alerted",
                raised_by=people["teacher"].staff_id,
                raised_by_name="Invented Teacher",
                categories=["Behaviour"],
                read=n >= unread,  # the oldest ones are the unread ones: they must not vanish
            )
            batch.save(alert.open_up() if not alert.read else alert)
    with Client(app, stage_name="api") as client:
        api = Api(client, session_cookie_for(head))
        with Calls() as counted:
            page = api.get("/alerts")
    assert page.status_code == 200 and len(page.data["alerts"]) == unread, page.data
    return counted


def line(counted: Counter, service: str | None = None) -> str:
    rows = sorted((f"{op} {n}" for (svc, op), n in counted.items() if service in (None, svc)))
    return f"{sum(n for (svc, _), n in counted.items() if service in (None, svc)):3d}  ({', '.join(rows)})"


def main() -> None:
    from tools import local_stack

    running = local_stack.start_local_aws("eu-west-2")
    print("Reminder job, per run (DynamoDB calls; the outbox's sending counted apart)")
    for due in (1, 10, 40):
        job, sending, buckets = reminder_job(running, due)
        queries = job[("dynamodb", "Query")]
        claims = job[("dynamodb", "TransactWriteItems")]
        target_ok = queries == buckets and claims == due
        print(f"  {due:2d} due: job {line(job, 'dynamodb')}")
        print(f"          sending {line(sending)}")
        print(
            f"          Query per bucket {queries}/{buckets}, claims per reminder {claims / due:.1f} "
            f"(target: {buckets} Query, 1 claim each): {'met' if target_ok else 'MISSED'}"
        )
    print('"My alerts" for a Head with 40 unread alerts (DynamoDB calls, session check included)')
    measured = {}
    for history in (300, 30_000):
        measured[history] = my_alerts(running, history, 40)
        print(f"  {history:>6,} alerts in their history: {line(measured[history], 'dynamodb')}")
    same = measured[300] == measured[30_000]
    print(f"  calls independent of the history's size: {'met' if same else 'MISSED'}")
    running.stop()


if __name__ == "__main__":
    main()
