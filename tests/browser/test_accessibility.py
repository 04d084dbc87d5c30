"""axe-core (npm, pinned in the Makefile) on every page and state, in Chromium: 0 violations. States include errors
shown, conditional questions revealed, the body map in use, prompts shown, dialogs and confirmations open, and the
second step of logging in. `make test` installs axe-core (`make axe`)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import minimal_concern, uniquely_named_pupil
from tests.browser.test_staff_friendly import roster_names
from tests.helpers import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / ".node" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FAKE_TOKEN = "A" * 43
RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: install axe-core with `make axe` (make test does).", pytrace=False)
    return AXE.read_text()


@pytest.fixture
def axe_page(open_page, axe_source):
    """A page with axe-core injected before any of the page's own scripts (through the DevTools protocol, which the
    page's Content-Security-Policy does not govern)."""

    def opener(**options):
        page = open_page(**options)
        page.context.add_init_script(script=axe_source)
        return page

    return opener


def assert_accessible(page, where: str) -> None:
    violations = page.evaluate(RUN_AXE)
    assert violations == [], f"axe on {where}: " + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in violations
    )


def signed_in_state(lantern, browser, email: str):
    from tests.browser.conftest import BrowserProblems, new_watched_page

    problems = BrowserProblems()
    page = new_watched_page(browser, problems)
    lantern.first_sign_in(page, email)
    state = page.context.storage_state()
    page.context.close()
    problems.assert_none()
    return state


@pytest.fixture(scope="module")
def teacher(lantern, browser):
    return signed_in_state(lantern, browser, lantern.emails("staff")[6])


@pytest.fixture(scope="module")
def head(lantern, browser):
    return signed_in_state(lantern, browser, lantern.emails("head")[0])


@pytest.fixture(scope="module")
def admin(lantern, browser):
    return signed_in_state(lantern, browser, lantern.emails("admin")[0])


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/index.html", "#login-form[data-ready]"),
        ("/forgot-password.html", "#forgot-form[data-ready]"),
        (f"/set-password.html#token={FAKE_TOKEN}", "#set-password-form[data-ready]"),
        ("/set-password.html", "#set-password-no-token"),
        ("/help.html", ".app-qr"),
        ("/offline.html", "h1"),
    ],
)
def test_pages_for_everyone(lantern, axe_page, problems, path, ready):
    problems.allow(r"status of 40[01]", r"/api/auth/")
    page = axe_page()
    page.goto(f"{lantern.url}{path}")
    expect(page.locator(ready)).to_be_visible()
    assert_accessible(page, path)
    form = page.locator("form:visible").first
    if form.count() and path != "/set-password.html":
        form.locator('button[type="submit"]').click()  # sent empty: the error summary and messages
        expect(page.locator(".app-error-summary")).to_be_visible()
        assert_accessible(page, f"{path} with errors")


def test_add_incident_in_every_state(lantern, axe_page, teacher, problems):
    page = axe_page(storage_state=teacher)
    page.goto(f"{lantern.url}/add-incident.html")
    expect(page.locator("#incident-form[data-ready]")).to_have_count(1)
    expect(page.locator("#assign-to-options input").first).to_be_attached()
    assert_accessible(page, "add-incident")

    page.locator("#add-incident").click()
    expect(page.locator(".app-error-summary")).to_be_visible()
    assert_accessible(page, "add-incident with every error")

    for box in page.locator('input[name="categories"]').all():
        box.check()
    page.get_by_label("Other (please specify)").check()
    page.locator("#planner").check()
    page.locator("#pupil").fill("a")
    expect(page.locator("#pupil-listbox")).to_be_visible()
    page.locator("#account").fill("JS was naughty. She said that he hit her.")
    expect(page.locator("#quality-prompts")).to_be_visible()
    page.locator("#warning-details, .app-warning__details summary").first.click()
    page.locator("#body-map").click()
    page.locator('[data-region-id="front-left-forearm"]').click()
    expect(page.locator("#body-map-marks > li")).to_have_count(1)
    assert_accessible(page, "add-incident with every question revealed, the list open, prompts and a body-map mark")

    page.locator("#add-incident").click()
    expect(page.locator(".app-error-summary")).to_be_visible()
    assert_accessible(page, "add-incident with errors inside revealed questions")

    page.locator("#blank-screen").click()
    expect(page.locator("#blank-screen-overlay")).to_be_visible()
    assert_accessible(page, "add-incident blanked")


def test_signed_in_pages_of_a_teacher(lantern, axe_page, teacher):
    page = axe_page(storage_state=teacher)
    for path, ready in [("/dashboard.html", "#signed-in"), ("/planner.html", "#planner")]:
        page.goto(f"{lantern.url}{path}")
        expect(page.locator(ready)).to_be_visible()
        assert_accessible(page, path)


def test_the_review_and_leaders_pages(lantern, axe_page, teacher, head, problems):
    problems.allow(r"status of 400", r"/api/incidents/[^/]+/status$")
    # A concern from a teacher, so the head (included on every incident) has one to review.
    reporter = axe_page(storage_state=teacher)
    minimal_concern(reporter, lantern.url, uniquely_named_pupil(roster_names()), "Came to school with no coat again.")
    page = axe_page(storage_state=head)
    page.goto(f"{lantern.url}/dashboard.html")
    expect(page.locator("#signed-in")).to_be_visible()
    assert_accessible(page, "the head's dashboard")
    link = page.locator('a[href^="/incident.html?id="]').first
    expect(link).to_be_visible(timeout=10_000)
    page.goto(f"{lantern.url}{link.get_attribute('href')}")
    expect(page.locator("#review")).to_be_visible(timeout=10_000)
    assert_accessible(page, "the review page")

    for summary in page.locator("details[data-manage]:visible > summary").all():
        summary.click()
    closing = page.locator("#status-status-2")
    if closing.is_visible():
        closing.check()
        page.locator("#status-save").click()
        expect(page.locator("#status-form .app-error-summary")).to_be_visible()
    assert_accessible(page, "the review page with every update form open and errors shown")

    pupil = page.locator('#incident-pupil a[href^="/pupil.html"]')
    pages = [("/pupils.html", "main"), ("/reports.html", "main")]
    if pupil.count():
        pages.insert(0, (pupil.get_attribute("href"), "main"))
    for path, ready in pages:
        page.goto(f"{lantern.url}{path}")
        expect(page.locator(ready)).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert_accessible(page, path)


def test_the_administrators_pages(lantern, axe_page, admin):
    page = axe_page(storage_state=admin)
    page.goto(f"{lantern.url}/admin.html")
    expect(page.locator("#roster-form")).to_be_visible()
    assert_accessible(page, "admin.html")
    page.goto(f"{lantern.url}/staff.html")
    expect(page.locator("#staff-table tbody tr").first).to_be_visible(timeout=10_000)
    assert_accessible(page, "staff.html")
    page.locator("#staff-table").get_by_role("button", name=re.compile("^Disable account")).first.click()
    expect(page.locator(".app-confirm")).to_be_visible()
    assert_accessible(page, "staff.html asking to confirm")


def test_the_second_step_of_logging_in(lantern, axe_page, problems):
    problems.allow(r"status of 40[01]", r"/api/(auth/code|me)$")
    email = lantern.emails("head")[0]
    page = axe_page()
    lantern.log_in(page, email, "kettle orchard lamplight tuesday", code=False)
    expect(page).to_have_url(re.compile(r"/sign-in-code\.html"))
    expect(page.locator("#code-step")).to_be_visible()
    assert_accessible(page, "the code step")
    page.get_by_label("6-digit code", exact=True).fill("000000")
    page.locator("#code-form").get_by_role("button", name="Continue").click()
    expect(page.locator(".app-error-summary")).to_be_visible()
    assert_accessible(page, "the code step with an error")
