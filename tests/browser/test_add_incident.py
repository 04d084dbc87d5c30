"""Add Incident, in Chromium: a teacher on a school iPad reports a safeguarding concern exactly as the school
guidance ("Reporting a concern or incident") walks staff through it, then what goes wrong on a real day: a
double tap, a dropped connection, a form sent half done, a child walking up to the screen, a page reloaded by
accident and a phone-sized screen.

What was stored is read straight from the server's local AWS (moto), whose address the server writes to its
state file; the emails come from its /dev/outbox page."""

from __future__ import annotations

import html
import re
import struct
import zlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS, wait_for

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
ACCOUNT_LIMIT = 10_000
INCIDENTS = r"/api/incidents$"
SERVER_MS = TIMEOUT_MS  # waits on the server (a request, an upload, a page load) get the full 10 s on a busy machine
SAFEGUARDING_TITLES = {"Designated Safeguarding Lead", "Deputy Designated Safeguarding Lead"}


# ---- What the server stored and sent ----


class Storage:
    """The running server's tables, read through its moto endpoint (a scan is fine for a test)."""

    def __init__(self, lantern) -> None:
        self.scan = lantern.table  # every item of one table of the running server
        self.seeded = {incident["incident_id"] for incident in self.scan("incidents")}

    def staff_id(self, email: str) -> str:
        return next(member["staff_id"] for member in self.scan("staff") if member["email"] == email)

    def incidents_by(self, email: str) -> list[dict]:
        """Incidents `email` added in these tests (the demo school's seeded term of incidents left out)."""
        reporter = self.staff_id(email)
        return [
            incident
            for incident in self.scan("incidents")
            if incident["reporter_id"] == reporter and incident["incident_id"] not in self.seeded
        ]


@pytest.fixture(scope="module")
def storage(lantern):
    return Storage(lantern)


def outbox(url: str) -> list[tuple[str, str, str]]:
    """(to, subject, path) of every email sent, newest first."""
    page = requests.get(f"{url}/dev/outbox", timeout=10).text
    return [
        (html.unescape(to), html.unescape(subject), path)
        for to, path, subject in re.findall(r'<tr><td>([^<]*)</td><td><a href="(/dev/outbox/[^"]+)">([^<]*)</a>', page)
    ]


def email_text(url: str, path: str) -> str:
    return html.unescape(requests.get(f"{url}{path}", timeout=10).text)


# ---- The demo school ----


def demo_pupils() -> dict[str, dict]:
    """The roster as the form labels it ("Name (Year group, Class)"), with each pupil's id and name."""
    from tools.demo import demo_pupils as pupils

    found = {}
    for pupil in pupils("themead"):
        name = f"{pupil['preferred_name'] or pupil['first_name']} {pupil['last_name']}"
        found[f"{name} ({pupil['year_group']}, {pupil['class_name']})"] = {"id": pupil["pupil_id"], "name": name}
    return found


def staff_label(email: str) -> str:
    """ "Name (Title)", as the Alert and Assign to lists show a member of staff."""
    from tools.demo import demo_staff

    member = next(person for person in demo_staff("themead") if person["email"] == email)
    return f"{member['name']} ({member['title']})"


def school_settings():
    from tools.build_site import load_school, school_file

    return load_school(school_file("themead"))


def session_at(clock: str) -> str:
    """The session the form derives from a "HH:MM" time: start inclusive, end exclusive; out of school hours the form
    chooses "Outside session times" (a concern at home, at the weekend or after school)."""
    from chalicelib.incidents.form import OUTSIDE_SESSIONS

    return next((s.name for s in school_settings().sessions if s.start <= clock < s.end), OUTSIDE_SESSIONS)


def tiny_png(path):
    """A real 2x2 PNG (the server checks the magic bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xcc\x33\x33" * 2 for _ in range(2))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


# ---- Driving the form ----


def open_form(lantern, page, email: str) -> None:
    """Sign in as `email` (the first-time flow) and open Add Incident with the roster loaded."""
    lantern.first_sign_in(page, email)
    page.goto(f"{lantern.url}/add-incident.html")
    expect(page.locator("#add-incident")).to_be_enabled(timeout=SERVER_MS)
    expect(page.locator("#assign-to")).to_be_attached(timeout=SERVER_MS)  # the Assign to boxes come from the roster


def watch_incident_posts(page) -> list:
    posts = []
    page.on("request", lambda request: posts.append(request) if re.search(INCIDENTS, request.url) else None)
    return posts


def choose_from_list(page, combobox: str, typed: str, label: str) -> None:
    """Type into a combobox and tap the option with exactly this label."""
    page.locator(f"#{combobox}").press_sequentially(typed)
    page.locator(f"#{combobox}-listbox").get_by_role("option", name=label, exact=True).click()


def make_sure_of_session(page) -> None:
    """Outside the school's sessions the form leaves Session to the person (and the server requires one)."""
    if not page.locator("#session").input_value():
        page.locator("#session").select_option("After school")


def category_panel(page, category: str):
    """What ticking a category reveals: its sub-categories (the first box has the id subcategories-<Category>)."""
    return page.locator(f'.app-conditional[data-category="{category}"]')


def fill_minimal_behaviour_incident(page, pupil_label: str, account: str) -> None:
    first_name = pupil_label.split()[0]
    choose_from_list(page, "pupil", first_name, pupil_label)
    expect(page.locator("#pupil")).to_have_value(pupil_label)
    page.locator('input[name="categories"][value="Behaviour"]').check()
    category_panel(page, "Behaviour").get_by_label("Disruption", exact=True).check()
    make_sure_of_session(page)
    page.locator("#location").select_option("Classroom")
    page.locator("#account").fill(account)


def count_text(remaining: int) -> str:
    return f"You have {remaining:,} character{'' if remaining == 1 else 's'} remaining"


# ---- The tests ----


def test_a_teacher_on_an_ipad_records_a_safeguarding_concern(lantern, storage, open_page, tmp_path):
    url = lantern.url
    teacher = lantern.emails("staff")[0]
    colleague = lantern.emails("staff")[7]
    dsl = lantern.emails("dsl")[0]
    head = lantern.emails("head")[0]
    dsls = lantern.emails("dsl")
    roster = demo_pupils()
    linked_labels = [label for label in roster if label.startswith(("Chloe Tran ", "Daisy Wong "))]
    assert len(linked_labels) == 2

    page = open_page(has_touch=True)  # an iPad: 1024x768 with a touch screen
    open_form(lantern, page, teacher)
    posts = watch_incident_posts(page)

    # Student: the first letters of a first name, then the arrow keys and Enter.
    pupil = page.locator("#pupil")
    pupil.click()
    pupil.press_sequentially("Meg")
    options = page.locator("#pupil-listbox [role=option]")
    expect(page.locator("#pupil-listbox")).to_be_visible()
    expect(pupil).to_have_attribute("aria-expanded", "true")
    expect(options.first).to_have_text(re.compile(r"^Meg"))
    subject_label = options.first.inner_text()
    pupil.press("ArrowDown")
    expect(pupil).to_have_attribute("aria-activedescendant", "pupil-option-0")
    expect(options.first).to_have_attribute("aria-selected", "true")
    pupil.press("Enter")
    expect(pupil).to_have_value(subject_label)
    expect(page.locator("#pupil-listbox")).to_be_hidden()
    expect(page.locator("#pupil-status")).to_have_text(f"{subject_label} chosen")
    subject = roster[subject_label]
    pupil.press("Enter")  # once more, with the list closed
    expect(page.locator("#incident-form")).to_be_visible()
    expect(page.locator(".app-error-summary")).to_have_count(0)
    assert page.url == f"{url}/add-incident.html"

    # Categories: Safeguarding reveals its sub-categories and ticks the DSL team under Assign to.
    safeguarding_panel = category_panel(page, "Safeguarding")
    expect(safeguarding_panel).to_be_hidden()
    page.locator('input[name="categories"][value="Safeguarding"]').check()
    expect(safeguarding_panel).to_be_visible()
    expect(category_panel(page, "Behaviour")).to_be_hidden()
    safeguarding_panel.get_by_label("Neglect", exact=True).check()
    safeguarding_panel.get_by_label("Self-harm", exact=True).check()
    assign_boxes = page.locator('input[name="assign-to"]')
    expect(assign_boxes).to_have_count(6)  # the head, three DSLs and two leaders
    for box in assign_boxes.all():
        if box.get_attribute("data-title") in SAFEGUARDING_TITLES:
            expect(box).to_be_checked()
        else:
            expect(box).not_to_be_checked()

    # Date/time left as Lantern shows it; Day and Session are filled in from it.
    date, clock = page.locator("#date").input_value(), page.locator("#time").input_value()
    now = datetime.now(LONDON)
    assert date in {now.date().isoformat(), (now - timedelta(minutes=5)).date().isoformat()}
    shown = datetime.fromisoformat(f"{date}T{clock}").replace(tzinfo=LONDON)
    assert timedelta(0) <= now - shown < timedelta(minutes=3), (date, clock, now)
    expect(page.locator("#day")).to_have_value(shown.strftime("%A"))
    expect(page.locator("#session")).to_have_value(session_at(clock))
    page.locator("#time").press("Enter")  # the guidance's warning: Enter after the time must not add it
    page.locator("#date").press("Enter")
    make_sure_of_session(page)
    session = page.locator("#session").input_value()

    page.locator("#location").select_option("Playground")

    # The account, with its character count.
    account = (
        "MARKER-7Q At 10:15 in the playground the pupil showed me a bruise on their left forearm and said an "
        "adult at home had grabbed them. Another mark on the back of the right shoulder. I reassured them and "
        "told the DSL straight away."
    )
    count = page.locator(".app-character-count__status")
    expect(count).to_have_text(count_text(ACCOUNT_LIMIT))
    page.locator("#account").fill(account)
    expect(count).to_have_text(count_text(ACCOUNT_LIMIT - len(account)))
    page.locator("#account").press_sequentially("!")
    expect(count).to_have_text(count_text(ACCOUNT_LIMIT - len(account) - 1))
    account += "!"

    # Body map: one mark by tapping the outline, one by View and Region from the keyboard, with a note.
    body_map = page.locator("#body-map")
    expect(page.locator("#body-map-panel")).to_be_hidden()
    body_map.click()
    expect(page.locator("#body-map-panel")).to_be_visible()
    expect(body_map).to_have_attribute("aria-expanded", "true")
    page.locator('[data-region-id="front-left-forearm"]').tap()
    marks = page.locator("#body-map-marks > li")
    expect(marks).to_have_count(1)
    expect(marks.nth(0).locator(".app-body-map__mark-name")).to_have_text("1 left forearm, front")
    expect(page.locator("#body-map-status")).to_have_text("Mark 1 added: left forearm, front")
    expect(page.locator(".app-body-map__dot")).to_have_count(1)

    page.locator("#body-map-view").focus()
    page.locator("#body-map-view").select_option("back")
    expect(page.locator('g.app-body-map__view[data-view="back"]')).to_be_visible()
    expect(page.locator('g.app-body-map__view[data-view="front"]')).to_be_hidden()
    page.locator("#body-map-region").select_option("back-right-shoulder")
    page.locator("#body-map-add").focus()
    page.keyboard.press("Enter")
    expect(marks).to_have_count(2)
    expect(marks.nth(1).locator(".app-body-map__mark-name")).to_have_text("2 right shoulder, back")
    note = page.locator("#body-mark-note-2")
    expect(note).to_be_focused()  # from the keyboard, straight on to the note
    note.press_sequentially("Yellowing bruise, about 3 cm")
    note.press("Enter")
    expect(body_map).to_contain_text("(2 marks)")

    # Linked Student/s: two more children, by typeahead.
    linked = page.locator("#linked-pupils")
    for label in linked_labels:
        choose_from_list(page, "linked-pupils", label.split(" (")[0], label)
        expect(linked).to_have_value("")
    linked.press("Enter")
    expect(page.locator("#linked-pupils-tags .app-tags__text")).to_have_text(linked_labels)

    # A photo, through the file input: it goes straight to the bucket with its progress shown.
    photo = tiny_png(tmp_path / "forearm.png")
    page.locator("#files").set_input_files(photo)
    upload = page.locator("#files-list > li")
    expect(upload).to_have_count(1)
    expect(upload.locator(".app-uploads__name")).to_contain_text("forearm.png")
    expect(upload.locator(".app-uploads__state")).to_have_text("Uploaded", timeout=SERVER_MS)
    expect(upload.locator("progress")).to_have_js_property("value", 100)
    expect(page.locator("#files-status")).to_have_text("forearm.png uploaded")

    # Alert a colleague; the Head of School is on every report without being chosen.
    colleague_label, head_label = staff_label(colleague), staff_label(head)
    fixed = page.locator("#alert-tags .app-tags__item--fixed")
    expect(fixed).to_have_count(1)
    expect(fixed).to_contain_text(head_label)
    expect(fixed).to_contain_text("included automatically")
    expect(fixed.get_by_role("button")).to_have_count(0)
    choose_from_list(page, "alert", lantern.name_of(colleague).split()[0], colleague_label)
    page.locator("#alert").press("Enter")
    expect(page.locator("#alert-tags .app-tags__text")).to_have_text([head_label, colleague_label])

    # Nothing was sent by any of those Enters.
    expect(page.locator("#incident-form")).to_be_visible()
    page.wait_for_timeout(300)
    assert posts == [], "Enter in a field sent the incident"

    # Add Incident, once: the receipt, with who was told.
    page.locator("#add-incident").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#incident-form")).to_have_count(0)
    expect(receipt.get_by_role("heading", name="Incident added")).to_be_focused()
    reference = receipt.locator('[data-receipt="reference"]')
    expect(reference).to_have_text(re.compile(r"^LAN-[0-9A-F]{8}$"))
    alerted = receipt.locator('[data-receipt="alerted"]').inner_text().split(", ")
    assigned = receipt.locator('[data-receipt="assigned"]').inner_text().split(", ")
    assert sorted(alerted) == sorted([lantern.name_of(colleague), lantern.name_of(head)])
    assert sorted(assigned) == sorted(lantern.name_of(email) for email in dsls)
    expect(receipt).to_contain_text("you will not be able to access it again")
    expect(page).to_have_title(re.compile(r"^Incident added"))
    assert len(posts) == 1

    # Stored once, whole.
    stored = storage.incidents_by(teacher)
    assert len(stored) == 1
    incident = stored[0]
    assert incident["reference"] == reference.inner_text()
    assert incident["pupil_id"] == subject["id"]
    assert incident["linked_pupil_ids"] == [roster[label]["id"] for label in linked_labels]
    assert incident["categories"] == ["Safeguarding"]
    assert incident["subcategories"] == {"Safeguarding": ["Neglect", "Self-harm"]}
    assert (incident["day"], incident["session"], incident["location"]) == (shown.strftime("%A"), session, "Playground")
    assert incident["account"] == account
    assert incident["status"] == "Active"
    marks_stored = incident["body_marks"]
    assert [(m["view"], m["region"], m["note"]) for m in marks_stored] == [
        ("front", "front-left-forearm", ""),
        ("back", "back-right-shoulder", "Yellowing bruise, about 3 cm"),
    ]
    assert 144 <= marks_stored[0]["x"] <= 168 and 190 <= marks_stored[0]["y"] <= 232  # where the finger landed
    assert (marks_stored[1]["x"], marks_stored[1]["y"]) == (141, 116)  # the region's centre
    assert [(f["name"], f["content_type"], f["size"]) for f in incident["files"]] == [
        ("forearm.png", "image/png", photo.stat().st_size)
    ]
    assert sorted(incident["assigned_ids"]) == sorted(storage.staff_id(email) for email in dsls)
    assert incident["alerted_ids"] == [storage.staff_id(colleague), storage.staff_id(head)]

    chronology = [entry for entry in storage.scan("chronology") if entry["incident_id"] == incident["incident_id"]]
    assert sorted((entry["pupil_id"], entry["involvement"]) for entry in chronology) == sorted(
        [(subject["id"], "subject")] + [(roster[label]["id"], "linked") for label in linked_labels]
    )
    alerts = [alert for alert in storage.scan("alerts") if alert["incident_id"] == incident["incident_id"]]
    assert len(alerts) == 5 and storage.staff_id(teacher) not in {alert["staff_id"] for alert in alerts}

    # The emails: a link to the incident, and nothing about the child or what happened.
    def all_sent():
        sent = outbox(url)
        alerted = {to for to, subject_line, _ in sent if "Safeguarding" in subject_line}
        return sent if {dsl, head, colleague} <= alerted else None

    sent = wait_for(all_sent, "the alert emails")
    for email in (dsl, head, colleague):
        about = [path for to, subject_line, path in sent if to == email and "Safeguarding" in subject_line]
        assert len(about) == 1, (email, sent)
        text = email_text(url, about[0])
        assert f"/incident.html?id={incident['incident_id']}" in text
        assert incident["reference"] in text
        for secret in (subject["name"], subject_label, account[:40], "MARKER-7Q", "forearm"):
            assert secret not in text, secret
    assert not [subject_line for to, subject_line, _ in sent if to == teacher and "concern" in subject_line]


def test_a_double_tap_on_add_incident_adds_it_once(lantern, storage, page):
    teacher = lantern.emails("staff")[1]
    open_form(lantern, page, teacher)
    posts = watch_incident_posts(page)
    fill_minimal_behaviour_incident(page, "Flo Morris (Year 2, Ash)", "Threw a chair in the lesson.")

    page.locator("#add-incident").dblclick()
    expect(page.locator("#receipt")).to_be_visible(timeout=SERVER_MS)
    page.wait_for_timeout(500)  # time for a second request, if one was going to be sent
    assert len(storage.incidents_by(teacher)) == 1
    assert len(posts) == 1  # the page itself stopped the second tap (the server's idempotency is the backstop)

    # Two clicks in the same moment, as a shaky finger on a touch screen gives.
    page.locator("#add-another").click()
    expect(page.locator("#add-incident")).to_be_enabled(timeout=SERVER_MS)
    expect(page.locator("#assign-to")).to_be_attached(timeout=SERVER_MS)
    fill_minimal_behaviour_incident(page, "Ava Price (Year 2, Ash)", "Pushed past another child on the stairs.")
    page.locator("#add-incident").evaluate("(button) => { button.click(); button.click(); }")
    expect(page.locator("#receipt")).to_be_visible(timeout=SERVER_MS)
    page.wait_for_timeout(500)
    assert len(storage.incidents_by(teacher)) == 2
    assert len(posts) == 2


def test_a_dropped_connection_keeps_the_incident_and_try_again_adds_it_once(lantern, storage, page, problems):
    teacher = lantern.emails("staff")[2]
    problems.allow(r"net::ERR_FAILED", INCIDENTS)
    open_form(lantern, page, teacher)
    posts = watch_incident_posts(page)
    account = "Said they had not eaten since yesterday lunchtime."
    fill_minimal_behaviour_incident(page, "Lily Turner (Year 2, Ash)", account)

    page.route("**/api/incidents", lambda route: route.abort())
    page.locator("#add-incident").click()
    notice = page.locator("#send-notice")
    expect(notice).to_be_visible(timeout=SERVER_MS)
    expect(notice).to_be_focused()
    expect(notice).to_contain_text("Your incident has not been sent yet")
    expect(notice).to_contain_text("Nothing you typed has been lost")
    expect(page.locator("#send-retry")).to_have_text("Try again")
    expect(page.locator("#add-incident")).to_be_enabled()
    # Everything typed is still there.
    expect(page.locator("#pupil")).to_have_value("Lily Turner (Year 2, Ash)")
    expect(page.locator('input[name="categories"][value="Behaviour"]')).to_be_checked()
    expect(category_panel(page, "Behaviour").get_by_label("Disruption", exact=True)).to_be_checked()
    expect(page.locator("#location")).to_have_value("Classroom")
    expect(page.locator("#account")).to_have_value(account)
    assert storage.incidents_by(teacher) == []

    page.unroute("**/api/incidents")
    page.locator("#send-retry").click()
    expect(page.locator("#receipt")).to_be_visible(timeout=SERVER_MS)
    stored = storage.incidents_by(teacher)
    assert len(stored) == 1 and stored[0]["account"] == account
    assert len(posts) == 2
    keys = [request.post_data_json["idempotency_key"] for request in posts]
    assert keys[0] == keys[1] and keys[0]
    assert posts[0].post_data_json == posts[1].post_data_json  # the very same incident, sent again


def test_a_form_sent_half_done_says_what_is_missing_and_stores_nothing(lantern, storage, page, problems):
    teacher = lantern.emails("staff")[3]
    problems.allow(r"status of 400", INCIDENTS)
    open_form(lantern, page, teacher)

    page.locator("#add-incident").click()
    summary = page.locator(".app-error-summary")
    expect(summary).to_be_visible(timeout=SERVER_MS)
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links.first).to_have_attribute("href", "#pupil")  # in the order the form asks
    hrefs = [link.get_attribute("href") for link in links.all()]
    assert {"#pupil", "#categories", "#location", "#account"} <= set(hrefs), hrefs
    expect(page.locator("#pupil-error")).to_contain_text("Choose the student from the list")
    expect(page.locator("#pupil")).to_have_attribute("aria-invalid", "true")
    links.first.click()
    expect(page.locator("#pupil")).to_be_focused()
    assert page.url == f"{lantern.url}/add-incident.html"
    assert storage.incidents_by(teacher) == []

    # Everything else right, but a time still to come: refused on the time (by the page, in the server's words).
    fill_minimal_behaviour_incident(page, "Chloe Tran (Year 2, Ash)", "Refused to come in from the playground.")
    future = datetime.now(LONDON) + timedelta(hours=2)
    page.locator("#date").fill(future.date().isoformat())
    page.locator("#time").fill(future.strftime("%H:%M"))
    make_sure_of_session(page)
    page.locator("#add-incident").click()
    expect(page.locator("#time-error")).to_contain_text("cannot be in the future", timeout=SERVER_MS)
    # Date and time are one fieldset: the message is in it, and the fieldset is described by it.
    when = page.locator("fieldset.app-fieldset").filter(has=page.locator("#time"))
    expect(when.locator("#time-error")).to_be_visible()
    expect(when).to_have_attribute("aria-describedby", re.compile(r"(^| )time-error( |$)"))
    expect(page.locator("#pupil-error")).to_have_count(0)
    time_link = summary.get_by_role("link", name=re.compile("cannot be in the future"))
    expect(time_link).to_have_attribute("href", "#time")
    time_link.click()
    expect(page.locator("#time")).to_be_focused()
    assert storage.incidents_by(teacher) == []


def test_blank_screen_hides_everything_and_brings_it_back(lantern, page):
    open_form(lantern, page, lantern.emails("staff")[4])
    page.locator("#account").fill("Disclosed something upsetting at break.")

    page.locator("#blank-screen").click()
    overlay = page.locator("#blank-screen-overlay")
    expect(overlay).to_be_visible()
    expect(page.locator("#blank-screen-return")).to_be_focused()
    # Whatever point of the screen is looked at (or tapped), it is the blank screen.
    for x, y in [(5, 5), (512, 384), (1019, 763), (980, 30)]:
        assert page.evaluate(
            "([x, y]) => document.getElementById('blank-screen-overlay').contains(document.elementFromPoint(x, y))",
            [x, y],
        ), (x, y)
    account_box = page.locator("#account").bounding_box()
    assert page.evaluate(
        "([x, y]) => document.getElementById('blank-screen-overlay').contains(document.elementFromPoint(x, y))",
        [account_box["x"] + 5, max(5, min(763, account_box["y"] + 5))],
    )
    assert page.evaluate("document.getElementById('incident-form').closest('[inert]') !== null")
    # The hidden page is out of reach of the keyboard too: Tab finds nothing in it.
    for _ in range(3):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const el = document.activeElement;"
            " return el === document.body || document.getElementById('blank-screen-overlay').contains(el)"
            " ? null : el.id || el.outerHTML.slice(0, 80); })()"
        )
        assert focused is None, f"Tab reached {focused} behind the blank screen"

    page.locator("#blank-screen-return").click()
    expect(overlay).to_be_hidden()
    expect(page.locator("#blank-screen")).to_be_focused()
    expect(page.locator("#account")).to_have_value("Disclosed something upsetting at break.")
    assert page.evaluate("document.getElementById('incident-form').closest('[inert]') === null")


def test_a_reloaded_page_offers_the_unsent_incident_back(lantern, page):
    open_form(lantern, page, lantern.emails("staff")[5])
    choose_from_list(page, "pupil", "Daisy", "Daisy Wong (Year 2, Ash)")
    account = "Arrived late and very quiet; would not say why."
    page.locator("#account").fill(account)
    page.wait_for_timeout(500)  # the draft is saved a moment after typing stops

    page.reload()
    expect(page.locator("#add-incident")).to_be_enabled(timeout=SERVER_MS)
    notice = page.locator("#draft-notice")
    expect(notice).to_be_visible(timeout=SERVER_MS)
    expect(notice).to_contain_text("You have an unsent incident")
    expect(page.locator("#account")).to_have_value("")
    page.locator("#draft-restore").click()
    expect(notice).to_be_hidden()
    expect(page.locator("#account")).to_have_value(account)
    expect(page.locator("#pupil")).to_have_value("Daisy Wong (Year 2, Ash)")
    expect(page.locator("#pupil")).to_be_focused()
    expect(page.locator(".app-character-count__status")).to_have_text(count_text(ACCOUNT_LIMIT - len(account)))


def test_on_a_phone_the_form_never_scrolls_sideways(lantern, open_page):
    page = open_page(width=320, height=640)
    open_form(lantern, page, lantern.emails("staff")[6])
    page.locator('input[name="categories"][value="Safeguarding"]').check()
    page.locator('input[name="categories"][value="Behaviour"]').check()
    page.locator("#body-map").click()
    page.locator('[data-region-id="front-left-forearm"]').click()
    choose_from_list(page, "alert", "Rebecca", "Rebecca Hill (Sports Coach)")
    choose_from_list(page, "linked-pupils", "Benjamin", "Benjamin Robinson (Year 2, Ash)")
    page.locator("#planner").check()
    expect(page.locator("#planner-date")).to_be_visible()
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], widths
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
              .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
              .filter((el) => el.getClientRects().length && !el.closest('.app-visually-hidden'))
              .map((el) => el.id || el.className || el.tagName).slice(0, 10)"""
    )
    assert wide == [], wide


# ---- Once bugs: Assign to defaults a leader may not read; a draft that outlived logging out ----


def test_behaviour_and_safeguarding_together_can_be_added_as_lantern_ticks_them(lantern, page, problems):
    problems.allow(r"status of 400", INCIDENTS)
    open_form(lantern, page, lantern.emails("staff")[7])
    fill_minimal_behaviour_incident(
        page, "Megan Mitchell (Year 2, Ash)", "Hit another child; said they are hit at home."
    )
    page.locator('input[name="categories"][value="Safeguarding"]').check()
    category_panel(page, "Safeguarding").get_by_label("Physical abuse", exact=True).check()

    page.locator("#add-incident").click()  # Assign to left exactly as Lantern ticked it
    expect(page.locator("#receipt, .app-error-summary")).to_be_visible(timeout=SERVER_MS)
    summary = page.locator(".app-error-summary")
    assert page.locator("#receipt").count() == 1, summary.inner_text() if summary.count() else ""


def test_logging_out_leaves_no_unsent_incident_in_the_tab(lantern, page):
    open_form(lantern, page, lantern.emails("leader")[1])
    page.locator("#account").fill("A concern that must not stay on a shared iPad.")
    page.wait_for_timeout(500)  # the draft is saved a moment after typing stops
    assert page.evaluate("Object.keys(sessionStorage).some((key) => key.startsWith('lantern:'))")

    page.locator("#logout").click()
    expect(page).to_have_url(f"{lantern.url}/index.html")
    expect(page.locator("#login-form")).to_be_visible()
    left = page.evaluate("Object.keys(sessionStorage).filter((key) => key.startsWith('lantern:'))")
    assert left == [], f"still in this tab after logging out: {left}"
