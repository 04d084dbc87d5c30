"""Issue 12: each role's journey in Debian's Chromium at the sizes staff use (iPad portrait and landscape, Chromebook),
as that person does it, checking what they see: a teacher adds a concern; a DSL who has never signed in follows the
alert email's link, sets a password on the way and lands on that incident, acts on it; a leader finds a pupil and
reads their chronology; an administrator imports the roster (a broken file, then a good one). axe-core checks every
page on the way (0 violations), and the controls that matter are on screen and not covered.

The sizes run one after another (a module-scoped size), each role once per size. Every account's first sign-in
happens once, through the pages, at the size it first appears at; later sizes log in again, far enough apart that
each needs its own code from the authenticator app. Each size has a DSL of its own: the first-time journey from the
email's link is the DSL's journey at every size."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GOOD_PASSWORD, TIMEOUT_MS, link_from_outbox
from tests.browser.journeys import MAX_MINIMAL_CONCERN_ACTIONS, matches, minimal_concern
from tests.browser.test_accessibility import AXE, assert_accessible
from tests.browser.test_review import Reporter, alert_link, pupil_label
from tests.browser.test_staff_friendly import CHROMEBOOK, IPAD_LANDSCAPE, IPAD_PORTRAIT, roster_names
from tests.helpers import ROOT

pytestmark = pytest.mark.browser

DATA = ROOT / "tests" / "data"
# What waits on the server (a busy one, on a loaded machine) waits as long as a page load may; an import of a few
# rows takes two or three requests.
SERVER_MS = TIMEOUT_MS
IMPORT_MS = 2 * TIMEOUT_MS


class Size(NamedTuple):
    index: int
    name: str
    viewport: dict
    touch: bool


SIZES = [
    Size(0, "iPad portrait", IPAD_PORTRAIT, True),
    Size(1, "iPad landscape", IPAD_LANDSCAPE, True),
    Size(2, "Chromebook", CHROMEBOOK, False),
]
# The middle of the control is the control (or inside it): nothing (a sticky bar, a dialog) lies over it.
UNCOVERED = """(node) => {
  const box = node.getBoundingClientRect();
  return node.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2));
}"""
# Each problem of tests/data/pupils_bad.csv, by its line, as the page lists them.
BAD_FILE_LINES = ["Line 3: UPN:", "Line 5: UPN:", "Line 6: Legal Forename:", "Line 7: DOB:", "Line 8: Year:",
                  "Line 8: SEN Status:", "Line 8: Pupil Premium:", "Line 9: DOB:"]  # fmt: skip
BEHAVIOUR_ACCOUNT = "MARKER-J-BEHAVIOUR Threw a chair in the classroom when asked to start writing."
SAFEGUARDING_ACCOUNT = "MARKER-J-SAFEGUARDING Said there was no food at home at the weekend."


@pytest.fixture(scope="module", params=SIZES, ids=["ipad-portrait", "ipad-landscape", "chromebook"])
def size(request) -> Size:
    return request.param


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: install axe-core with `make axe` (make test does).", pytrace=False)
    return AXE.read_text()


@pytest.fixture
def open_at(open_page, axe_script, size):
    """A fresh browser at this size (touch on an iPad), axe-core in each of its pages and tabs; watched for problems
    and photographed on failure by conftest's `open_page`."""

    def opener(**options):
        page = open_page(**size.viewport, has_touch=size.touch, **options)
        page.context.add_init_script(script=axe_script)
        return page

    return opener


@pytest.fixture(scope="module")
def passwords_set() -> set[str]:
    """The accounts that have been through their first sign-in in this module."""
    return set()


def sign_in(lantern, page, email: str, passwords_set: set[str]) -> None:
    """From the log in page at this size to the dashboard: the first time, through "Forgotten your password or
    using Lantern for the first time?" and the emailed link; after that, the password (and the code from the phone
    for the roles that read records)."""
    if email in passwords_set:
        lantern.log_in(page, email, GOOD_PASSWORD)
    else:
        lantern.first_sign_in(page, email, GOOD_PASSWORD)
        passwords_set.add(email)
    expect(page).to_have_url(f"{lantern.url}/dashboard.html")
    expect(page.locator("#user-name")).to_have_text(lantern.name_of(email), timeout=SERVER_MS)


def assert_reachable(locator) -> None:
    """Scrolled to, as a person scrolls to it, the control is wholly on screen and nothing covers it."""
    locator.scroll_into_view_if_needed()
    expect(locator).to_be_in_viewport(ratio=1)
    assert locator.evaluate(UNCOVERED), f"{locator} is covered by something else on the page"


def assert_accessible_at(page, where: str, size: Size) -> None:
    assert_accessible(page, f"{where} ({size.name}, {size.viewport['width']}x{size.viewport['height']})")


def dashboard_loaded(page) -> None:
    """The dashboard as its reader sees it once their alerts have arrived."""
    expect(page.locator("#signed-in")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#alerts-section")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#alerts-loading")).to_be_hidden(timeout=SERVER_MS)


def pupil_for(size: Size) -> str:
    """A pupil whose full name, typed, matches no one else: a different one at each size."""
    names = roster_names()
    unique = [name for name in sorted(set(names)) if sum(matches(name, other) for other in names) == 1]
    return unique[size.index]


# ---- The teacher and the DSL ----


def test_a_teacher_adds_a_concern_and_a_dsl_reviews_it_from_the_alert_email(
    lantern, open_at, size, passwords_set, problems
):
    url = lantern.url
    teacher = lantern.emails("staff")[3]
    dsl = lantern.emails("dsl")[size.index]  # never signed in before
    dsl_team = [lantern.name_of(email) for email in lantern.emails("dsl")]

    # The teacher logs in on the school's device and adds a minimal Safeguarding concern from the dashboard.
    page = open_at()
    sign_in(lantern, page, teacher, passwords_set)
    dashboard_loaded(page)
    expect(page.get_by_role("link", name="Add Incident")).to_be_in_viewport()
    assert_accessible_at(page, "the teacher's dashboard", size)
    pupil = pupil_for(size)
    account = f"MARKER-J-{size.index} Came in hungry again and had no coat; said there was no tea last night."
    user = minimal_concern(page, url, pupil, account)
    assert len(user.actions) <= MAX_MINIMAL_CONCERN_ACTIONS, f"{len(user.actions)} actions: {user.summary()}"
    # The receipt replaces the form on the same screen: the reference, who was alerted and assigned.
    receipt = page.locator("#receipt")
    expect(receipt.get_by_role("heading", name="Incident added")).to_be_in_viewport()
    reference = receipt.locator('[data-receipt="reference"]')
    expect(reference).to_have_text(re.compile(r"\S"))
    expect(reference).to_be_in_viewport()
    reference = reference.inner_text()
    for name in dsl_team:
        expect(receipt.locator('[data-receipt="assigned"]')).to_contain_text(name)
    assert_accessible_at(page, "the receipt", size)

    # The DSL, signed out, opens the link in their alert email: the log in page, which keeps where it leads.
    link = alert_link(lantern, dsl, reference)
    path = link.removeprefix(url)
    page = open_at()
    page.goto(link)
    expect(page).to_have_url(f"{url}/index.html?next={quote(path, safe='')}", timeout=SERVER_MS)
    expect(page.locator("#login-form[data-ready]")).to_be_visible(timeout=SERVER_MS)
    first_time = page.get_by_role("link", name="Forgotten your password or using Lantern for the first time?")
    assert_reachable(first_time)
    assert_accessible_at(page, "the log in page from an alert's link", size)

    # First time in Lantern: a password link by email...
    first_time.click()
    expect(page).to_have_url(f"{url}/forgot-password.html?next={quote(path, safe='')}", timeout=SERVER_MS)
    expect(page.locator("#forgot-form[data-ready]")).to_be_visible(timeout=SERVER_MS)
    assert_accessible_at(page, "forgotten password", size)
    page.get_by_label("Work email address").fill(dsl)
    page.get_by_role("button", name="Reset Password").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_focused(timeout=SERVER_MS)
    expect(page.get_by_role("heading", name="Check your email")).to_be_in_viewport()
    expect(page.locator("#forgot-sent-email")).to_have_text(dsl)

    # ...which opens in a new tab: a password (the page logs them in), the code from their phone, and the incident.
    tab = page.context.new_page()
    problems.watch_page(tab)
    tab.goto(link_from_outbox(url, dsl))
    expect(tab.locator("#set-password-form[data-ready]")).to_be_visible(timeout=SERVER_MS)
    assert_accessible_at(tab, "set a password", size)
    tab.locator("#password").fill(GOOD_PASSWORD)
    tab.locator("#confirm-password").fill(GOOD_PASSWORD)
    expect(tab.locator("#password-strength")).to_have_text("Strong")
    assert_reachable(tab.get_by_role("button", name="Set password"))
    tab.get_by_role("button", name="Set password").click()
    lantern.second_step(tab, dsl)
    passwords_set.add(dsl)
    expect(tab).to_have_url(link, timeout=SERVER_MS)

    # The record, on the first screen: which incident, whose, and what the teacher wrote.
    expect(tab.locator("#review")).to_be_visible(timeout=SERVER_MS)
    expect(tab.locator("#incident-reference")).to_have_text(reference)
    expect(tab.locator("#review-heading")).to_be_in_viewport()
    expect(tab.locator("#incident-status")).to_have_text("Active")
    expect(tab.locator("#incident-details")).to_be_in_viewport()
    expect(tab.locator("#incident-pupil")).to_contain_text(pupil)
    expect(tab.locator("#incident-categories")).to_have_text("Safeguarding: Neglect")
    expect(tab.locator("#incident-account")).to_have_text(account)
    added = tab.locator("#incident-history > li").first
    expect(added).to_contain_text("Added as Safeguarding, status Active")
    expect(added).to_contain_text(lantern.name_of(teacher))
    # The way to act on it, and to print it, are on that first screen too.
    update = tab.locator("#go-to-manage")
    expect(update).to_have_text("Update this incident")
    for control in (update, tab.get_by_role("button", name="Print")):
        expect(control).to_be_in_viewport(ratio=1)
        assert control.evaluate(UNCOVERED), f"{control} is covered"
    assert_accessible_at(tab, "the review page", size)

    # The DSL acts: "Update this incident", then "Add an action", saved where they can see it was.
    update.click()
    expect(tab.locator("#manage-heading")).to_be_in_viewport()
    add_action = tab.locator('details[data-manage="action"] > summary')
    assert_reachable(add_action)
    add_action.click()
    action = f"MARKER-J-{size.index}-ACTION Spoke to her; breakfast club from tomorrow, and a call home today."
    tab.locator("#action-text").fill(action)
    save = tab.locator("#action-save")
    assert_reachable(save)
    save.click()
    notice = tab.locator("#saved-notice")
    expect(notice).to_have_text("Action added.", timeout=SERVER_MS)
    expect(notice).to_be_in_viewport()
    added_action = tab.locator("#incident-actions > li")
    expect(added_action).to_have_count(1)
    expect(added_action).to_contain_text(action)
    expect(added_action).to_contain_text(f"Added by {lantern.name_of(dsl)}")
    assert_accessible_at(tab, "the review page after an action was added", size)


# ---- The leader ----


@pytest.fixture(scope="module")
def leaders_pupil(lantern, browser):
    """A pupil with a Behaviour incident (a leader reads it) and a Safeguarding one (a leader never sees it), added
    by a colleague through the API as the form sends them."""
    from tests.browser.conftest import BrowserProblems, new_watched_page

    problems = BrowserProblems()
    page = new_watched_page(browser, problems)
    colleague = Reporter(lantern, page, lantern.emails("staff")[4])
    pupil = colleague.pupil(11)
    behaviour = colleague.add(pupil, {"Behaviour": ["Disruption"]}, BEHAVIOUR_ACCOUNT, "13:40")
    safeguarding = colleague.add(pupil, {"Safeguarding": ["Neglect"]}, SAFEGUARDING_ACCOUNT, "09:05")
    page.context.close()
    problems.assert_none()
    return pupil, behaviour, safeguarding, lantern.name_of(colleague.email)


def test_a_leader_finds_a_pupil_and_reads_their_chronology(lantern, open_at, size, passwords_set, leaders_pupil):
    url = lantern.url
    pupil, behaviour, safeguarding, colleague = leaders_pupil
    leader = lantern.emails("leader")[size.index % 2]  # two leaders: the first logs in again at the third size

    page = open_at()
    sign_in(lantern, page, leader, passwords_set)
    dashboard_loaded(page)
    find = page.get_by_role("link", name="Find a pupil")
    expect(find).to_be_in_viewport(ratio=1)
    assert_accessible_at(page, "the leader's dashboard", size)

    # Find a pupil: their name typed, chosen from the list (once the roster has arrived, as the person waits for it).
    with page.expect_response(re.compile(r"/api/roster$")):
        find.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a pupil")
    search = page.get_by_label("Pupil’s name")
    search.fill(pupil["name"])
    option = page.get_by_role("listbox", name="Pupils").get_by_role("option", name=pupil_label(pupil), exact=True)
    assert_reachable(option)
    assert_accessible_at(page, "find a pupil with the list open", size)
    option.click()

    # The chronology: the Behaviour incident as recorded, no trace of the Safeguarding one, and it says why.
    expect(page).to_have_url(f"{url}/pupil.html?id={pupil['id']}", timeout=SERVER_MS)
    expect(page.locator("#pupil-name")).to_have_text(pupil["name"], timeout=SERVER_MS)
    expect(page.locator("#pupil-heading")).to_be_in_viewport()
    expect(page.locator("#chronology-scope")).to_have_text(
        "This chronology shows only the categories you have access to: Behaviour, Bullying and Prejudicial."
    )
    entry = page.locator(f'#chronology-list > li[data-incident-id="{behaviour["id"]}"]')
    expect(entry).to_have_count(1)
    expect(entry.locator(".app-chronology__title")).to_have_text(f"{behaviour['reference']} — Behaviour")
    expect(entry).to_contain_text("Behaviour (Disruption)")
    expect(entry).to_contain_text(colleague)  # recorded by
    expect(entry.locator(".app-chronology__account")).to_have_text(BEHAVIOUR_ACCOUNT)
    expect(page.locator(f'#chronology-list > li[data-incident-id="{safeguarding["id"]}"]')).to_have_count(0)
    main = page.locator("main").inner_text()
    for secret in ("Safeguarding", SAFEGUARDING_ACCOUNT, safeguarding["reference"]):
        assert secret not in main, secret
    assert_reachable(page.get_by_role("button", name="Print"))
    assert_reachable(page.get_by_role("button", name="Download PDF"))
    assert_accessible_at(page, "the chronology", size)

    # On paper: whose chronology and who printed it, the entry, and none of the screen's controls.
    page.emulate_media(media="print")
    expect(page.locator("#print-header")).to_be_visible()
    expect(page.locator("#print-pupil-name")).to_have_text(pupil["name"])
    expect(page.locator("#print-by")).to_have_text(re.compile(rf"^Printed by {re.escape(lantern.name_of(leader))} on "))
    expect(entry).to_be_visible()
    for hidden in ("#filters-section", "#chronology-print", ".app-header"):
        expect(page.locator(hidden)).not_to_be_visible()
    page.emulate_media(media="screen")


# ---- The administrator ----


def new_pupils_csv(folder: Path, size: Size) -> tuple[Path, list[str]]:
    """A SIMS export of three pupils not yet on roll (new UPNs at each size), and their UPNs."""
    from tools.demo import upn_check_letter

    lines = (DATA / "pupils_sims.csv").read_text().splitlines()
    upns, rows = [], [lines[0]]
    for number, (first, last) in enumerate([("Wren", "Hollowmere"), ("Otto", "Pennywhistle"), ("Nell", "Quarrendon")]):
        digits = f"86520993{size.index}{number:03d}"
        upns.append(upn_check_letter(digits) + digits)
        rows.append(f"{upns[-1]},{last},{first},,17/05/2018,3,Beech,N,N,N,N,N,F")
    path = folder / f"pupils-{size.index}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path, upns


def pupils_by_upn(lantern) -> dict[str, dict]:
    return {item["upn"]: item for item in lantern.table("pupils") if "upn" in item}


def test_an_administrator_imports_the_roster_and_a_broken_file_imports_nothing(
    lantern, open_at, size, passwords_set, problems, tmp_path
):
    problems.allow(r"status of 400", r"/api/admin/roster$")  # the broken file, refused with its problems
    admin = lantern.emails("admin")[0]  # one administrator: logs in again at each later size

    page = open_at()
    sign_in(lantern, page, admin, passwords_set)
    expect(page.locator("#signed-in")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#alerts-section")).to_be_hidden()  # an administrator receives no alerts
    roster = page.get_by_role("link", name="Import the roster")
    expect(roster).to_be_in_viewport(ratio=1)
    assert_accessible_at(page, "the administrator's dashboard", size)
    roster.click()
    expect(page).to_have_url(f"{lantern.url}/admin.html", timeout=SERVER_MS)
    expect(page.locator("#logout")).to_be_visible(timeout=SERVER_MS)  # the page's script has run
    expect(page.get_by_role("heading", level=1)).to_have_text("Import the roster")
    expect(page.get_by_label("Pupils")).to_be_checked()
    file_input = page.get_by_label("CSV file")
    import_button = page.locator("#roster-form").get_by_role("button", name="Import", exact=True)
    result = page.locator("#roster-result")

    # A broken export: every problem by its line, and nothing imported (not even its good lines).
    before = pupils_by_upn(lantern)
    file_input.set_input_files(DATA / "pupils_bad.csv")
    assert_reachable(import_button)
    import_button.click()
    summary = page.locator("#roster-form .app-error-summary")
    expect(summary).to_be_focused(timeout=SERVER_MS)
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        "Nothing was imported: the file has problems, listed below it by line."
    )
    expect(page.locator("#csv-error")).to_contain_text("Nothing was imported")
    problem_list = page.get_by_role("list", name="Problems in the file")
    expect(problem_list.get_by_role("listitem")).to_have_text(
        [re.compile(f"^{re.escape(line)} ") for line in BAD_FILE_LINES]
    )
    expect(result).to_be_hidden()
    assert pupils_by_upn(lantern) == before
    assert_accessible_at(page, "the roster import with the file's problems", size)

    # A good one: a job written step by step, then how many were added.
    if size.index == 0:
        good = DATA / "pupils_sims.csv"
        upns = re.findall(r"^([A-Z]\d{12}),", good.read_text(), re.M)
    else:
        good, upns = new_pupils_csv(tmp_path, size)
    file_input.set_input_files(good)
    import_button.click()
    added = len(upns)
    expect(page.locator("#roster-summary")).to_have_text(
        f"Pupils: {added} rows — {added} added, 0 updated, 0 unchanged, 0 left, 0 back on roll.", timeout=IMPORT_MS
    )
    # The outcome appears below the form, past the first screen of a Chromebook or a landscape iPad: the page
    # brings it on screen, whole, and puts the focus on it (the Import button was busy meanwhile).
    expect(result).to_be_in_viewport(ratio=1)
    expect(result.get_by_role("heading", name="Imported")).to_be_focused()
    expect(summary).to_have_count(0)
    expect(problem_list).to_be_hidden()
    expect(page.locator("#roster-progress")).to_be_hidden()
    after = pupils_by_upn(lantern)
    assert {upn: after.get(upn, {}).get("roll") for upn in upns} == dict.fromkeys(upns, "on")
    assert len(after) == len(before) + len(upns)
    assert_accessible_at(page, "the roster import done", size)
