"""Review and follow-up, in Chromium: what happens after a concern is added. The DSL opens the link in their alert
email, logs in, lands on the record, adds actions and re-categorises it; the teacher tagged in an action sees that
action and the pupil it is about, and nothing else; a leader is refused a Safeguarding record; an incident is closed
with its outcome; the Head marks an alert as read; and a pupil's chronology is filtered and printed.

Incidents are added through the API from a signed-in teacher's own page (the form itself is test_add_incident's
subject); the alert emails and their links come from the server's /dev/outbox page."""

from __future__ import annotations

import html
import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import GOOD_PASSWORD, TIMEOUT_MS, link_from_outbox, wait_for

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
SERVER_MS = TIMEOUT_MS
# Chromium logs every 4xx fetch as a console error ("Failed to load resource: … status of 403"); a test allows
# exactly the one it provokes, on exactly the API path it expects.
REFUSED = r"^Failed to load resource: the server responded with a status of {status}"
ID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# ---- Adding incidents, reading the outbox ----


def yesterday_at(clock: str) -> dict:
    """date, time, day and session of an incident that happened yesterday at `clock` ("HH:MM") in a school session,
    so never in the future whenever the tests run."""
    from tools.build_site import load_school, school_file

    sessions = load_school(school_file("themead")).sessions
    day = datetime.now(LONDON).date() - timedelta(days=1)
    session = next(s.name for s in sessions if s.start <= clock < s.end)
    return {"date": day.isoformat(), "time": clock, "day": day.strftime("%A"), "session": session}


class Reporter:
    """A member of staff signed in through the pages, adding incidents through the API from their own page."""

    def __init__(self, lantern, page, email: str) -> None:
        self.lantern, self.page, self.email = lantern, page, email
        self.password = lantern.first_sign_in(page, email)
        self._roster = None

    def roster(self) -> dict:
        if self._roster is None:
            response = self.page.request.get(f"{self.lantern.url}/api/roster")
            assert response.ok, response.text()
            self._roster = response.json()
        return self._roster

    def pupil(self, index: int) -> dict:
        """A pupil whose name is unique in the roster (so "the name is not on the page" means something): `ref` as
        the roster answer names them (what the form sends), and their `id` in the demo school (their page's address).
        """
        from tools.demo import demo_pupils

        answer = self.roster()
        names = [name for name, _group in answer["pupils"]]
        demo = {f"{p['preferred_name'] or p['first_name']} {p['last_name']}": p for p in demo_pupils("themead")}
        unique = [(n, name, group) for n, (name, group) in enumerate(answer["pupils"]) if names.count(name) == 1]
        n, name, group = unique[index]
        year_group, class_name = answer["groups"][group]
        ref, pupil_id = f"{answer['roster']}.{n}", demo[name]["pupil_id"]
        return {"ref": ref, "id": pupil_id, "name": name, "year_group": year_group, "class_name": class_name}

    def add(self, pupil: dict, subcategories: dict[str, list[str]], account: str, clock: str = "10:15") -> dict:
        """POST /api/incidents as the form does; the receipt, with the incident's id from the Head's alert email."""
        body = {
            "idempotency_key": str(uuid.uuid4()),
            "pupil_id": pupil["ref"],
            "linked_pupil_ids": [],
            "categories": list(subcategories),
            "subcategories": subcategories,
            "answers": {},
            **yesterday_at(clock),
            "location": "Classroom",
            "account": account,
            "body_marks": [],
            "status": "Active",
            "assigned_ids": [],  # the school's defaults: the DSL team for Safeguarding
            "alerted_ids": [],
            "agencies": [],
            "upload_ids": [],
        }
        response = self.page.request.post(
            f"{self.lantern.url}/api/incidents", data=body, headers={"X-Lantern-Request": "1"}
        )
        assert response.status == 201, response.text()
        receipt = response.json()
        head = self.lantern.emails("head")[0]  # the Head of School is alerted to every incident
        link = alert_link(self.lantern, head, receipt["reference"])
        receipt["id"] = re.search(rf"id=({ID_PATTERN})$", link).group(1)
        receipt["path"] = f"/incident.html?id={receipt['id']}"
        return receipt


@pytest.fixture(scope="module")
def reporter(lantern, browser):
    """One teacher adding the incidents the later tests review (signed in once: each first sign-in takes seconds).
    Their page is watched for problems like any other."""
    from tests.browser.conftest import BrowserProblems, new_watched_page

    problems = BrowserProblems()
    page = new_watched_page(browser, problems)
    yield Reporter(lantern, page, lantern.emails("staff")[1])
    page.context.close()
    problems.assert_none()


def outbox(url: str) -> list[tuple[str, str, str]]:
    """(to, subject, path) of every email sent, newest first."""
    page = requests.get(f"{url}/dev/outbox", timeout=10).text
    return [
        (html.unescape(to), html.unescape(subject), path)
        for to, path, subject in re.findall(r'<tr><td>([^<]*)</td><td><a href="(/dev/outbox/[^"]+)">([^<]*)</a>', page)
    ]


def alert_link(lantern, to: str, reference: str) -> str:
    """The link in the alert email to `to` about the incident `reference`, once it has been sent."""

    def find() -> str | None:
        for recipient, _, path in outbox(lantern.url):
            if recipient != to:
                continue
            text = html.unescape(requests.get(f"{lantern.url}{path}", timeout=10).text)
            if reference in text:
                found = re.search(rf"{re.escape(lantern.url)}/incident\.html\?id={ID_PATTERN}", text)
                assert found, text
                return found.group(0)
        return None

    return wait_for(find, f"the alert email to {to} about {reference}")


def pupil_label(pupil: dict) -> str:
    return f"{pupil['name']} ({pupil['year_group']}, {pupil['class_name']})"


# ---- Driving the pages ----


def open_review(lantern, page, path: str) -> None:
    page.goto(f"{lantern.url}{path}")
    expect(page.locator("#review")).to_be_visible(timeout=SERVER_MS)


def open_update(page, part: str) -> None:
    """Open one of "Update this incident"'s forms (each is behind its own disclosure, closed until opened)."""
    details = page.locator(f'details[data-manage="{part}"]')
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    expect(details.locator("form")).to_be_visible()


def add_action(page, text: str, tag: tuple[str, str] | None = None) -> None:
    """Add an action through #action-form, tagging (typed, "Name (Title)") from the staff typeahead."""
    count = page.locator("#incident-actions > li").count()
    open_update(page, "action")
    page.locator("#action-text").fill(text)
    if tag:
        typed, label = tag
        page.locator("#action-tagged").press_sequentially(typed)
        page.locator("#action-tagged-listbox").get_by_role("option", name=label, exact=True).click()
        expect(page.locator("#action-tagged-tags")).to_contain_text(label)
    page.locator("#action-save").click()
    expect(page.locator("#incident-actions > li")).to_have_count(count + 1, timeout=SERVER_MS)
    expect(page.locator("#saved-notice")).to_have_text("Action added.")


def action_item(page, text: str):
    return page.locator("#incident-actions > li").filter(has=page.locator(".app-action__text", has_text=text))


# ---- The tests ----


def test_the_dsl_follows_the_email_link_acts_and_the_tagged_teacher_sees_only_their_action(
    lantern, open_page, problems
):
    url = lantern.url
    teacher = lantern.emails("staff")[0]
    dsl = lantern.emails("dsl")[0]
    teacher_name, dsl_name = lantern.name_of(teacher), lantern.name_of(dsl)

    # A teacher adds a Safeguarding concern; the DSL team is assigned by default.
    reporter = Reporter(lantern, open_page(), teacher)
    pupil = reporter.pupil(0)
    account = (
        'MARKER-R1 At lunch she said "don\'t tell mum" and showed me a <b>bruise</b> & a scratch.\n'
        "She said it happened   at home.\n\nI told her I would have to pass it on."
    )
    incident = reporter.add(pupil, {"Safeguarding": ["Neglect"]}, account)
    assert dsl_name in incident["assigned"]

    # The DSL, signed out, opens the link in their alert email and is asked to log in first.
    link = alert_link(lantern, dsl, incident["reference"])
    assert link == f"{url}{incident['path']}"
    page = open_page()
    page.goto(link)
    expect(page).to_have_url(f"{url}/index.html?next={quote(incident['path'], safe='')}")
    # First time in Lantern: from this log in page they ask for a password link, open it from their email (a new
    # tab), set a password (which logs them in) and give the code from their phone; the alert's link is never lost.
    page.get_by_role("link", name="Forgotten your password or using Lantern for the first time?").click()
    expect(page).to_have_url(f"{url}/forgot-password.html?next={quote(incident['path'], safe='')}")
    page.get_by_label("Work email address").fill(dsl)
    page.get_by_role("button", name="Reset Password").click()
    expect(page.locator("#forgot-sent-email")).to_have_text(dsl)
    page.close()
    page = page.context.new_page()
    problems.watch_page(page)
    lantern.set_password(page, link_from_outbox(url, dsl), GOOD_PASSWORD)
    lantern.second_step(page, dsl)
    expect(page).to_have_url(link, timeout=SERVER_MS)
    expect(page.locator("#review")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#incident-reference")).to_have_text(incident["reference"])

    # What the teacher recorded: the pupil, the account exactly as written, and its history.
    expect(page.locator("#incident-pupil")).to_have_text(pupil_label(pupil))
    assert page.locator("#incident-account").text_content() == account
    assert page.locator("#incident-account").inner_text() == account  # shown with its line breaks and spaces
    history = page.locator("#incident-history > li")
    expect(history).to_have_count(1)
    expect(history.first).to_have_attribute("data-kind", "added")
    expect(history.first).to_contain_text("Added as Safeguarding, status Active")
    expect(history.first).to_contain_text(teacher_name)
    expect(page.locator("#incident-categories")).to_have_text("Safeguarding: Neglect")
    expect(page.locator("#manage-section")).to_be_visible()

    # An action tagging the teacher (from the staff typeahead), then one tagging nobody.
    tagged_text = "MARKER-R1-TAGGED Please keep an eye on her at lunchtimes this week and tell me anything she says."
    untagged_text = "MARKER-R1-UNTAGGED Spoke to the social worker; a strategy meeting is booked."
    add_action(page, tagged_text, ("Joanna", f"{teacher_name} (Class Teacher)"))
    tagged = action_item(page, tagged_text)
    expect(tagged).to_have_count(1)
    expect(tagged).to_contain_text(teacher_name)
    expect(tagged).to_contain_text(f"Added by {dsl_name}")
    expect(page.locator("#action-tagged-tags")).to_be_hidden()  # the form is ready for the next action
    add_action(page, untagged_text)
    expect(action_item(page, untagged_text)).to_contain_text("No one")

    # Re-categorise: add Behaviour (Defiance), keep Safeguarding, with a reason.
    open_update(page, "recategorise")
    safeguarding_box = page.locator('input[name="recategorise-categories"][value="Safeguarding"]')
    expect(safeguarding_box).to_be_checked()
    page.locator('input[name="recategorise-categories"][value="Behaviour"]').check()
    defiance = page.locator('input[name="recategorise-subcategories-Behaviour"][value="Defiance"]')
    expect(defiance).to_be_visible()
    defiance.check()
    reason = "MARKER-R1-REASON She has also been refusing to follow instructions in class."
    page.locator("#recategorise-reason").fill(reason)
    page.locator("#recategorise-save").click()
    recategorised = page.locator('#incident-history > li[data-kind="recategorised"]')
    expect(recategorised).to_have_count(1, timeout=SERVER_MS)
    expect(recategorised).to_contain_text("Re-categorised as Behaviour (Defiance); Safeguarding (Neglect)")
    expect(recategorised).to_contain_text(f"Reason: {reason}")
    expect(recategorised).to_contain_text(dsl_name)
    expect(page.locator("#incident-original-categories")).to_have_text("Safeguarding: Neglect")
    expect(page.locator("#incident-categories li")).to_have_text(["Behaviour: Defiance", "Safeguarding: Neglect"])
    expect(page.locator("#saved-notice")).to_have_text(
        "Categories changed to Behaviour (Defiance); Safeguarding (Neglect). What was first recorded is kept."
    )
    expect(page.locator('details[data-manage="recategorise"]')).not_to_have_attribute("open", "")
    assert page.locator("#incident-account").text_content() == account  # never overwritten

    # Who has viewed this: the DSL, who opened it.
    viewers = page.locator("#viewers-table")
    expect(viewers).to_be_visible()
    expect(
        viewers.locator("tbody tr").filter(has_text=dsl_name).filter(has_text="viewed the incident")
    ).not_to_have_count(0)

    # The teacher, in a browser of their own, finds the action they are tagged in on their dashboard, with the
    # pupil it is about.
    page = open_page()
    lantern.log_in(page, teacher, reporter.password)
    expect(page).to_have_url(f"{url}/dashboard.html", timeout=SERVER_MS)
    actions = page.locator(f'#actions-list > li[data-incident-id="{incident["id"]}"]')
    expect(actions).to_have_count(1, timeout=SERVER_MS)
    expect(actions).to_contain_text(tagged_text)
    expect(actions).to_contain_text(dsl_name)
    expect(actions).to_contain_text(pupil_label(pupil))
    expect(page.locator("#actions-list")).not_to_contain_text(untagged_text)
    actions.locator(".app-alert__link").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(url + incident['path'])}#action-{ID_PATTERN}$"))
    expect(page.locator("#review")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#incident-reference")).to_have_text(incident["reference"])
    expect(page.locator("#incident-actions > li")).to_have_count(1)
    expect(page.locator("#incident-actions > li .app-action__text")).to_have_text(tagged_text)
    expect(page.locator("#incident-actions > li")).to_be_focused()  # the dashboard's link named the action
    # Whom the action is about, and nothing else of the record.
    expect(page.locator("#incident-pupil")).to_have_text(pupil_label(pupil))
    expect(page.locator("#planner-link")).to_be_hidden()
    expect(page.locator("#actions-guidance")).to_be_visible()
    expect(page.locator("#actions-guidance")).to_have_text("You will only see this action if you are tagged in it.")
    for hidden in ("#account-section", "#history-section", "#manage-section", "#viewers-section"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#incident-history > li")).to_have_count(0)
    content = page.content()
    for secret in (account[:30], "MARKER-R1 ", untagged_text, reason):
        assert html.escape(secret, quote=False) not in content and secret not in content, secret


def test_a_leader_opening_a_safeguarding_link_sees_only_that_they_have_no_access(
    lantern, reporter, open_page, problems
):
    pupil = reporter.pupil(1)
    account = "MARKER-R2 Said an older child at the park asked them for photos."
    incident = reporter.add(pupil, {"Safeguarding": ["Child sexual exploitation"]}, account)
    problems.allow(REFUSED.format(status=403), rf"/api/incidents/{incident['id']}$")

    page = open_page()
    lantern.first_sign_in(page, lantern.emails("leader")[0])
    page.goto(f"{lantern.url}{incident['path']}")
    heading = page.locator("#review-heading")
    expect(heading).to_have_text("You do not have access to this record", timeout=SERVER_MS)
    expect(heading).to_be_focused()
    expect(page.locator("#no-access")).to_be_visible()
    expect(page.locator("#no-access-home")).to_have_attribute("href", "/dashboard.html")
    expect(page).to_have_title(re.compile(r"^You do not have access to this record –"))
    for hidden in ("#review", "#review-loading", "#review-back", "#review-moved"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#incident-reference")).to_have_count(0)
    expect(page.locator("#incident-details > *")).to_have_count(0)
    content = page.content()
    for secret in (pupil["name"], account, "MARKER-R2", incident["reference"], "Child sexual exploitation"):
        assert secret not in content, secret


def test_closing_an_incident_needs_a_decision_and_a_reason(lantern, reporter, open_page, problems):
    incident = reporter.add(reporter.pupil(2), {"Safeguarding": ["Mental health"]}, "MARKER-R3 Very low today.")
    problems.allow(REFUSED.format(status=400), rf"/api/incidents/{incident['id']}/status$")
    dsl_name = lantern.name_of(lantern.emails("dsl")[1])

    page = open_page()
    lantern.first_sign_in(page, lantern.emails("dsl")[1])
    open_review(lantern, page, incident["path"])
    expect(page.locator("#incident-status")).to_have_text("Active")
    # The record comes first: every update form is closed behind its own labelled disclosure.
    expect(page.locator("details[data-manage][open]")).to_have_count(0)
    expect(page.locator("#status-form")).to_be_hidden()
    open_update(page, "status")
    expect(page.locator("#status-status")).to_be_checked()
    expect(page.locator("#status-decision")).to_be_hidden()

    # Closed, with neither the decision nor the reason.
    page.locator("#status-status-2").check()
    expect(page.locator("#status-decision")).to_be_visible()
    page.locator("#status-save").click()
    summary = page.locator("#status-form .app-error-summary")
    expect(summary).to_be_visible(timeout=SERVER_MS)
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(summary.locator('a[href="#status-decision"]')).to_have_text(
        "Enter the outcome decision: what was decided about this incident."
    )
    expect(summary.locator('a[href="#status-reason"]')).to_have_text("Enter the reason for closing the incident.")
    expect(page.locator("#status-decision")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#status-reason")).to_have_attribute("aria-invalid", "true")
    summary.locator('a[href="#status-decision"]').click()
    expect(page.locator("#status-decision")).to_be_focused()
    expect(page.locator("#incident-status")).to_have_text("Active")
    expect(page.locator('#incident-history > li[data-kind="status"]')).to_have_count(0)

    # Filled in: Closed, and the history says why.
    decision = "MARKER-R3-DECISION Early Help referral made; no further action by school."
    reason = "MARKER-R3-REASON Parents engaged and support is in place."
    page.locator("#status-decision").fill(decision)
    page.locator("#status-reason").fill(reason)
    page.locator("#status-save").click()
    expect(page.locator("#incident-status")).to_have_text("Closed", timeout=SERVER_MS)
    expect(page.locator("#incident-status-value")).to_have_text("Closed")
    expect(summary).to_have_count(0)
    expect(page.locator("#saved-notice")).to_have_text(
        "Incident closed. The decision and the reason are in the history."
    )
    closed = page.locator('#incident-history > li[data-kind="status"]')
    expect(closed).to_have_count(1)
    expect(closed.locator(".app-timeline__summary")).to_have_text(f"Status set to Closed: {decision}")
    expect(closed).to_contain_text(f"Reason: {reason}")
    expect(closed).to_contain_text(dsl_name)
    # Closed is read-only until reopened: only "Reopen this incident" is offered, and it asks why.
    expect(page.locator("#closed-notice")).to_be_visible()
    for part in ("action", "recategorise", "concern", "assign", "agencies"):
        expect(page.locator(f'details[data-manage="{part}"]')).to_be_hidden()
    expect(page.locator('details[data-manage="status"] summary')).to_have_text("Reopen this incident")
    open_update(page, "status")
    expect(page.locator("#status-status-2")).to_be_hidden()
    expect(page.locator("#status-reason")).to_have_value("")
    page.get_by_role("button", name="Reopen incident").click()
    expect(summary.locator('a[href="#status-reason"]')).to_have_text("Enter why the incident is being reopened.")
    page.locator("#status-reason").fill("MARKER-R3-REOPEN New information from the family support worker.")
    page.get_by_role("button", name="Reopen incident").click()
    expect(page.locator("#incident-status")).to_have_text("Active", timeout=SERVER_MS)
    expect(page.locator("#saved-notice")).to_have_text("Incident reopened. The reason is in the history.")
    expect(page.locator('#incident-history > li[data-kind="status"]')).to_have_count(2)
    expect(page.locator("#closed-notice")).to_be_hidden()
    expect(page.locator('details[data-manage="action"]')).to_be_visible()


def test_the_head_marks_a_new_alert_as_read_and_it_stays_read(lantern, reporter, open_page):
    incident = reporter.add(reporter.pupil(3), {"Safeguarding": ["Domestic abuse"]}, "MARKER-R4 Shouting at home.")

    page = open_page()
    lantern.first_sign_in(page, lantern.emails("head")[0])
    alert = page.locator(f'#alerts-list > li[data-incident-id="{incident["id"]}"]')
    expect(alert).to_have_count(1, timeout=SERVER_MS)
    expect(alert).to_have_attribute("data-read", "false")
    expect(alert).to_have_class(re.compile(r"\bapp-alert--unread\b"))
    expect(alert.locator(".app-alert__link")).to_have_text(f"Safeguarding — {incident['reference']}")
    expect(alert.locator(".app-alert__link")).to_have_attribute("href", incident["path"])
    expect(alert).to_contain_text("New")
    expect(alert).to_contain_text(lantern.name_of(reporter.email))
    expect(alert).to_contain_text("You are the Head of School: included on every incident")

    alert.locator(".app-alert__mark").click()
    expect(alert).to_have_attribute("data-read", "true", timeout=SERVER_MS)
    expect(alert).not_to_have_class(re.compile(r"\bapp-alert--unread\b"))
    expect(alert.locator(".app-alert__mark")).to_have_count(0)
    expect(alert.locator(".app-alert__new")).to_have_count(0)
    expect(alert.locator(".app-alert__read-note")).to_have_text("Read")
    expect(alert.locator(".app-alert__link")).to_be_focused()
    expect(page.locator("#alerts-status")).to_have_text(f"{incident['reference']} marked as read")

    # Once read it is no longer new: after a reload it is among the read alerts.
    page.reload()
    alert = page.locator(f'#read-list > li[data-incident-id="{incident["id"]}"]')
    expect(alert).to_have_count(1, timeout=SERVER_MS)
    expect(page.locator(f'#alerts-list > li[data-incident-id="{incident["id"]}"]')).to_have_count(0)
    expect(alert).to_have_attribute("data-read", "true")
    expect(alert.locator(".app-alert__mark")).to_have_count(0)
    expect(alert.locator(".app-alert__read-note")).to_have_text("Read")


def test_the_chronology_shows_the_incident_and_its_action_filters_and_prints(lantern, reporter, open_page):
    pupil = reporter.pupil(4)
    concern = reporter.add(pupil, {"Safeguarding": ["Neglect"]}, "MARKER-R5 Came in without a coat again.", "09:30")
    behaviour = reporter.add(pupil, {"Behaviour": ["Disruption"]}, "MARKER-R5 Threw pencils in maths.", "11:00")
    dsl = lantern.emails("dsl")[2]
    dsl_name = lantern.name_of(dsl)

    page = open_page()
    lantern.first_sign_in(page, dsl)
    open_review(lantern, page, concern["path"])
    action_text = "MARKER-R5-ACTION Spare coat given; parents phoned."
    add_action(page, action_text)

    # The pupil's name on the review page is the way to their chronology.
    page.locator("#incident-pupil").get_by_role("link", name=pupil_label(pupil)).click()
    expect(page).to_have_url(f"{lantern.url}/pupil.html?id={pupil['id']}")
    expect(page.locator("#pupil-name")).to_have_text(pupil["name"], timeout=SERVER_MS)
    entries = page.locator("#chronology-list > li")
    expect(page.locator('#chronology-list > li[data-kind="incident"]')).to_have_count(2)
    expect(entries).to_have_count(2)  # one entry per incident; its actions sit inside it
    by_incident = {
        "concern": page.locator(f'#chronology-list > li[data-incident-id="{concern["id"]}"]'),
        "behaviour": page.locator(f'#chronology-list > li[data-incident-id="{behaviour["id"]}"]'),
    }
    expect(by_incident["concern"]).to_have_count(1)
    expect(by_incident["behaviour"]).to_have_count(1)
    action = by_incident["concern"].locator('li[data-kind="action"]')
    expect(action).to_contain_text(f"Action: {action_text}")
    expect(action).to_contain_text(dsl_name)
    expect(by_incident["concern"].first).to_contain_text(f"{concern['reference']} — Safeguarding")
    expect(by_incident["behaviour"]).to_contain_text(f"{behaviour['reference']} — Behaviour")
    # Newest first: the Behaviour incident (11:00) above the Safeguarding one (09:30).
    assert [entries.nth(i).get_attribute("data-incident-id") for i in range(2)][0] == behaviour["id"]

    # Filtered to Behaviour: only Behaviour entries.
    page.locator("#chronology-category").select_option("Behaviour")
    page.locator("#chronology-apply").click()
    expect(entries).to_have_count(1, timeout=SERVER_MS)
    expect(entries.first).to_have_attribute("data-incident-id", behaviour["id"])
    expect(entries.first).to_have_attribute("data-kind", "incident")
    expect(page.locator("#chronology-showing")).to_have_text("Showing Behaviour, all dates.")
    expect(page).to_have_url(f"{lantern.url}/pupil.html?id={pupil['id']}&category=Behaviour")

    # On paper: the header says whose chronology and who printed it; no filters, buttons or header bar.
    page.emulate_media(media="print")
    header = page.locator("#print-header")
    expect(header).to_be_visible()
    expect(page.locator("#print-pupil-name")).to_have_text(pupil["name"])
    expect(page.locator("#print-by")).to_have_text(re.compile(rf"^Printed by {re.escape(dsl_name)} on "))
    expect(page.locator("#print-range")).to_have_text("All dates · Behaviour")
    for hidden in ("#filters-section", "#chronology-category", "#chronology-apply", "#chronology-clear", "#logout"):
        expect(page.locator(hidden)).not_to_be_visible()
    expect(page.locator(".app-header")).not_to_be_visible()
    expect(entries.first).to_be_visible()
    page.emulate_media(media="screen")
    expect(header).not_to_be_visible()
    expect(page.locator("#filters-section")).to_be_visible()
