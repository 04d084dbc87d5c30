"""Following concerns up, in Chromium: a reminder set on the Add Incident form is emailed once when it is due; an
action given to a teacher reaches their dashboard with the pupil it is about, and they mark it done for the DSL to
see; My planner adds, changes and deletes reminders, and refuses a time in the past.

Incidents for the review steps are added through the API from a signed-in teacher's own page (test_review's
Reporter); emails come from the server's /dev/outbox page. The local server runs the reminder job every minute."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_for
from tests.browser.test_add_incident import (
    demo_pupils,
    email_text,
    fill_minimal_behaviour_incident,
    open_form,
    staff_label,
)
from tests.browser.test_review import LONDON, REFUSED, SERVER_MS, Reporter, outbox, pupil_label

pytestmark = pytest.mark.browser

REMINDER_WAIT_S = 2 * 60  # due within 75 s; locally the job runs a second after each whole minute
STILL_ONE_AFTER_S = 5


@pytest.fixture(scope="module")
def reporter(lantern, browser):
    """One teacher adding the incidents the review steps follow up (signed in once), watched for problems."""
    from tests.browser.conftest import BrowserProblems, new_watched_page

    problems = BrowserProblems()
    page = new_watched_page(browser, problems)
    yield Reporter(lantern, page, lantern.emails("staff")[1])
    page.context.close()
    problems.assert_none()


def school_day(days_ahead: int) -> str:
    """A date `days_ahead` of today in the school's time zone, as a date input takes it."""
    return (datetime.now(LONDON).date() + timedelta(days=days_ahead)).isoformat()


def long_date(iso: str) -> str:
    """ "3 March 2026", as the pages show a calendar date."""
    day = datetime.fromisoformat(iso)
    return f"{day.day} {day.strftime('%B %Y')}"


def reminder_emails(url: str, to: str) -> list[str]:
    """Paths of every planner reminder email to `to` on the outbox page."""
    return [path for who, subject, path in outbox(url) if who == to and subject.startswith("Lantern reminder")]


# ---- The tests ----


def test_a_planner_reminder_set_on_the_form_is_emailed_once_when_it_is_due(lantern, open_page):
    url = lantern.url
    teacher = lantern.emails("staff")[2]
    label = next(label for label in demo_pupils() if label.startswith("Daisy Wong "))
    pupil_name = demo_pupils()[label]["name"]

    page = open_page()
    open_form(lantern, page, teacher)
    fill_minimal_behaviour_incident(page, label, "MARKER-F1 Pushed in the lunch queue twice.")
    page.locator("#planner").check()
    expect(page.locator("#planner-note-hint")).to_contain_text("do not write the pupil’s name")
    expect(page.locator("#planner-hint")).to_have_text("For your own email reminder to follow the concern up.")
    # The first whole minute at least 15 s ahead in the school's time (to the minute, as the time input takes it).
    due = (datetime.now(LONDON) + timedelta(seconds=75)).replace(second=0, microsecond=0)
    page.locator("#planner-date").fill(due.date().isoformat())
    page.locator("#planner-time").fill(due.strftime("%H:%M"))
    note = "MARKER-F1-NOTE Check the lunch queue again."
    page.locator("#planner-note").fill(note)
    page.locator("#add-incident").click()
    expect(page.locator("#receipt")).to_be_visible(timeout=SERVER_MS)

    # Polled as someone refreshing their inbox would, every couple of seconds.
    found = wait_for(lambda: reminder_emails(url, teacher), f"the reminder to {teacher}", REMINDER_WAIT_S, every_s=2)
    assert datetime.now(LONDON) >= due - timedelta(seconds=1), "the reminder was sent before it was due"
    assert len(found) == 1, found
    text = email_text(url, found[0])
    assert note in text
    assert pupil_name not in text and "MARKER-F1 " not in text  # never the pupil or the account by email

    # A few seconds on, still exactly one: the job's next run, or an overlapping one, does not send it again.
    time.sleep(STILL_ONE_AFTER_S)
    assert reminder_emails(url, teacher) == found

    # The dashboard shows it among the reminders now due.
    page.goto(f"{url}/dashboard.html")
    reminders = page.locator("#reminders-list > li")
    expect(reminders.filter(has_text=note)).to_have_count(1, timeout=SERVER_MS)
    expect(page.locator("#alerts-empty")).to_be_hidden()


def test_a_teacher_given_an_action_sees_it_with_the_pupil_and_marks_it_done_for_the_dsl(
    lantern, reporter, open_page, problems
):
    url = lantern.url
    teacher = lantern.emails("staff")[3]
    dsl = lantern.emails("dsl")[0]
    teacher_name, dsl_name = lantern.name_of(teacher), lantern.name_of(dsl)
    pupil = reporter.pupil(5)
    incident = reporter.add(pupil, {"Safeguarding": ["Neglect"]}, "MARKER-F2 No lunch again and very tired.")
    follow_up = school_day(3)

    # The DSL adds an action for the teacher, to be followed up in three days.
    dsl_page = open_page()
    lantern.first_sign_in(dsl_page, dsl)
    dsl_page.goto(f"{url}{incident['path']}")
    expect(dsl_page.locator("#review")).to_be_visible(timeout=SERVER_MS)
    expect(dsl_page.locator("#add-reminder")).to_have_attribute("href", f"/planner.html?incident={incident['id']}")
    asked = "MARKER-F2-ACTION Please check she has had breakfast each morning and tell me."
    dsl_page.locator('details[data-manage="action"] summary').click()
    dsl_page.locator("#action-text").fill(asked)
    dsl_page.locator("#action-tagged").press_sequentially(teacher_name.split()[0])
    dsl_page.locator("#action-tagged-listbox").get_by_role("option", name=staff_label(teacher), exact=True).click()
    dsl_page.locator("#action-follow-up").fill(follow_up)
    dsl_page.locator("#action-save").click()
    expect(dsl_page.locator("#saved-notice")).to_have_text("Action added.", timeout=SERVER_MS)
    dsl_action = dsl_page.locator("#incident-actions > li").filter(has_text=asked)
    expect(dsl_action).to_have_count(1)
    expect(dsl_action).to_contain_text(long_date(follow_up))
    expect(dsl_action.locator(".app-action__overdue")).to_have_count(0)
    action_id = dsl_action.get_attribute("id").removeprefix("action-")

    # The teacher's dashboard: the action, whom it is about, who asked, and by when.
    page = open_page()
    lantern.first_sign_in(page, teacher)
    item = page.locator(f'#actions-list > li[data-action-id="{action_id}"]')
    expect(item).to_have_count(1, timeout=SERVER_MS)
    expect(page.locator("#actions-heading")).to_have_text("Actions for you")
    expect(item).to_contain_text(pupil_label(pupil))
    expect(item).to_contain_text(asked)
    expect(item).to_contain_text(dsl_name)
    expect(item).to_contain_text(long_date(follow_up))
    expect(item).to_have_attribute("data-overdue", "false")
    expect(item).not_to_contain_text("Past its follow-up date")
    expect(page.locator("#alerts-empty")).to_be_hidden()

    # Opened from there: only the action and the pupil, with the form to mark it done.
    item.locator(".app-alert__link").click()
    expect(page).to_have_url(f"{url}{incident['path']}#action-{action_id}")
    action = page.locator(f"#action-{action_id}")
    expect(action).to_be_focused(timeout=SERVER_MS)
    expect(page.locator("#incident-pupil")).to_have_text(pupil_label(pupil))
    expect(page.locator("#account-section")).to_be_hidden()
    note = action.get_by_label("What was done (optional)")
    expect(note).to_have_attribute("id", f"action-done-note-{action_id}")

    # Too long a note: the server's field error, the GOV.UK way, and nothing saved.
    problems.allow(REFUSED.format(status=400), rf"/api/incidents/{incident['id']}/actions/{action_id}/done$")
    note.fill("x" * 1001)
    action.get_by_role("button", name="Mark as done").click()
    summary = action.locator(".app-error-summary")
    expect(summary).to_be_focused(timeout=SERVER_MS)
    expect(summary.locator(f'a[href="#action-done-note-{action_id}"]')).to_be_visible()
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(action).to_have_attribute("data-done", "false")

    done_note = "MARKER-F2-DONE Breakfast club place arranged; she has eaten every day this week."
    note.fill(done_note)
    action.get_by_role("button", name="Mark as done").click()
    expect(page.locator("#saved-notice")).to_have_text("Action marked as done.", timeout=SERVER_MS)
    expect(page.locator("#saved-notice")).to_be_focused()
    expect(action).to_have_attribute("data-done", "true")
    expect(action.locator(".app-action__done")).to_have_text(re.compile(rf"^Done by {re.escape(teacher_name)} on .+: "))
    expect(action.locator(".app-action__done")).to_contain_text(done_note)
    expect(action.locator("form")).to_have_count(0)

    # Done, it is no longer among the actions for the teacher.
    page.goto(f"{url}/dashboard.html")
    expect(page.locator("#alerts-section")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator(f'#actions-list > li[data-action-id="{action_id}"]')).to_have_count(0)

    # The DSL reloads the incident and sees who did it and what they did.
    dsl_page.reload()
    expect(dsl_page.locator("#review")).to_be_visible(timeout=SERVER_MS)
    done = dsl_page.locator(f"#action-{action_id} .app-action__done")
    expect(done).to_contain_text(f"Done by {teacher_name}")
    expect(done).to_contain_text(done_note)
    expect(dsl_page.locator(f"#action-{action_id} form")).to_have_count(0)


def test_my_planner_adds_changes_and_deletes_a_reminder_and_refuses_a_past_time(lantern, reporter, open_page, problems):
    url = lantern.url
    incident = reporter.add(reporter.pupil(6), {"Safeguarding": ["Mental health"]}, "MARKER-F3 Tearful all day.")
    page = open_page()
    lantern.first_sign_in(page, lantern.emails("dsl")[1])

    # From the incident page, to a reminder about it.
    page.goto(f"{url}{incident['path']}")
    expect(page.locator("#review")).to_be_visible(timeout=SERVER_MS)
    page.get_by_role("link", name="Add a reminder to my planner").click()
    expect(page).to_have_url(f"{url}/planner.html?incident={incident['id']}")
    expect(page.locator("#planner")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#nav-planner")).to_have_attribute("aria-current", "page")
    expect(page.locator("#planner-about")).to_have_text(f"About incident {incident['reference']}")
    expect(page.locator("#planner-note-hint")).to_have_text("The note is emailed to you: do not write a pupil’s name.")
    expect(page.locator("#upcoming-none")).to_be_visible()

    # A time in the past: the server's field error, linked from the summary.
    problems.allow(REFUSED.format(status=400), r"/api/planner$")
    page.get_by_label("Date", exact=True).fill(school_day(-1))
    page.get_by_label("Time", exact=True).fill("09:00")
    page.get_by_role("button", name="Add reminder").click()
    summary = page.locator("#planner-form .app-error-summary")
    expect(summary).to_be_focused(timeout=SERVER_MS)
    expect(summary).to_contain_text("There is a problem")
    expect(summary.locator('a[href="#planner-time"]')).to_be_visible()
    expect(page.locator("#planner-time")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#upcoming-list > li")).to_have_count(0)

    # Put right: added, about the incident.
    when = school_day(2)
    note = "MARKER-F3-NOTE Ring the school nurse about the referral."
    page.get_by_label("Date", exact=True).fill(when)
    page.get_by_label("Time", exact=True).fill("09:30")
    page.get_by_label("Note (optional)").fill(note)
    page.get_by_role("button", name="Add reminder").click()
    saved = page.locator("#planner-saved")
    expect(saved).to_be_focused(timeout=SERVER_MS)
    expect(saved).to_contain_text("Reminder added for")
    expect(summary).to_have_count(0)
    item = page.locator("#upcoming-list > li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"{long_date(when)} at 09:30")
    expect(item).to_contain_text(note)
    expect(item.get_by_role("link", name=incident["reference"])).to_have_attribute("href", incident["path"])
    expect(page.locator("#planner-incident-group")).to_be_hidden()  # the next reminder is about nothing yet
    expect(page).to_have_url(f"{url}/planner.html")
    expect(page.get_by_label("Note (optional)")).to_have_value("")

    # Change it: inline fields, filled in with what it says now.
    item.get_by_role("button", name="Change").click()
    change = item.locator("form")
    date_field = change.get_by_label("Date", exact=True)
    expect(date_field).to_be_focused()
    expect(date_field).to_have_value(when)
    expect(change.get_by_label("Time", exact=True)).to_have_value("09:30")
    expect(change.get_by_label("Note (optional)")).to_have_value(note)
    changed_note = "MARKER-F3-CHANGED Ring the school nurse after assembly."
    change.get_by_label("Time", exact=True).fill("14:15")
    change.get_by_label("Note (optional)").fill(changed_note)
    change.get_by_role("button", name="Save changes").click()
    expect(item).to_contain_text(f"{long_date(when)} at 14:15", timeout=SERVER_MS)
    expect(item).to_contain_text(changed_note)
    expect(item).to_be_focused()
    expect(item.locator("form")).to_have_count(0)
    expect(page.locator("#planner-status")).to_contain_text("Reminder changed to")

    page.reload()
    expect(item).to_have_count(1, timeout=SERVER_MS)
    expect(item).to_contain_text("14:15")
    expect(item).to_contain_text(changed_note)

    # Delete it.
    item.get_by_role("button", name="Delete").click()
    expect(item).to_have_count(0, timeout=SERVER_MS)
    expect(page.locator("#upcoming-none")).to_be_visible()
    expect(page.locator("#upcoming-heading")).to_be_focused()
    page.reload()
    expect(page.locator("#planner")).to_be_visible(timeout=SERVER_MS)
    expect(item).to_have_count(0)

    # Coming from the incident again, then deciding the reminder is not about it after all.
    page.goto(f"{url}/planner.html?incident={incident['id']}")
    expect(page.locator("#planner-incident-group")).to_be_visible(timeout=SERVER_MS)
    page.get_by_role("button", name="Remove the incident").click()
    expect(page.locator("#planner-incident-group")).to_be_hidden()
    expect(page).to_have_url(f"{url}/planner.html")
    expect(page.get_by_label("Date", exact=True)).to_be_focused()


def test_an_administrator_has_no_planner(lantern, open_page):
    page = open_page()
    lantern.first_sign_in(page, lantern.emails("admin")[0])
    expect(page.locator("#signed-in-nav")).to_be_hidden()
    expect(page.locator("#my-planner")).to_be_hidden()
    page.goto(f"{lantern.url}/planner.html")
    expect(page.locator("#planner-not-for-you")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#planner-not-for-you")).to_contain_text(
        "Planners are for staff who record and follow up concerns"
    )
    expect(page.locator("#planner")).to_be_hidden()
