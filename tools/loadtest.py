"""A bounded load run on this machine: Locust's simulated staff add incidents and read their alerts against a
local Lantern (started as `make run` starts it, on 127.0.0.1 only), then every acknowledged incident is checked.

    make loadtest                 # 30 simulated staff for 60 s
    python -m tools.loadtest --users 10 --seconds 10    # the short version `make test` runs

Prints requests, failures and the 95th percentile per request, and exits 1 on any failed request or any
acknowledged incident that is not stored. Only loopback addresses are ever sent traffic; the run stops by itself.
"""

from __future__ import annotations

import gevent.monkey

gevent.monkey.patch_all()

import argparse  # noqa: E402 - gevent must patch the standard library first
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

WRITE = {"X-Lantern-Request": "1", "Content-Type": "application/json"}


def prepare(server: dict, slug: str, users: int) -> list[str]:
    """Staff accounts with sessions on the running stack (as if each had signed in): their cookies."""
    from chalicelib.auth import accounts, sessions
    from tools import local_stack

    local_stack.connect(slug, state=server["state"])
    from chalicelib.web.routing import session_cookie_name

    cookies = []
    for n in range(users):
        staff = accounts.create_staff(
            email=f"load.tester{n}@{slug}.example.org", name=f"Load Tester {n}", role="staff", title="Class Teacher"
        )
        cookies.append(f"{session_cookie_name()}={sessions.start(staff.staff_id)}")
    return cookies


def stored_references() -> set[str]:
    from chalicelib.models import Incident

    return {incident.reference for incident in Incident.scan()}  # a check after the run, not a request path


def run(url: str, cookies: list[str], seconds: int) -> tuple[object, list[str]]:
    from locust import HttpUser, between, task
    from locust.env import Environment

    acknowledged: list[str] = []
    free = list(cookies)
    london = ZoneInfo("Europe/London")

    class Staff(HttpUser):
        host = url
        wait_time = between(0.5, 2)

        def on_start(self) -> None:
            self.client.headers["Cookie"] = free.pop()
            answer = self.client.get("/api/roster", name="/api/roster").json()
            self.pupils = [f"{answer['roster']}.{n}" for n in range(len(answer["pupils"]))]  # as the form sends them

        @task(3)
        def add_incident(self) -> None:
            from datetime import datetime

            moment = datetime.now(london) - timedelta(minutes=5)
            body = {
                "idempotency_key": str(uuid.uuid4()),
                "pupil_id": random.choice(self.pupils),  # noqa: S311 - picking invented pupils, not secrets
                "linked_pupil_ids": [],
                "categories": ["Behaviour"],
                "subcategories": {"Behaviour": ["Disruption"]},
                "answers": {},
                "date": moment.date().isoformat(),
                "time": moment.strftime("%H:%M"),
                "day": moment.strftime("%A"),
                "session": "Morning",
                "location": "Classroom",
                "account": "An invented account for the load run.",
                "body_marks": [],
                "status": "Active",
                "assigned_ids": [],
                "alerted_ids": [],
                "agencies": [],
                "planner": None,
                "upload_ids": [],
            }
            with self.client.post("/api/incidents", json=body, headers=WRITE, catch_response=True) as response:
                if response.status_code == 201:
                    acknowledged.append(response.json()["reference"])
                else:
                    response.failure(f"{response.status_code}")

        @task(2)
        def my_alerts(self) -> None:
            self.client.get("/api/alerts")

        @task(1)
        def me(self) -> None:
            self.client.get("/api/me")

    environment = Environment(user_classes=[Staff])
    runner = environment.create_local_runner()
    runner.start(len(cookies), spawn_rate=max(1, len(cookies) // 5))
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return environment.stats, acknowledged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--school", default="themead")
    args = parser.parse_args()

    import os

    os.environ["LANTERN_DEMO_INCIDENTS"] = "0"
    from tests.helpers import local_server

    with tempfile.TemporaryDirectory() as folder, local_server(Path(folder), args.school) as server:
        server["state"] = Path(folder) / "state.json"
        cookies = prepare(server, args.school, args.users)
        stats, acknowledged = run(server["url"], cookies, args.seconds)
        missing = set(acknowledged) - stored_references()

    total = stats.total
    print(f"Load run: {args.users} simulated staff for {args.seconds} s against {server['url']}")
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        p95 = entry.get_response_time_percentile(0.95)
        counts = f"{entry.num_requests:5d} requests, {entry.num_failures} failed"
        print(f"  {entry.method:<5} {entry.name:<16} {counts}, p95 {p95:.0f} ms")
    p95 = total.get_response_time_percentile(0.95)
    print(f"  all: {total.num_requests} requests, {total.num_failures} failed, p95 {p95:.0f} ms")
    print(f"  incidents acknowledged {len(acknowledged)}, missing afterwards {len(missing)}")
    if total.num_failures or missing or not acknowledged:
        sys.exit("The load run FAILED: see the failures above.")


if __name__ == "__main__":
    main()
