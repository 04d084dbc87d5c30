"""Reports and chronology: items read per report against incidents in range, aggregation time against the raw
Query beneath it, and DynamoDB calls per chronology page for a pupil with 300 entries.

    python bench/reports.py

Targets: items read ÷ incidents in the ranges read = 1.0 (the range and the comparison period before it); the
whole report ÷ its Queries alone ≤ 1.3 (same data, same run, best of 5); a chronology page a fixed number of calls
(one Query) whatever the history. On moto's server, whose ~1 ms per item dominates: compare ratios, not times.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(task, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        task()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    import botocore.client
    from chalice.test import Client

    from chalicelib.models import ChronologyEntry, Incident
    from chalicelib.reports import service
    from chalicelib.reports.periods import Period
    from chalicelib.settings import current_school
    from chalicelib.web.requests import ReportQuery, read_query
    from tests.functional.incident_data import make_people
    from tests.helpers import Api, session_cookie_for
    from tools import local_stack
    from tools.build_site import school_file
    from tools.demo import demo_pupils, demo_staff
    from tools.demo_incidents import demo_incidents

    running = local_stack.start_local_aws("eu-west-2")
    school = local_stack.configure_school(str(school_file("themead")), "https://themead.bench", "lantern-bench-")
    local_stack.create_resources(school)
    people = make_people()
    staff = [SimpleNamespace(staff_id=str(uuid.uuid4()), **p) for p in demo_staff("themead")]
    pupils = [SimpleNamespace(**p, full_name="x") for p in demo_pupils("themead")]
    items = demo_incidents(current_school(), staff, pupils, date(2026, 12, 2))
    for model in (Incident, ChronologyEntry):
        with model.batch_write() as batch:
            for item in items:
                if isinstance(item, model):
                    batch.save(item)
    total = sum(isinstance(i, Incident) for i in items)

    print("Reports (the demo autumn term: 2 September to 1 December 2026)")
    for label, period in (
        ("half-term (31 Oct - 1 Dec)", Period(date(2026, 10, 31), date(2026, 12, 1))),
        ("term (2 Sep - 1 Dec)", Period(date(2026, 9, 2), date(2026, 12, 1))),
    ):
        reading = service.Reading()
        in_range = len(service.incidents_in(school, period)) + len(service.incidents_in(school, period.previous()))
        user = SimpleNamespace(role="dsl", staff_id="bench")
        custom = {"preset": "custom", "from": period.first.isoformat(), "to": period.last.isoformat()}
        query = read_query(ReportQuery, custom)
        service.report(school, user, query, {}, reading=reading)
        queries_only = best(
            lambda period=period: (
                service.incidents_in(school, period),
                service.incidents_in(school, period.previous()),
            )
        )
        whole = best(lambda user=user, query=query: service.report(school, user, query, {}))
        print(f"  {label}: {in_range} incidents in range and comparison period (of {total} in the table)")
        print(
            f"    items read ÷ incidents in the ranges: {reading.items} ÷ {in_range} = {reading.items / in_range:.2f}"
            f" (target 1.0: {'met' if reading.items <= in_range else 'MISSED'}), in {reading.queries} Queries"
        )
        print(
            f"    whole report ÷ its Queries alone: {whole * 1000:.0f} ms ÷ {queries_only * 1000:.0f} ms = "
            f"{whole / queries_only:.2f} (target ≤ 1.3: {'met' if whole / queries_only <= 1.3 else 'MISSED'}; "
            "includes a BatchGet of 10 names and the audit write)"
        )

    # A pupil with 300 chronology entries.
    pupil = people["ama"].pupil_id
    incidents = [i for i in items if isinstance(i, Incident)]
    with ChronologyEntry.batch_write() as batch:
        for n in range(300):
            incident_id = incidents[n % len(incidents)].incident_id
            batch.save(
                ChronologyEntry(
                    pupil_id=pupil,
                    entry=f"2026-{9 + n % 3:02d}-{1 + n % 28:02d}T10:{n % 60:02d}:00+00:00#{incident_id}",
                    incident_id=incident_id,
                    categories=["Behaviour"],
                    involvement="subject",
                )
            )
    calls: Counter = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls[operation] += 1
        return original(self, operation, params)

    from app import app

    with Client(app, stage_name="api") as client:
        dsl = Api(client, session_cookie_for(people["dsl"]))
        dsl.get("/me")
        botocore.client.BaseClient._make_api_call = counting
        try:
            calls.clear()
            dsl.get("/me")
            session = dict(calls)
            calls.clear()
            first = dsl.get(f"/pupils/{pupil}/chronology")
            assert first.status_code == 200, first.data
            page_one = dict(calls)
            calls.clear()
            dsl.get(f"/pupils/{pupil}/chronology?cursor={first.data['next']}")
            page_two = dict(calls)
        finally:
            botocore.client.BaseClient._make_api_call = original
    print(
        "Chronology of a pupil with 300 entries (each page 20 entries; session check "
        f"{sum(session.values())} calls, included below)"
    )
    for label, counted in (("first page", page_one), ("second page", page_two)):
        print(f"  {label}: {sum(counted.values())} calls: {counted}")
    running.stop()


if __name__ == "__main__":
    main()
