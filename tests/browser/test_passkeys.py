"""Passkeys, the quicker second step of logging in (issue 10), in Chromium with its virtual authenticator (a
device's built-in one that verifies the person, through the DevTools protocol): a leader adds a passkey from the
Passkeys page, logs out, logs in with the password, then "Use your passkey" and lands signed in. A passkey the
device did not verify is refused with a clear message and the code still offered. Every page state passes axe.

Browsers refuse an IP address as a passkey's site, so this runs at http://localhost:PORT: the same local server
(chalicelib/auth/passkeys.py names loopback `localhost`)."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GOOD_PASSWORD
from tests.browser.test_accessibility import AXE, assert_accessible

pytestmark = pytest.mark.browser


def virtual_authenticator(page, *, verified: bool = True) -> tuple[object, str]:
    """A platform authenticator (Face ID, a Chromebook's fingerprint) for this page: (CDP session, its id)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": verified,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def log_in_with_password(page, base: str, email: str) -> None:
    page.goto(f"{base}/index.html")
    expect(page.locator("#login-form[data-ready]")).to_be_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/sign-in-code\.html"))


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: install axe-core with `make axe` (make test does).", pytrace=False)
    return AXE.read_text()


def test_a_leader_adds_a_passkey_then_logs_in_with_it(lantern, open_page, problems, axe_script):
    problems.allow(r"status of 40[01]", r"/api/(auth/(code|passkey|login)|me)$")
    leader = lantern.emails("leader")[0]
    lantern.first_sign_in(open_page(), leader)  # a password set (and the phone's code) the usual way
    base = lantern.url.replace("127.0.0.1", "localhost")

    page = open_page()
    page.context.add_init_script(script=axe_script)
    cdp, authenticator = virtual_authenticator(page)

    # Signed in with the password and the code from the phone, the leader adds a passkey from the home page.
    log_in_with_password(page, base, leader)
    expect(page.locator("#passkey-step")).to_be_hidden()  # none yet: the code, as before
    page.get_by_label("6-digit code", exact=True).fill(lantern.totp_code(leader))
    page.locator("#code-form").get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/dashboard.html")
    page.get_by_role("link", name="Passkeys").click()
    expect(page.locator("#passkey-form[data-ready]")).to_be_visible()
    expect(page.locator("#passkeys-none")).to_be_visible()
    assert_accessible(page, "passkeys.html")
    page.get_by_label("Name for this passkey").fill("Staffroom Chromebook")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkeys-saved")).to_contain_text("Passkey “Staffroom Chromebook” added")
    row = page.locator("#passkeys-body tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text("Staffroom Chromebook")
    expect(row.locator("td").nth(2)).to_have_text("Not yet")
    assert_accessible(page, "passkeys.html with a passkey")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]

    # Later: the password, then the passkey is offered first, the code still below it.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/index\.html"))
    log_in_with_password(page, base, leader)
    expect(page.get_by_role("button", name="Use your passkey")).to_be_focused()
    expect(page.locator("#code-step")).to_be_visible()
    assert_accessible(page, "the second step with a passkey")

    # The device could not tell who was holding it (say, a face not recognised): a clear message, and the code.
    cdp.send("WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": False})
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.locator("#passkey-error")).to_contain_text("The passkey was not used")
    expect(page.locator("#passkey-error")).to_contain_text("enter the code from your authenticator app")
    expect(page.get_by_label("6-digit code", exact=True)).to_be_visible()
    assert_accessible(page, "the second step after a passkey failed")

    cdp.send("WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": True})
    page.get_by_role("button", name="Use your passkey").click()
    expect(page).to_have_url(f"{base}/dashboard.html")
    expect(page.locator("#signed-in")).to_be_visible()
    staff = next(item for item in lantern.table("staff") if item.get("email") == leader)
    assert len(staff["passkeys"]) == 1 and int(staff["passkeys"][0]["sign_count"]) >= 1
    page.get_by_role("link", name="Passkeys").click()
    expect(page.locator("#passkeys-body tr td").nth(2)).not_to_have_text("Not yet")


def test_setting_the_phone_up_again_offers_a_passkey_for_next_time(lantern, open_page, problems, axe_script):
    problems.allow(r"status of 40[01]", r"/api/(auth/(code|enrol|passkey|login)|me)$")
    leader = lantern.emails("leader")[1]
    staff_id = next(item["staff_id"] for item in lantern.table("staff") if item.get("email") == leader)
    admin = open_page()
    lantern.first_sign_in(admin, lantern.emails("admin")[0])
    reset = admin.request.post(
        f"{lantern.url}/api/admin/staff/{staff_id}/reset-second-factor",
        headers={"X-Lantern-Request": "1", "Content-Type": "application/json"},
        data="{}",
    )
    assert reset.ok, reset.text()
    # At http://127.0.0.1 the browser refuses passkeys outright: the page says where they work.
    admin.goto(f"{lantern.url}/passkeys.html")
    admin.get_by_role("button", name="Add a passkey").click()
    base = lantern.url.replace("127.0.0.1", "localhost")
    expect(admin.locator("#passkey-form .app-error-summary")).to_contain_text(f"open {base}")

    link_page = open_page()
    lantern.set_password(link_page, lantern.ask_for_link(link_page, leader), GOOD_PASSWORD)

    page = open_page()
    page.context.add_init_script(script=axe_script)
    cdp, authenticator = virtual_authenticator(page)
    log_in_with_password(page, base, leader)
    expect(page.locator("#enrol-step")).to_be_visible()
    secret = page.locator("#enrol-secret").inner_text().replace(" ", "")
    page.locator("#enrol-code").fill(pyotp.TOTP(secret).now())
    page.locator("#enrol-form").get_by_role("button", name="Continue").click()
    expect(page.locator("#recovery-codes > li")).to_have_count(10)
    expect(page.locator("#recovery-passkey")).to_be_visible()
    assert_accessible(page, "the recovery codes with the passkey offer")
    page.get_by_role("button", name="Use a passkey next time").click()
    expect(page.locator("#recovery-passkey-done")).to_contain_text("Passkey added")
    assert_accessible(page, "the recovery codes after adding a passkey")
    page.get_by_role("button", name="I have saved these").click()
    expect(page).to_have_url(f"{base}/dashboard.html")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/index\.html"))
    log_in_with_password(page, base, leader)
    page.get_by_role("button", name="Use your passkey").click()
    expect(page).to_have_url(f"{base}/dashboard.html")
    expect(page.locator("#signed-in")).to_be_visible()
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1
