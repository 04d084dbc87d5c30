"""Issue 12, in Chromium at the sizes staff use (iPad portrait and landscape, Chromebook): a minimal concern in at
most seven actions at any time of day, one round of errors, a time that cannot be misread, guidance that leaves the
form in view, prompts that never block, forms that wait for their script, and Lantern on the home screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

IPAD_PORTRAIT = {"width": 810, "height": 1080}
IPAD_LANDSCAPE = {"width": 1080, "height": 810}
CHROMEBOOK = {"width": 1366, "height": 768}
INCIDENTS = r"/api/incidents$"
# Every path (and query) the service worker has kept, in every cache.
KEPT_PATHS = """async () => {
  const kept = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) {
      const url = new URL(request.url);
      kept.push(url.pathname + url.search);
    }
  }
  return kept;
}"""


def roster_names() -> list[str]:
    from tools.demo import demo_pupils

    return [f"{p['preferred_name'] or p['first_name']} {p['last_name']}" for p in demo_pupils("themead")]


@pytest.fixture(scope="module")
def teacher(lantern, browser):
    """A teacher signed in once through the pages: their cookies, for a fresh context per test."""
    from tests.browser.conftest import BrowserProblems, new_watched_page

    problems = BrowserProblems()
    page = new_watched_page(browser, problems)
    email = lantern.emails("staff")[5]
    lantern.first_sign_in(page, email)
    state = page.context.storage_state()
    page.context.close()
    problems.assert_none()
    return state


def open_form(lantern, open_page, teacher, size=IPAD_LANDSCAPE, **options):
    page = open_page(storage_state=teacher, **size, **options)
    page.goto(f"{lantern.url}/add-incident.html")
    expect(page.locator("#incident-form[data-ready]")).to_have_count(1)
    expect(page.locator("#assign-to-options input").first).to_be_attached()
    return page


def watch_posts(page) -> list:
    posts = []
    page.on(
        "request",
        lambda request: (
            posts.append(request) if request.method == "POST" and re.search(INCIDENTS, request.url) else None
        ),
    )
    return posts


# A minimal concern in at most seven actions at each size: tests/browser/test_role_journeys.py (the teacher's journey).


def test_session_is_filled_in_at_any_time_of_day(lantern, open_page, teacher):
    page = open_form(lantern, open_page, teacher)
    session = page.locator("#session")
    time = page.locator("#time")
    for typed, expected in [("0830", "Before school"), ("10:35", "Morning break"), ("1230", "Lunchtime"),
                            ("19:05", "Outside session times"), ("0600", "Outside session times")]:  # fmt: skip
        time.fill(typed)
        time.blur()
        expect(session).to_have_value(expected)
    # Chosen by hand, it stays chosen.
    session.select_option("Afternoon")
    time.fill("0900")
    time.blur()
    expect(session).to_have_value("Afternoon")


def test_the_time_is_24_hour_and_cannot_be_misread_and_a_future_time_is_refused(lantern, open_page, teacher):
    page = open_form(lantern, open_page, teacher, locale="en-US")  # a 12-hour browser
    posts = watch_posts(page)
    time = page.locator("#time")
    expect(page.get_by_label("Time (24-hour clock)", exact=True)).to_have_attribute("type", "text")
    for typed, shown in [("1115", "11:15"), ("915", "09:15"), ("11.15", "11:15"), ("3pm", "15:00"), ("23:05", "23:05")]:
        time.fill(typed)
        time.blur()
        expect(time).to_have_value(shown)
    page.locator("#date").fill("2026-03-02")
    time.fill("1432")
    time.blur()
    expect(page.locator("#when-readback")).to_have_text("Recorded as Monday 2 March 2026 at 14:32.")
    expect(page.locator("#day")).to_have_value("Monday")

    page.locator("#date").fill("2099-01-01")
    page.locator("#add-incident").click()
    expect(page.locator("#time-error")).to_contain_text("cannot be in the future: it is now")
    time.fill("25:99")
    page.locator("#add-incident").click()
    expect(page.locator("#time-error")).to_contain_text("24-hour clock")
    assert posts == [], "a form the page knew to be wrong was sent"


def test_every_rule_is_checked_before_sending_in_one_summary(lantern, open_page, teacher):
    page = open_form(lantern, open_page, teacher)
    posts = watch_posts(page)
    # Required questions say so.
    for control in ("pupil", "location", "account", "session", "day"):
        expect(page.locator(f'label[for="{control}"] .app-required')).to_have_text("(required)")
    expect(page.get_by_role("group", name="Categories (required)", exact=True)).to_have_count(1)

    page.locator('input[name="categories"][value="Bullying"]').check()
    page.locator("#pupil").fill("zz")
    page.locator("#add-incident").click()
    summary = page.locator(".app-error-summary")
    expect(summary).to_be_focused()
    hrefs = [link.get_attribute("href") for link in summary.get_by_role("link").all()]
    assert hrefs[:1] == ["#pupil"] and {"#subcategories-Bullying", "#location", "#account"} <= set(hrefs), hrefs
    assert posts == []

    # Bullying's "Other (please specify)" has its box, and the box is then required.
    other = page.get_by_label("Other (please specify)")
    specify = page.locator("#question-bullying_other")
    expect(specify).to_be_hidden()
    other.check()
    expect(specify).to_be_visible()
    page.locator("#add-incident").click()
    expect(page.locator("#question-bullying_other-error")).to_contain_text("Say what “Other (please specify)” was.")
    expect(summary.get_by_role("link")).to_have_count(
        len(hrefs) + 0
    )  # Bullying now has a sub-category; Other needs words
    assert posts == []


def test_the_guidance_lines_are_where_the_guidance_puts_them(lantern, open_page, teacher):
    page = open_form(lantern, open_page, teacher)
    expect(page.locator("#categories-hint")).to_contain_text("You cannot do anything wrong")
    page.locator('input[name="categories"][value="Behaviour"]').check()
    behaviour = page.locator('.app-conditional[data-category="Behaviour"]')
    expect(behaviour).to_contain_text("you may be asked to complete additional forms and will be supported with that")


def test_student_is_on_the_first_screen_of_a_chromebook_and_blank_screen_never_covers_the_form(
    lantern, open_page, teacher
):
    page = open_form(lantern, open_page, teacher, size=CHROMEBOOK)
    box = page.locator("#pupil").bounding_box()
    assert box["y"] + box["height"] <= CHROMEBOOK["height"], f"Student ends at {box['y'] + box['height']}px"
    expect(page.locator("section.app-warning")).to_contain_text("Tell a DSL now")

    page.set_viewport_size(IPAD_PORTRAIT)
    blank = page.locator("#blank-screen")
    header = page.locator(".app-header")
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height, 400):
        page.evaluate(f"window.scrollTo(0, {y})")
        button, bar = blank.bounding_box(), header.bounding_box()
        expect(blank).to_be_in_viewport()
        # The button is inside the header, and the header is a full-width strip of its own at the top.
        assert bar["y"] <= button["y"] and button["y"] + button["height"] <= bar["y"] + bar["height"]
        assert bar["x"] == 0 and bar["width"] == IPAD_PORTRAIT["width"]
        assert bar["y"] <= 0.5


def test_record_quality_prompts_suggest_and_never_block(lantern, open_page, teacher):
    page = open_form(lantern, open_page, teacher)
    prompts = page.locator("#quality-prompts")
    expect(prompts).to_be_hidden()
    page.locator("#account").fill("JS was naughty at lunch. She told me that he hit her.")
    expect(prompts.locator("[data-prompt]")).to_have_count(3)
    expect(prompts.locator('[data-prompt="initials"]')).to_contain_text("“JS”")
    expect(prompts.locator('[data-prompt="opinion"]')).to_contain_text("“naughty”")
    expect(prompts.locator('[data-prompt="voice"]')).to_contain_text("quotation marks")
    page.locator("#account").fill('Jamie Smith pushed Ella Brown at lunch. She told me: "he hit me".')
    expect(prompts).to_be_hidden()
    page.locator('input[name="categories"][value="Safeguarding"]').check()
    expect(page.locator("#prompt-told-dsl")).to_be_visible()
    expect(page.locator("#prompt-told-dsl")).to_contain_text("Have you told a DSL verbally?")


def test_a_form_waits_for_its_script_and_says_so_if_it_never_comes(lantern, open_page, teacher, problems):
    problems.allow(r"net::ERR_FAILED|Failed to load", r"add-incident\.[0-9a-f]{10}\.js")
    page = open_page(storage_state=teacher)
    page.route(re.compile(r"/js/add-incident\.[0-9a-f]{10}\.js$"), lambda route: route.abort())
    page.goto(f"{lantern.url}/add-incident.html")
    expect(page.locator("#page-error")).to_contain_text("did not finish loading")
    expect(page.locator("#page-error")).to_be_focused()
    expect(page.locator("#account")).to_be_disabled()
    expect(page.locator("#add-incident")).to_be_disabled()


def test_the_help_page_has_home_screen_steps_and_the_address_as_a_qr_code(lantern, open_page):
    page = open_page()
    page.goto(f"{lantern.url}/index.html")
    page.get_by_role("link", name="Add Lantern to your home screen").click()
    expect(page).to_have_url(f"{lantern.url}/help.html")
    for heading in ("iPad (Safari)", "Chromebook (Chrome)", "Windows (Edge or Chrome)"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    qr = page.get_by_role("img", name=f"QR code of {lantern.url}", exact=True)  # the school's address (here, local)
    expect(qr).to_be_visible()
    assert qr.evaluate("node => node.tagName.toLowerCase()") == "svg"


def test_the_service_worker_keeps_only_the_shell_and_shows_the_offline_page(lantern, open_page, teacher, problems):
    problems.allow(r"ERR_INTERNET_DISCONNECTED")
    page = open_page(storage_state=teacher, service_workers="allow")
    page.goto(f"{lantern.url}/dashboard.html")
    expect(page.locator("#signed-in")).to_be_visible()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker
    expect(page.locator("#signed-in")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    kept = page.evaluate(KEPT_PATHS)
    assert "/offline.html" in kept and "/dashboard.html" in kept, kept
    assert not [path for path in kept if path.startswith(("/api/", "/dev/")) or "?" in path], kept

    page.context.set_offline(True)
    page.goto(f"{lantern.url}/planner.html")  # never opened: the offline page answers
    expect(page.get_by_role("heading", level=1)).to_have_text("No connection")
    page.goto(f"{lantern.url}/dashboard.html")  # opened before: its shell opens at once
    expect(page.locator("#add-incident, a[href='/add-incident.html']").first).to_be_visible()
    page.context.set_offline(False)
