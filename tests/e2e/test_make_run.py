"""End to end over HTTP: start Lantern the way `make run` does, then set a password from the emailed link read
in the outbox, sign in, see the dashboard, log out. Ctrl-C stops it cleanly."""

from __future__ import annotations

import re
import signal

import pytest
import requests

from tests.helpers import demo_email, latest_link_from_outbox, local_server, totp_code

WRITE = {"X-Lantern-Request": "1"}


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with local_server(tmp_path_factory.mktemp("run")) as server:
        yield server


def test_the_banner_lists_the_url_and_one_line_per_demo_account(running):
    banner = running["log"].read_text()
    assert f"Lantern is running for The Mead at {running['url']}" in banner
    accounts = re.findall(r"^  (staff|leader|dsl|head|admin) +(\S+@themead\.example\.org)$", banner, re.M)
    assert {role for role, _ in accounts} == {"staff", "leader", "dsl", "head", "admin"}
    assert "/dev/outbox" in banner


def test_a_newcomer_signs_in_as_the_demo_dsl(running):
    url = running["url"]
    browser = requests.Session()
    banner = running["log"].read_text()
    dsl_email = demo_email(banner, "dsl")

    login_page = browser.get(f"{url}/")
    assert login_page.status_code == 200
    assert "Forgotten your password or using Lantern for the first time?" in login_page.text
    assert login_page.headers["Content-Security-Policy"].startswith("default-src 'self'")

    forgot = browser.post(f"{url}/api/auth/forgot", json={"email": dsl_email}, headers=WRITE)
    assert forgot.status_code == 202

    link = latest_link_from_outbox(url, dsl_email)
    assert re.fullmatch(rf"{url}/set-password\.html#token=[\w-]{{43}}", link)
    token = link.split("#token=", 1)[1]

    assert browser.get(link.split("#")[0]).status_code == 200  # the page itself; the token never leaves the browser
    chosen = "lantern on the river path"
    done = browser.post(f"{url}/api/auth/set-password", json={"token": token, "password": chosen}, headers=WRITE)
    assert done.status_code == 200, done.text

    signed_in = browser.post(f"{url}/api/auth/login", json={"email": dsl_email, "password": chosen}, headers=WRITE)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json() == {"next": "code"}  # the demo DSL's authenticator is set up: `make totp` gives the code
    assert "lantern-local-session" in browser.cookies
    assert browser.get(f"{url}/api/me").status_code == 401
    code = browser.post(f"{url}/api/auth/code", json={"code": totp_code(dsl_email)}, headers=WRITE)
    assert code.status_code == 200, code.text

    me = browser.get(f"{url}/api/me").json()
    assert me["user"]["role"] == "dsl" and me["school"]["name"] == "The Mead"
    dashboard = browser.get(f"{url}/dashboard.html")
    assert dashboard.status_code == 200 and "Add Incident" in dashboard.text

    assert browser.post(f"{url}/api/auth/logout", json={}, headers=WRITE).status_code == 200
    assert browser.get(f"{url}/api/me").status_code == 401


def test_chalices_own_answers_carry_the_security_headers_too(running):
    from chalicelib.security_headers import API_HEADERS

    for response in (
        requests.get(f"{running['url']}/api/no-such-route"),
        requests.options(f"{running['url']}/api/me", headers={"Origin": "https://evil.example", **WRITE}),
    ):
        for name, value in API_HEADERS.items():
            assert response.headers.get(name) == value, (response.request.method, name)


def test_the_static_server_stays_inside_the_site(running):
    url = running["url"]
    for path in ("/../app.py", "/%2e%2e/app.py", "/..%2fapp.py", "/css/../../chalicelib/settings.py"):
        response = requests.get(f"{url}{path}")
        assert response.status_code == 404, path
        assert "import" not in response.text


def test_ctrl_c_stops_cleanly(running):
    process = running["process"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert "Lantern stopped." in running["log"].read_text()
