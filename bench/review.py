"""Review and follow-up: DynamoDB calls per page, in a small school and in a busier one.

    python bench/review.py

Targets: the review page's calls do not grow with the number of incidents in the school; the chronology is one
Query per page; "my alerts" is one Query. Counted on the real stack (moto's server); the session check every
request makes (2 GetItem) is listed apart.
"""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    import botocore.client
    import requests
    from chalice.test import Client

    from tests.functional.incident_data import make_people, submission
    from tests.helpers import Api, session_cookie_for
    from tools import local_stack
    from tools.build_site import school_file

    running = local_stack.start_local_aws("eu-west-2")
    from app import app

    calls: Counter = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls[operation] += 1
        return original(self, operation, params)

    rows = []
    for incidents in (5, 60):
        requests.post(f"{running.endpoint}/moto-api/reset", timeout=10)
        school = local_stack.configure_school(str(school_file("themead")), "https://themead.bench", "lantern-bench-")
        local_stack.create_resources(school)
        people = make_people()
        with Client(app, stage_name="api") as client:
            teacher = Api(client, session_cookie_for(people["teacher"]))
            dsl = Api(client, session_cookie_for(people["dsl"]))
            for _ in range(incidents):
                body = submission(people, idempotency_key=str(uuid.uuid4()))
                assert teacher.post("/incidents", body).status_code == 201
            from chalicelib.models import Incident

            incident_id = next(iter(Incident.scan(limit=1))).incident_id
            dsl.post(f"/incidents/{incident_id}/actions", {"text": "Invented action.", "date": "2026-11-27"})
            head = Api(client, session_cookie_for(people["head"]))
            dsl.get("/me")  # warm
            botocore.client.BaseClient._make_api_call = counting
            try:
                measured = {}
                for label, path in (
                    ("session check alone (GET /me)", "/me"),
                    ("review page", f"/incidents/{incident_id}"),
                    ("chronology page", f"/pupils/{people['ama'].pupil_id}/chronology"),
                    ("my alerts", "/alerts"),
                ):
                    calls.clear()
                    api = head if label == "my alerts" else dsl
                    assert api.get(path).status_code == 200, path
                    measured[label] = dict(calls)
            finally:
                botocore.client.BaseClient._make_api_call = original
        rows.append((incidents, measured))
    running.stop()

    print("DynamoDB calls per page (each includes the session check: GetItem x2 for session and account)")
    for incidents, measured in rows:
        print(f"  school with {incidents} incidents:")
        for label, counted in measured.items():
            total = sum(counted.values())
            detail = ", ".join(f"{op} {n}" for op, n in sorted(counted.items()))
            print(f"    {label:<32} {total:2d}  ({detail})")
    small, busy = rows[0][1], rows[1][1]
    same = all(sum(small[k].values()) == sum(busy[k].values()) for k in small)
    print(f"  calls independent of the number of incidents: {'yes' if same else 'NO'}")
    print(
        f"  chronology: {busy['chronology page'].get('Query', 0)} Query per page (target 1); "
        f"my alerts: {busy['my alerts'].get('Query', 0)} Query (target 3)"
    )


if __name__ == "__main__":
    main()
