"""The second step of logging in (issue 10), in Chromium: an administrator resets a leader's phone set-up from
Staff accounts; the leader sets their phone up again (QR code, the key in fours, a first code), keeps their ten
recovery codes, logs in later with one of them; the administrator disables the account and its session ends."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GOOD_PASSWORD

pytestmark = pytest.mark.browser

REFUSED = (r"status of 40[01]", r"/api/(auth/(code|enrol|login)|me)$")


def test_reset_enrol_recovery_code_and_disable(lantern, open_page, problems):
    problems.allow(*REFUSED)
    url = lantern.url
    leader = lantern.emails("leader")[1]
    name = lantern.name_of(leader)

    # The administrator resets the leader's phone set-up, after confirming.
    admin = open_page()
    lantern.first_sign_in(admin, lantern.emails("admin")[0])
    admin.get_by_role("link", name="Staff accounts").click()
    row = admin.locator("#staff-body tr").filter(has_text=leader)
    expect(row).to_have_count(1, timeout=10_000)
    expect(row.locator("td").nth(2)).to_have_text("Yes")
    row.get_by_role("button", name=f"Reset phone set-up for {name}").click()
    expect(row.locator(".app-confirm__question")).to_be_focused()
    row.get_by_role("button", name="Cancel").click()
    expect(row.locator(".app-confirm")).to_have_count(0)
    row.get_by_role("button", name=f"Reset phone set-up for {name}").click()
    row.get_by_role("button", name="Yes, reset it").click()
    expect(admin.locator("#staff-saved")).to_contain_text(f"{name}’s phone set-up has been reset")
    row = admin.locator("#staff-body tr").filter(has_text=leader)
    expect(row.locator("td").nth(2)).to_have_text("Not yet")

    # The leader's first time: set a password (which logs in), then set the phone up.
    page = open_page()
    lantern.set_password(page, lantern.ask_for_link(page, leader), GOOD_PASSWORD)
    expect(page).to_have_url(re.compile(r"/sign-in-code\.html"))
    enrol = page.locator("#enrol-step")
    expect(enrol).to_be_visible()
    expect(enrol).to_contain_text("Microsoft Authenticator")
    qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    secret_text = page.locator("#enrol-secret").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", secret_text), secret_text
    page.locator("#enrol-code").fill("000000")
    page.locator("#enrol-form").get_by_role("button", name="Continue").click()
    expect(page.locator("#enrol-form .app-error-summary")).to_be_visible()
    page.locator("#enrol-code").fill(pyotp.TOTP(secret_text.replace(" ", "")).now())
    page.locator("#enrol-form").get_by_role("button", name="Continue").click()
    codes = page.locator("#recovery-codes > li")
    expect(codes).to_have_count(10)
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_focused()
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    recovery = codes.first.inner_text().strip()
    page.get_by_role("button", name="I have saved these").click()
    expect(page).to_have_url(f"{url}/dashboard.html")

    # Later, without the phone: a recovery code in the same box.
    page.get_by_role("button", name="Log out").click()
    lantern.log_in(page, leader, GOOD_PASSWORD, code=False)
    expect(page.locator("#code-step")).to_be_visible()
    page.get_by_label("6-digit code", exact=True).fill(recovery)
    page.locator("#code-form").get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{url}/dashboard.html")
    expect(page.locator("#signed-in")).to_be_visible()

    # The administrator disables the account: the leader's session ends at once.
    admin.reload()
    row = admin.locator("#staff-body tr").filter(has_text=leader)
    expect(row.locator("td").nth(2)).to_have_text("Yes", timeout=10_000)
    row.get_by_role("button", name=f"Disable account for {name}").click()
    row.get_by_role("button", name="Yes, disable it").click()
    expect(admin.locator("#staff-saved")).to_contain_text("has been disabled")
    expect(admin.locator("#staff-body tr").filter(has_text=leader).locator("td").nth(3)).to_have_text("Disabled")
    page.reload()
    expect(page).to_have_url(re.compile(r"/index\.html\?next="))
