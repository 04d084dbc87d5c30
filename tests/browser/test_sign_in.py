"""Signing in, in Chromium: a DSL's first time exactly as the school guidance walks staff through it, then what
an attacker would try: find out which emails have accounts, bounce a freshly signed-in person to another site
with ?next=, and get script to run despite the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GOOD_PASSWORD, link_from_outbox

pytestmark = pytest.mark.browser

REFUSED_LOGIN = (r"status of 401", r"/api/auth/login$")


@pytest.fixture(scope="module")
def signed_up(lantern, browser):
    """Sets a password through the pages for the first demo account of a role (once per module), giving
    (email, password): a leader passes the second factor at each log in, a teacher (role staff) does not."""
    from tests.browser.conftest import BrowserProblems, new_watched_page

    accounts = {}

    def account(role: str) -> tuple[str, str]:
        if role not in accounts:
            problems = BrowserProblems()
            page = new_watched_page(browser, problems)
            email = lantern.emails(role)[0]
            accounts[role] = (email, lantern.first_sign_in(page, email))
            page.context.close()
            problems.assert_none()
        return accounts[role]

    return account


@pytest.fixture(scope="module")
def leader(signed_up):
    return signed_up("leader")


def test_a_dsl_sets_a_password_from_the_emailed_link_signs_in_and_logs_out(lantern, page, problems):
    url = lantern.url
    email = lantern.emails("dsl")[0]

    # The site root is the log in page, with the school's name and the first-time link.
    page.goto(f"{url}/")
    expect(page).to_have_title(f"Log in – Lantern – {lantern.school_name}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Lantern — {lantern.school_name}")
    expect(page.locator(".app-header__school")).to_have_text(lantern.school_name)
    page.get_by_role("link", name="Forgotten your password or using Lantern for the first time?").click()

    # Ask for a link: the confirmation shows the address as typed.
    expect(page).to_have_url(f"{url}/forgot-password.html")
    page.get_by_label("Work email address").fill(email)
    page.get_by_role("button", name="Reset Password").click()
    expect(page.locator("#forgot-sent")).to_be_visible()
    expect(page.locator("#forgot-form")).to_be_hidden()
    expect(page.locator("#forgot-sent-email")).to_have_text(email)
    expect(page.get_by_role("heading", name="Check your email")).to_be_focused()

    # Open the link: the page takes the token and removes it from the address bar.
    link = link_from_outbox(url, email)
    assert "#token=" in link
    page.goto(link)
    expect(page.locator("#set-password-form")).to_be_visible()
    assert "#token" not in page.url
    assert page.url == f"{url}/set-password.html"
    expect(page.locator("#set-password-no-token")).to_be_hidden()

    # Show / hide the password.
    password = page.locator("#password")
    toggle = page.locator("#password-toggle")
    expect(password).to_have_attribute("type", "password")
    toggle.click()
    expect(password).to_have_attribute("type", "text")
    expect(toggle).to_have_attribute("aria-label", "Hide password")
    toggle.click()
    expect(password).to_have_attribute("type", "password")

    # Two different passwords: the page's own check, linked to the confirm field.
    password.fill("kettle orchard lamplight")
    page.locator("#confirm-password").fill("kettle orchard lamplite")
    page.get_by_role("button", name="Set password").click()
    summary = page.locator(".app-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Enter the same password twice").click()
    expect(page.locator("#confirm-password")).to_be_focused()

    # Too short: the meter warns as it is typed, the server refuses it, the summary links to the field.
    problems.allow(r"status of 400", r"/api/auth/set-password$")
    password.fill("lantern")
    expect(page.locator("#password-strength")).to_contain_text("Too short")
    expect(page.locator("#password-strength")).to_have_text("Too short (7 of 12 characters)")
    page.locator("#confirm-password").fill("lantern")
    page.get_by_role("button", name="Set password").click()
    expect(summary).to_contain_text("There is a problem")
    summary_link = summary.get_by_role("link", name="Use at least 12 characters. You have used 7.")
    expect(summary_link).to_have_attribute("href", "#password")
    expect(page.locator("#password-error")).to_contain_text("Use at least 12 characters")
    expect(password).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Set password").focus()
    summary_link.click()
    expect(password).to_be_focused()
    assert page.url == f"{url}/set-password.html"  # the link moved focus, not the page

    # A good long password, twice.
    password.fill(GOOD_PASSWORD)
    expect(page.locator("#password-strength")).to_have_text("Strong")
    page.locator("#confirm-password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Set password").click()

    # Setting the password logs in (no email to type again); a DSL then gives the code from their phone.
    lantern.second_step(page, email)

    # The dashboard: who, what role, which school, and the way to add an incident.
    expect(page).to_have_url(f"{url}/dashboard.html")
    expect(page.locator("#signed-in")).to_be_visible()
    expect(page.locator("#user-name")).to_have_text(lantern.name_of(email))
    expect(page.locator("#user-role")).to_have_text("DSL/DDSL")
    expect(page.locator("#user-school")).to_have_text("The Mead")
    expect(page.locator("#logout")).to_be_visible()
    page.get_by_role("link", name="Add Incident").click()

    expect(page).to_have_url(f"{url}/add-incident.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Incident")
    guidance = page.locator("section.app-warning")
    expect(guidance.get_by_role("heading", name="Disclosure? Tell a DSL now")).to_be_visible()
    expect(guidance).to_contain_text(
        "Disclosures from children must be reported verbally, straight away to the DSL/DDSL."
    )
    expect(guidance).to_contain_text("Reporting does not get anyone into trouble — NOT reporting does.")
    expect(guidance.locator("ul.app-list:not(.app-list--bullet) li")).to_have_text(lantern.dsl_names)

    # Log out: back on the log in page, and the dashboard now sends us there.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{url}/index.html")
    expect(page.locator("#login-form")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "lantern-local-session" and c["value"]]

    # On a shared iPad, Back must not bring the last person's dashboard back into view.
    page.go_back()
    expect(page).to_have_url(f"{url}/index.html?next=%2Fdashboard.html")
    expect(page.locator("#signed-in")).to_have_count(0)

    page.goto(f"{url}/dashboard.html")
    expect(page).to_have_url(f"{url}/index.html?next=%2Fdashboard.html")
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.get_by_text(lantern.name_of(email))).to_have_count(0)


def error_summary_after_log_in(lantern, page, email: str, password: str) -> str:
    lantern.log_in(page, email, password, code=False)
    summary = page.locator(".app-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_url(f"{lantern.url}/index.html")
    # Nothing points at one field: that would say which of the two was wrong.
    expect(page.locator("[aria-invalid]")).to_have_count(0)
    expect(page.locator(".app-error-message")).to_have_count(0)
    assert not page.context.cookies(), "a refused log in must not set a cookie"
    return summary.inner_text()


def test_wrong_password_and_unknown_email_get_the_same_generic_message(lantern, leader, page, problems):
    problems.allow(*REFUSED_LOGIN)
    email, password = leader
    never_set = lantern.emails("staff")[-1]  # an account whose owner has not set a password yet

    wrong_password = error_summary_after_log_in(lantern, page, email, password + " but wrong")
    unknown_email = error_summary_after_log_in(lantern, page, "nobody.here@themead.example.org", password)
    no_password_yet = error_summary_after_log_in(lantern, page, never_set, password)

    assert wrong_password.startswith("There is a problem")
    assert wrong_password == unknown_email == no_password_yet
    message = wrong_password.lower()
    assert "email or password" in message
    for telltale in ("unknown", "not found", "no account", "does not exist", "incorrect password", "wrong password"):
        assert telltale not in message, telltale


# What follows ?next= in the address, and where a successful log in must land. A teacher's log in is one step;
# two cases go through a leader's second factor too (each code works once: one leader log in per 30 s step).
NEXT_CASES = [
    pytest.param("https://evil.example/", "/dashboard.html", "leader", id="absolute-url"),
    pytest.param("//evil.example", "/dashboard.html", "staff", id="protocol-relative"),
    pytest.param("/%5Cevil.example", "/dashboard.html", "staff", id="backslash"),
    pytest.param("/%09/evil.example", "/dashboard.html", "staff", id="tab"),
    pytest.param("javascript:alert(document.domain)", "/dashboard.html", "staff", id="javascript-url"),
    pytest.param(
        "/.//evil.example", "/dashboard.html", "staff", id="dot-segment"
    ),  # dot segments removed after the check
    pytest.param("/..//evil.example", "/dashboard.html", "staff", id="dot-dot-segment"),
    pytest.param("/add-incident.html", "/add-incident.html", "leader", id="a-page-of-this-site"),
]


def page_left_log_in(lantern, page) -> str:
    """Where the log in page sent the browser (another site shows as chrome-error://, the request being aborted)."""
    page.wait_for_url(lambda url: not url.startswith(f"{lantern.url}/index.html"))
    return page.url


@pytest.mark.parametrize(("next_value", "lands_on", "role"), NEXT_CASES)
def test_next_only_ever_leads_to_a_page_of_this_site(lantern, signed_up, page, problems, next_value, lands_on, role):
    email, password = signed_up(role)
    elsewhere = []
    # Nothing may leave this site; if something tries, it is recorded, stopped, and its noise allowed (the
    # assertions below say what happened).
    page.context.route(
        re.compile(rf"^(?!{re.escape(lantern.url)}/)"),
        lambda route: (elsewhere.append(route.request.url), route.abort()),
    )
    problems.allow(r"", rf"^(?!{re.escape(lantern.url)}/)")

    lantern.log_in(page, email, password, path=f"/index.html?next={next_value}")
    assert page_left_log_in(lantern, page) == f"{lantern.url}{lands_on}", f"went to {elsewhere}"
    expect(page.locator("#logout")).to_be_visible()  # signed in there, not bounced again
    assert elsewhere == []

    # Already signed in, the log in page sends people straight on: through the same check.
    page.goto(f"{lantern.url}/index.html?next={next_value}")
    assert page_left_log_in(lantern, page) == f"{lantern.url}{lands_on}", f"went to {elsewhere}"
    expect(page.locator("#logout")).to_be_visible()
    assert elsewhere == []


def test_security_headers_are_sent_and_the_csp_stops_injected_script(lantern, page, problems):
    subresources = []

    def keep_scripts_and_styles(response) -> None:
        if response.request.resource_type in ("script", "stylesheet"):
            subresources.append(response)

    page.on("response", keep_scripts_and_styles)
    response = page.goto(f"{lantern.url}/index.html")
    expect(page.locator("#login-form")).to_be_visible()
    headers = response.headers
    policy = dict(
        (directive.split()[0], directive.split()[1:])
        for directive in (part.strip() for part in headers["content-security-policy"].split(";"))
        if directive
    )
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    for script in page.locator("script").all():
        assert script.get_attribute("src", timeout=1000), "an inline <script> would need 'unsafe-inline'"
    # With nosniff, a script or stylesheet served with the wrong type would be refused: each has the right one.
    expected_types = {"script": "text/javascript", "stylesheet": "text/css"}
    assert {r.request.resource_type for r in subresources} == set(expected_types)
    for loaded in subresources:
        assert loaded.status == 200, loaded.url
        assert loaded.headers["content-type"].split(";")[0] == expected_types[loaded.request.resource_type], loaded.url
        assert loaded.headers["x-content-type-options"] == "nosniff", loaded.url

    # Markup that an unescaped name or comment would inject: its handler, a <script> and eval are all refused.
    problems.allow(r"Content Security Policy")
    problems.allow(r"status of 404", r"/x$")
    problems.allow(r"script-src(-attr|-elem)? blocked (inline|eval)")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate("""document.body.insertAdjacentHTML('beforeend', '<img src=x onerror="window.__xss=1">')""")
    assert page.evaluate("typeof window.__xss") == "undefined"

    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.__xss2 = 1';"
            " document.body.append(s); }"
        )
    assert page.evaluate("typeof window.__xss2") == "undefined"

    # Code given as a string (setTimeout's eval): refused when the page runs it (Playwright's own evaluate is exempt).
    page.evaluate("setTimeout('window.__xss3 = 1', 0)")
    page.wait_for_timeout(100)
    assert page.evaluate("typeof window.__xss3") == "undefined"

    # The page itself saw the three violations (the securitypolicyviolation event), in enforcing mode.
    for _ in range(40):
        violations = problems.of_kind("csp violation")
        if len(violations) >= 3:
            break
        page.wait_for_timeout(50)
    assert any(re.match(r"script-src-attr blocked inline \(enforce\)", v) for v in violations), violations
    assert any(re.match(r"script-src-elem blocked inline \(enforce\)", v) for v in violations), violations
    assert any(re.match(r"script-src blocked eval \(enforce\)", v) for v in violations), violations
