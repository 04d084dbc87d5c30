"""What a member of staff does, counted: shared by the browser tests and bench/pages.py.

An action is one thing a person does: a tap or click, typing into one box, choosing from a drop-down. Scrolling and
reading are not counted (they are not steps the form asks for).
"""

from __future__ import annotations

from playwright.sync_api import expect

# The bar: pupil, category, sub-category, location, account and Add Incident, from the dashboard.
MAX_MINIMAL_CONCERN_ACTIONS = 7


class CountedUser:
    """Drives a page as a person does, counting each action."""

    def __init__(self, page) -> None:
        self.page = page
        self.actions: list[str] = []

    def tap(self, locator, what: str) -> None:
        locator.click()
        self.actions.append(f"tap {what}")

    def tick(self, locator, what: str) -> None:
        locator.check()
        self.actions.append(f"tick {what}")

    def type(self, locator, text: str, what: str) -> None:
        locator.fill(text)
        self.actions.append(f"type {what}")

    def choose(self, locator, value: str, what: str) -> None:
        locator.select_option(value)
        self.actions.append(f"choose {what}")

    def summary(self) -> str:
        return " → ".join(self.actions)


def matches(typed: str, name: str) -> bool:
    """The typeahead's rule: every word typed starts a word of the name (case aside)."""
    words = name.lower().split()
    return all(any(word.startswith(part) for word in words) for part in typed.lower().split())


def uniquely_named_pupil(roster_names: list[str]) -> str:
    """A pupil's full name that, typed in full, matches no other pupil (the first such, sorted, for a stable test)."""
    return next(name for name in sorted(set(roster_names)) if sum(matches(name, other) for other in roster_names) == 1)


def minimal_concern(page, url: str, pupil_name: str, account: str) -> CountedUser:
    """From the dashboard: a minimal Safeguarding concern, as few actions as the form needs. Returns the counter."""
    user = CountedUser(page)
    page.goto(f"{url}/dashboard.html")
    expect(page.locator("#signed-in")).to_be_visible()
    user.tap(page.get_by_role("link", name="Add Incident"), "Add Incident on the dashboard")
    expect(page.locator("#incident-form[data-ready]")).to_have_count(1)
    expect(page.locator("#assign-to-options input").first).to_be_attached()  # the roster has arrived

    # The name only one pupil has: moving on to the next question chooses them.
    user.type(page.locator("#pupil"), pupil_name, "the pupil's name")
    expect(page.locator("#pupil-listbox [role=option]")).to_have_count(1)
    user.tick(page.locator('input[name="categories"][value="Safeguarding"]'), "Safeguarding")
    expect(page.locator("#pupil-status")).to_contain_text("chosen")
    user.tick(page.locator('input[name="subcategories-Safeguarding"][value="Neglect"]'), "Neglect")
    # Day, Session (or "Outside session times") and Date/time are filled in from now.
    user.choose(page.locator("#location"), "Playground", "the location")
    user.type(page.locator("#account"), account, "the account")
    user.tap(page.locator("#add-incident"), "Add Incident")
    expect(page.locator("#receipt")).to_be_visible(timeout=10_000)
    return user
