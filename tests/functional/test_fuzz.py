"""Hostile input on every route: Hypothesis-made JSON bodies (deep, odd types, NUL, lone surrogates, huge numbers)
and query strings, sent by a signed-in DSL, a member of staff and nobody. Never a server error; nothing stored that
breaks the settings' rules.

`make test` runs a short version (FUZZ_EXAMPLES, default 6 per route); `make fuzz` runs the long one (300).
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import routes
from chalicelib.models import Incident
from tests.helpers import Api, make_staff, session_cookie_for

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
ID = "6a1f3c4e-1111-4222-8333-444455556666"
FIELDS = [
    "email",
    "password",
    "token",
    "code",
    "text",
    "date",
    "note",
    "categories",
    "pupil_id",
    "account",
    "tagged_ids",
    "follow_up",
    "reason",
    "status",
    "level",
    "id",
    "time",
    "incident_id",
    "type",
    "name",
    "size",
    "idempotency_key",
    "subcategories",
    "planner",
    "kind",
    "csv",
    "full",
    "keep_ids",
    "assigned_ids",
]
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["\x00", "\ud800", "a\udfffb", "9999-12-31", "0000-00-00", "' OR 1=1 --", "<script>", ID, "é" * 300]
    ),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.floats(), text)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12
)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=8),
    values.map(json.dumps),  # not an object at all
    st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth + "]" * depth),
    st.binary(max_size=40),
)
queries = st.dictionaries(
    st.sampled_from(["cursor", "from", "to", "category", "order", "period", "incident", "x"]), text, max_size=3
)
ROUTES = sorted(routes.access)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", ID, path)


@pytest.fixture
def callers(client, school):
    return {
        "dsl": Api(client, session_cookie_for(make_staff("dsl", email="dsl@themead.example.org"))),
        "staff": Api(client, session_cookie_for(make_staff("staff", email="staff@themead.example.org"))),
        "anonymous": Api(client),
    }


@pytest.mark.parametrize(("path", "method"), ROUTES)
def test_no_route_answers_hostile_input_with_a_server_error(callers, path, method):
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(caller=st.sampled_from(sorted(callers)), body=bodies, query=queries)
    def hostile(caller, body, query):
        url = concrete(path)
        if query:
            url += "?" + "&".join(f"{quote(k)}={quote(v, errors='surrogatepass')}" for k, v in query.items())
        if method == "GET":
            response = callers[caller].call("GET", url)
        elif isinstance(body, bytes | str):
            response = callers[caller].call(method, url, raw=body)
        else:
            response = callers[caller].call(method, url, body)
        assert response.status_code < 500, (caller, url, body, response.data)

    hostile()
    for incident in Incident.scan():  # nothing stored breaks the rules (no NUL, no lone surrogate)
        assert "\x00" not in incident.account


def test_fifty_identical_submissions_at_once_add_one_incident(client, school, people):
    from concurrent.futures import ThreadPoolExecutor

    from tests.functional.incident_data import submission

    teacher = Api(client, session_cookie_for(people["teacher"]))
    body = submission(people)
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda _: teacher.post("/incidents", body).status_code, range(50)))
    assert set(statuses) <= {201, 409}, statuses  # added, or "still being added: try again"
    assert 201 in statuses
    assert Incident.count() == 1
    assert teacher.post("/incidents", body).status_code == 201  # the retry after: the same receipt
    assert Incident.count() == 1
