"""Every page, as a screen-reader user, a keyboard user and someone on a 320px phone meets it; the web manifest."""

from __future__ import annotations

import struct

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 568}
FAKE_TOKEN = "A" * 43  # the form shows for any token; the server checks it only on submit

# (page, an element that is visible once the page's script has run, signed in?)
PAGES = [
    pytest.param("/index.html", "#login-form", False, id="log-in"),
    pytest.param("/forgot-password.html", "#forgot-form", False, id="forgot-password"),
    pytest.param(f"/set-password.html#token={FAKE_TOKEN}", "#set-password-form", False, id="set-password-with-token"),
    pytest.param("/set-password.html", "#set-password-no-token", False, id="set-password-without-token"),
    pytest.param("/dashboard.html", "#signed-in", True, id="dashboard"),
    pytest.param("/add-incident.html", "#logout", True, id="add-incident"),
    pytest.param("/planner.html", "#planner", True, id="planner"),
    pytest.param("/help.html", ".app-qr", False, id="help"),
    pytest.param("/offline.html", "h1", False, id="offline"),
]

UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter((control) => {
    if (!control.id) return true;
    const labels = document.querySelectorAll(`label[for="${CSS.escape(control.id)}"]`);
    return labels.length !== 1 || !labels[0].textContent.trim();
  })
  .map((control) => control.outerHTML)"""

HORIZONTAL_OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const tooWide = (node) => node.getBoundingClientRect().right > root.clientWidth + 0.5
    || node.scrollWidth > node.clientWidth + 1;
  const describe = (node) => node.tagName.toLowerCase() + (node.id ? `#${node.id}` : '')
    + (typeof node.className === 'string' && node.className ? `.${node.className}` : '');
  const wide = [...document.body.querySelectorAll('*')].filter(tooWide).map(describe);
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide: wide.slice(0, 10)};
}"""


@pytest.fixture(scope="module")
def signed_in_state(lantern, browser):
    """Cookies of the demo head of school, signed in once through the pages (for the signed-in pages)."""
    from tests.browser.conftest import BrowserProblems, new_watched_page

    problems = BrowserProblems()
    page = new_watched_page(browser, problems)
    lantern.first_sign_in(page, lantern.emails("head")[0])
    state = page.context.storage_state()
    page.context.close()
    problems.assert_none()
    return state


def open_at(lantern, open_page, request, path: str, ready: str, signed_in: bool):
    """Open `path` at the tablet size (signed in as the demo head if asked) once its script has run."""
    options = {"storage_state": request.getfixturevalue("signed_in_state")} if signed_in else {}
    page = open_page(**options)
    page.goto(f"{lantern.url}{path}")
    expect(page.locator(ready)).to_be_visible()
    if signed_in:
        expect(page).to_have_url(f"{lantern.url}{path}")
    return page


def assert_no_horizontal_scroll(page, where: str) -> None:
    overflow = page.evaluate(HORIZONTAL_OVERFLOW)
    assert overflow is None, f"{where} scrolls sideways: {overflow}"


@pytest.mark.parametrize(("path", "ready", "signed_in"), PAGES)
def test_each_page_has_labels_one_h1_the_language_a_skip_link_and_fits_320px(
    lantern, open_page, request, path, ready, signed_in
):
    page = open_at(lantern, open_page, request, path, ready, signed_in)

    expect(page.locator('html[lang="en-GB"]')).to_have_count(1)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).not_to_be_empty()
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    assert page.title().endswith(f"– Lantern – {lantern.school_name}")

    # The first Tab reaches the skip link, shown on focus; following it moves focus to the main content.
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to main content")
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    assert_no_horizontal_scroll(page, f"{path} at 1024px")
    page.set_viewport_size(PHONE)
    assert page.evaluate("window.innerWidth") == 320
    assert_no_horizontal_scroll(page, f"{path} at 320px")


def test_long_answers_and_errors_still_fit_a_320px_phone(lantern, open_page, problems):
    """A long work email in the confirmation panel, and the error summary, wrap instead of widening the page."""
    page = open_page(**PHONE)
    assert page.viewport_size == PHONE
    page.goto(f"{lantern.url}/forgot-password.html")
    email = "firstname.with-a-very-long-double-barrelled-surname@themead.example.org"
    page.get_by_label("Work email address").fill(email)
    page.get_by_role("button", name="Reset Password").click()
    expect(page.locator("#forgot-sent-email")).to_have_text(email)
    assert_no_horizontal_scroll(page, "the forgot-password confirmation at 320px")

    problems.allow(r"status of 400", r"/api/auth/set-password$")
    page.goto(f"{lantern.url}/set-password.html#token={FAKE_TOKEN}")
    page.locator("#password").fill("a perfectly reasonable long password")
    page.locator("#confirm-password").fill("a perfectly reasonable long password")
    page.get_by_role("button", name="Set password").click()
    summary = page.locator(".app-error-summary")
    expect(summary).to_contain_text("There is a problem")
    # A token with no field: listed as a link to ask for a new one.
    expect(
        summary.get_by_role("link", name="This link has expired or has already been used", exact=False)
    ).to_have_attribute("href", "/forgot-password.html")
    assert_no_horizontal_scroll(page, "set-password with an error summary at 320px")


def png_size(body: bytes) -> str:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", body[16:24])
    return f"{width}x{height}"


def test_the_web_manifest_is_served_and_its_icons_load(lantern, page):
    page.goto(f"{lantern.url}/index.html")
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    response = page.request.get(f"{lantern.url}{href}")
    assert response.status == 200
    assert response.headers["content-type"].split(";")[0].strip() == "application/manifest+json"
    manifest = response.json()

    assert manifest["lang"] == "en-GB"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith(manifest["scope"])
    assert page.request.get(f"{lantern.url}{manifest['start_url']}").status == 200

    assert manifest["icons"], "the manifest lists no icons"
    sizes = set()
    for icon in manifest["icons"]:
        loaded = page.request.get(f"{lantern.url}{icon['src']}")
        assert loaded.status == 200, icon["src"]
        assert loaded.headers["content-type"].split(";")[0].strip() == icon["type"], icon["src"]
        if icon["type"] == "image/png":
            assert png_size(loaded.body()) == icon["sizes"], icon["src"]
            sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes, "installable web apps need 192px and 512px icons"

    # The icons the pages themselves link to load too.
    for link in page.locator('link[rel="icon"], link[rel="apple-touch-icon"]').all():
        assert page.request.get(f"{lantern.url}{link.get_attribute('href')}").status == 200
