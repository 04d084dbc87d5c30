"""Deny by default: every route declares who may call it, and every route is called by everyone.

Routes added later are covered automatically; a route registered without a declaration fails here.
"""

from __future__ import annotations

import re

import pytest

from app import app, routes
from chalicelib.errors import ForbiddenError
from chalicelib.security_headers import API_HEADERS
from chalicelib.settings import ROLES
from chalicelib.web.routing import PUBLIC, session_cookie_name
from tests.helpers import Api, make_staff, session_cookie_for

ROLE_REFUSAL = ForbiddenError().message
ALL_ROUTES = sorted((path, method) for path, entry in app.routes.items() for method in entry)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)


def test_every_route_declares_who_may_call_it():
    undeclared = [route for route in ALL_ROUTES if route not in routes.access]
    assert undeclared == []
    assert set(routes.access) == set(ALL_ROUTES)


def test_declaring_no_roles_is_refused():
    with pytest.raises(ValueError):
        routes.route("/nobody", allow=frozenset())
    with pytest.raises(ValueError):
        routes.route("/typo", allow=frozenset({"teacher"}))


@pytest.fixture
def callers(client, school):
    from datetime import timedelta

    from chalicelib.auth import accounts, sessions
    from chalicelib.clock import utcnow

    cookies = {role: session_cookie_for(make_staff(role)) for role in ROLES}
    disabled = make_staff("dsl", email="left.school@themead.example.org")
    disabled_cookie = session_cookie_for(disabled)
    accounts.disable(disabled)
    stale = make_staff("head", email="away.head@themead.example.org")
    expired = sessions.start(stale.staff_id, now=utcnow() - sessions.IDLE_LIMIT - timedelta(minutes=1))
    return {
        "anonymous": Api(client),
        **{role: Api(client, cookie) for role, cookie in cookies.items()},
        "disabled": Api(client, disabled_cookie),
        "expired": Api(client, f"{session_cookie_name()}={expired}"),
    }


# The second step of signing in answers only a pending sign-in (password done, code to come): tests/functional/
# test_second_factor.py walks every other route with one and gets 401 each time.
SECOND_STEP = {
    ("/auth/enrol", "GET"),
    ("/auth/enrol", "POST"),
    ("/auth/code", "POST"),
    ("/auth/passkey/options", "POST"),
    ("/auth/passkey", "POST"),
}


@pytest.mark.parametrize(("path", "method"), ALL_ROUTES)
def test_every_route_answers_every_caller_as_declared(callers, path, method):
    allowed = routes.access[(path, method)]
    for caller, api in callers.items():
        response = api.call(method, concrete(path), {} if method != "GET" else None)
        assert response.headers.get("content-type", "").startswith("application/json")
        assert "error" in response.data or response.status_code < 400
        if (path, method) in SECOND_STEP:
            assert response.status_code in (400, 401), (caller, response.data)  # no pending sign-in here
            continue
        refused_by_role = response.status_code == 403 and response.data["error"] == ROLE_REFUSAL
        if caller in allowed or allowed == PUBLIC:
            # Allowed callers may still be refused a record they cannot read (an object-level 403), never by role.
            assert response.status_code != 401 and not refused_by_role, (caller, response.data)
        elif caller in ("anonymous", "disabled", "expired"):
            assert response.status_code == 401, (caller, response.data)
        else:
            assert refused_by_role, (caller, response.data)


def test_only_health_and_the_sign_in_steps_are_public():
    public = sorted(route for route, allowed in routes.access.items() if allowed == PUBLIC)
    assert public == [
        ("/auth/code", "POST"),
        ("/auth/enrol", "GET"),
        ("/auth/enrol", "POST"),
        ("/auth/forgot", "POST"),
        ("/auth/login", "POST"),
        ("/auth/logout", "POST"),
        ("/auth/passkey", "POST"),
        ("/auth/passkey/options", "POST"),
        ("/auth/set-password", "POST"),
        ("/health", "GET"),
    ]


def test_health(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.data == {"status": "ok", "version": "0.1.0", "school": "themead"}


def test_every_response_carries_the_security_headers(api):
    for response in (api.get("/health"), api.get("/me"), api.post("/auth/login", {})):
        for name, value in API_HEADERS.items():
            assert response.headers[name] == value
    assert "frame-ancestors 'none'" in API_HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in API_HEADERS["Content-Security-Policy"]


def test_the_outbox_is_not_a_route_of_the_deployed_app():
    assert not any(path.startswith("/dev") for path in app.routes)
    assert not any("outbox" in path for path in app.routes)


def test_the_deployed_configuration_has_no_local_switches():
    import json
    from pathlib import Path

    config = json.loads(Path(".chalice/config.json").read_text())
    text = json.dumps(config)
    for local_only in ("LANTERN_LOCAL_HTTP", "AWS_ENDPOINT_URL", "LANTERN_PUBLIC_URL"):
        assert local_only not in text


def test_with_an_origin_secret_only_requests_through_the_cdn_are_answered_and_believed(api, school, monkeypatch):
    """Deployed, CloudFront adds a secret header to what it forwards; API Gateway's own address gets nothing, and
    CloudFront-Viewer-Address (which anyone can send) is believed only with the secret."""
    from chalicelib.web import routing

    staff = make_staff("staff", password="a long harbour morning")
    forged = {"cloudfront-viewer-address": "203.0.113.66:443"}
    routing_source = []
    real_source = routing.Call.source
    monkeypatch.setattr(
        routing.Call,
        "source",
        property(lambda call: routing_source.append(real_source.fget(call)) or routing_source[-1]),
    )
    api.post("/auth/login", {"email": staff.email, "password": "a long harbour morning"}, headers=forged)
    assert routing_source[-1]["ip"] != "203.0.113.66"  # no secret configured: the header is not believed

    monkeypatch.setenv("LANTERN_ORIGIN_SECRET", "s3cret-from-the-stack")
    direct = api.get("/health", headers=forged)
    assert direct.status_code == 403
    through = {**forged, "x-lantern-origin": "s3cret-from-the-stack"}
    assert api.get("/health", headers=through).status_code == 200
    api.post("/auth/login", {"email": staff.email, "password": "a long harbour morning"}, headers=through)
    assert routing_source[-1]["ip"] == "203.0.113.66"
