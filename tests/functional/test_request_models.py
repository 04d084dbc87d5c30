"""One way to read a request: every route reads its body and its query string through a request model
(chalicelib/web/requests.py), declared where the route is; a route added later without one is caught here."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from app import app, routes
from chalicelib.validation import NOT_EXPECTED
from chalicelib.web import requests
from chalicelib.web.routing import PUBLIC, Routes, model_named
from tests.helpers import Api, make_staff, session_cookie_for

ALL_ROUTES = sorted((path, method) for path, entry in app.routes.items() for method in entry)
ID = "6a1f3c4e-1111-4222-8333-444455556666"
# Writes that take no body (nothing, or {}): each was looked at, and the walk below proves a field is refused.
BODYLESS = {
    ("/auth/passkey/options", "POST"),
    ("/account/passkeys/options", "POST"),
    ("/account/passkeys/{passkey_id}/remove", "POST"),
    ("/auth/logout", "POST"),
    ("/admin/staff/{staff_id}/reset-second-factor", "POST"),
    ("/admin/staff/{staff_id}/disable", "POST"),
    ("/admin/staff/{staff_id}/email-works", "POST"),
}


def model_names(body) -> list[str]:
    if body is None:
        return []
    return sorted(set(body.values())) if isinstance(body, Mapping) else [body]


def test_every_route_declares_what_it_reads():
    assert sorted(routes.reads) == ALL_ROUTES
    for (path, method), reads in routes.reads.items():
        if method == "GET":
            assert reads.body is None, path
        elif (path, method) not in BODYLESS:
            assert reads.body, f"{method} {path} reads no body model: declare body= (or add it to BODYLESS)"
        for name in [*model_names(reads.body), *([reads.query] if reads.query else [])]:
            assert issubclass(model_named(name), requests.Form), name


def test_no_view_reads_the_raw_request():
    """Views get `call.form` and `call.query`; nothing in app.py reads the body or query string any other way."""
    source = Path("app.py").read_text(encoding="utf-8")
    for way in ("raw_body", "json_body", "query_params", "current_request", "read_json_object", "json.loads"):
        assert way not in source, way


def test_a_route_cannot_declare_a_body_it_cannot_have():
    others = Routes(app)
    with pytest.raises(ValueError):
        others.route("/nothing", allow=PUBLIC, body="SignIn")  # a GET
    with pytest.raises(ValueError):
        others.route("/nothing", allow=PUBLIC, methods=("POST",), body={"a": "SignIn"})  # no path parameter


def test_importing_the_app_does_not_import_pydantic():
    """pydantic (~100 ms) is loaded by the first request that reads a body or query, not by every cold start."""
    code = "import sys, app; assert 'pydantic' not in sys.modules, sorted(m for m in sys.modules if 'pydantic' in m)"
    env = {"LANTERN_SETTINGS": "infra/schools/themead.toml", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", ID, path)


@pytest.fixture
def callers(client, school):
    signed_in = {
        role: Api(client, session_cookie_for(make_staff(role, email=f"{role}.reader@themead.example.org")))
        for role in ("staff", "dsl", "admin")
    }
    return {"anonymous": Api(client), **signed_in}


def caller_for(allowed: frozenset[str]) -> str:
    if allowed == PUBLIC:
        return "anonymous"
    return next(role for role in ("dsl", "admin", "staff") if role in allowed)


def test_every_route_refuses_what_its_model_does_not_expect(callers):
    """Every route, called by someone it lets in, with a field (or query parameter) nobody asked for: refused by
    name, before anything else happens."""
    for path, method in ALL_ROUTES:
        api = callers[caller_for(routes.access[(path, method)])]
        urls = [concrete(path)]
        body = routes.reads[(path, method)].body
        if isinstance(body, Mapping):  # one model per value of the path's last parameter
            urls = [concrete(path).rsplit("/", 1)[0] + f"/{value}" for value in body]
        for url in urls:
            asked = api.call(method, f"{url}?surprise=1", {} if method != "GET" else None)
            assert asked.status_code == 400, (method, url, asked.data)
            assert asked.data["fields"] == {"surprise": NOT_EXPECTED}, (method, url, asked.data)
            if method == "GET":
                continue
            # With a well-formed idempotency key: without one, adding an incident says only "reload the page".
            sent = api.call(method, url, {"surprise": "x", "idempotency_key": "walk-the-routes-1"})
            assert sent.status_code == 400, (method, url, sent.data)
            assert sent.data.get("fields", {}).get("surprise") == NOT_EXPECTED, (method, url, sent.data)
