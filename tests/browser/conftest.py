"""Browser tests: Debian's Chromium, driven by Playwright, against Lantern started as `make run` starts it.

Fixtures:
  browser      (session) one headless Chromium; FAILS (never skips) when /usr/bin/chromium is missing.
  lantern      (module)  one running Lantern (own process, own moto) with helpers for its demo accounts.
  problems     (function) every console error, uncaught page error and CSP violation seen by any page the test
               opened; asserted empty (apart from what the test allowed) when the test ends.
  open_page    (function) a fresh context + page, watched by `problems`; `open_page(width=320)` for phones.
  page         (function) `open_page()` at an iPad's 1024x768.

Helpers on `lantern`: `emails(role)`, `name_of(email)`, `first_sign_in(page, email)` (the whole first-time
flow through the pages: forgot → outbox → set-password → log in) and `log_in(page, email, password)`.

Emails go through the server's outbox and are sent a moment after the change that wrote them: `wait_for` polls
for one as someone refreshing their inbox would, and `link_from_outbox` waits for a link.
"""

from __future__ import annotations

import html
import json
import re
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.helpers import ROOT, local_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TABLET = {"width": 1024, "height": 768}
TIMEOUT_MS = 10_000
EMAIL_WAIT_S = 15  # the outbox's stream handler sends an email within a second or two of the change
GOOD_PASSWORD = "kettle orchard lamplight tuesday"

# The pages ask GET /api/me whether someone is signed in; for nobody, the answer is 401 and Chromium logs every
# 4xx fetch as a console error ("Failed to load resource"). That one is by design, so it is always allowed.
SESSION_PROBE = (r"^Failed to load resource: the server responded with a status of 401", r"/api/me$")


T = TypeVar("T")


def wait_for(find: Callable[[], T], what: str, timeout_s: float = EMAIL_WAIT_S, every_s: float = 0.25) -> T:
    """Call `find` until it returns something truthy, and return that; fail after `timeout_s` naming `what`."""
    deadline = time.monotonic() + timeout_s
    while not (found := find()):
        assert time.monotonic() < deadline, f"{what}: not there after {timeout_s:.0f} s"
        time.sleep(every_s)
    return found


# Any page but the ones a person passes through while logging in (with and without the second step's page).
LEFT_SIGN_IN_PAGES = re.compile(r"^(?!.*/(?:index|forgot-password|set-password)\.html).*$")
SIGNED_IN_PAGES = re.compile(r"^(?!.*/(?:index|forgot-password|set-password|sign-in-code)\.html).*$")

SET_PASSWORD_LINK = re.compile(r'href="(http://127\.0\.0\.1:\d+/set-password\.html#token=[^"]+)"')


def link_from_outbox(url: str, to: str) -> str:
    """The set-password link in the newest such email to `to`, once one has been sent. Other emails to them (an
    alert sent meanwhile) are passed over: the outbox sends each a moment after it was written, in no set order."""
    import requests

    def newest() -> str | None:
        page = requests.get(f"{url}/dev/outbox", timeout=10).text
        for row in re.finditer(r'<tr><td>([^<]*)</td><td><a href="(/dev/outbox/[^"]+)">', page):
            if html.unescape(row.group(1)) == to:
                found = SET_PASSWORD_LINK.search(requests.get(f"{url}{row.group(2)}", timeout=10).text)
                if found:
                    return html.unescape(found.group(1))
        return None

    return wait_for(newest, f"a set-password email to {to}")


class BrowserProblems:
    """Console errors, page errors and CSP violations from every watched page; some may be allowed by a test."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (kind, text, url)
        self.allowed: list[tuple[re.Pattern, re.Pattern]] = []
        self.allow(*SESSION_PROBE)

    def allow(self, text: str, url: str = r"") -> None:
        """Allow problems whose text matches `text` (and whose URL matches `url`), both regular expressions."""
        self.allowed.append((re.compile(text), re.compile(url)))

    def watch(self, context) -> None:
        # CSP violations are also reported as console errors by Chromium; the DOM event catches them whatever the
        # wording. Init scripts and bindings go through the DevTools protocol, so the page's CSP does not stop them.
        context.expose_binding(
            "__lanternCspViolation",
            lambda source, detail: self.seen.append(("csp violation", detail, source["frame"].url)),
        )
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', (e) => window.__lanternCspViolation("
            "`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.disposition})`));"
        )

    def watch_page(self, page) -> None:
        def on_console(message) -> None:
            if message.type == "error":
                self.seen.append(("console error", message.text, message.location.get("url", "")))

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.seen.append(("page error", str(error), page.url)))

    def unexpected(self) -> list[str]:
        return [
            f"{kind}: {text} (at {url})"
            for kind, text, url in self.seen
            if not any(text_re.search(text) and url_re.search(url) for text_re, url_re in self.allowed)
        ]

    def of_kind(self, kind: str) -> list[str]:
        return [text for seen_kind, text, _ in self.seen if seen_kind == kind]

    def assert_none(self) -> None:
        unexpected = self.unexpected()
        assert not unexpected, "the browser reported problems:\n  " + "\n  ".join(unexpected)


def new_watched_page(
    browser,
    problems: BrowserProblems,
    *,
    width: int = TABLET["width"],
    height: int = TABLET["height"],
    **context_options,
):
    # Service workers are blocked unless a test asks for them: page.route() and offline tests must see every request.
    context_options.setdefault("service_workers", "block")
    context_options.setdefault("locale", "en-GB")
    context = browser.new_context(viewport={"width": width, "height": height}, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    problems.watch(context)
    page = context.new_page()
    problems.watch_page(page)
    return page


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Install it with `make browser-deps` "
            "(or run `make test`, which does), or `sudo apt-get install -y chromium`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Lantern:
    """One running Lantern and the demo accounts from its banner."""

    def __init__(self, running: dict) -> None:
        self.url: str = running["url"]
        self.process = running["process"]
        self.log: Path = running["log"]
        self.banner = self.log.read_text()
        school = tomllib.loads((ROOT / "infra" / "schools" / "themead.toml").read_text())
        self.school_name: str = school["name"]
        self.dsl_names: list[str] = list(school["dsl_names"])

    def emails(self, role: str) -> list[str]:
        """Every demo account of `role` from the banner ("  staff   joanna.carter@themead.example.org")."""
        found = re.findall(rf"^  {role} +(\S+@\S+)$", self.banner, re.M)
        assert found, f"no {role} account in the banner:\n{self.banner}"
        return found

    @staticmethod
    def name_of(email: str) -> str:
        from tools.demo import demo_staff

        return next(person["name"] for person in demo_staff("themead") if person["email"] == email)

    def totp_code(self, email: str) -> str:
        """The code the account's authenticator app shows (tests.helpers.totp_code). A code works once, and
        sign-ins in these tests come quicker than one a step: when this step's code has been used, the next one
        (which the server takes, for a slow phone clock) is given, or the one after it once its time comes."""
        from tests.helpers import totp_code

        staff = next(item for item in self.table("staff") if item.get("email") == email)
        used = int(staff.get("totp_last_step", -1))
        while (step := max(now_step := int(time.time() // 30), used + 1)) > now_step + 1:
            time.sleep(0.5)
        return totp_code(email, offset=step - now_step)

    def table(self, name: str) -> list[dict]:
        """Every item of one of the running server's tables, read from its moto (a scan is fine in a test)."""
        import boto3

        state = json.loads((self.log.parent / "state.json").read_text())
        table = boto3.resource(
            "dynamodb",
            endpoint_url=state["endpoint"],
            region_name=state["region"],
            aws_access_key_id="local-only",
            aws_secret_access_key="local-only",
            aws_session_token="local-only",
        ).Table(f"lantern-themead-{name}")
        response = table.scan()
        items = response["Items"]
        while "LastEvaluatedKey" in response:
            response = table.scan(ExclusiveStartKey=response["LastEvaluatedKey"])
            items += response["Items"]
        return items

    def ask_for_link(self, page, email: str) -> str:
        """'Forgotten your password…?' from the log in page, through the form; the link from the outbox."""
        from playwright.sync_api import expect

        page.goto(f"{self.url}/index.html")
        page.get_by_role("link", name="Forgotten your password or using Lantern for the first time?").click()
        # Until the page's script has run, its form would post to the static server: wait for the page to load,
        # as the person does, before using it (a busy server is slow to send the scripts).
        expect(page).to_have_url(f"{self.url}/forgot-password.html")
        page.wait_for_load_state()
        page.get_by_label("Work email address").fill(email)
        page.get_by_role("button", name="Reset Password").click()
        expect(page.locator("#forgot-sent-email")).to_have_text(email)
        return link_from_outbox(self.url, email)

    def set_password(self, page, link: str, password: str) -> None:
        """Open the emailed link and set `password`: the page logs the person straight in and goes on (to the code
        from their phone for the roles that read records, else to where they were going)."""
        from playwright.sync_api import expect

        page.goto(link)
        expect(page.locator("#set-password-form")).to_be_visible()
        page.locator("#password").fill(password)
        page.locator("#confirm-password").fill(password)
        page.get_by_role("button", name="Set password").click()
        page.wait_for_url(LEFT_SIGN_IN_PAGES, timeout=TIMEOUT_MS)

    def second_step(self, page, email: str) -> None:
        """If the page asks for the code from the phone (every role that reads records), give it, as the person
        would from their authenticator app; set the app up first if the account has not yet."""
        from playwright.sync_api import expect

        page.wait_for_url(LEFT_SIGN_IN_PAGES, timeout=TIMEOUT_MS)
        if "/sign-in-code.html" not in page.url:
            return
        step = page.locator("#code-step:not([hidden]), #enrol-step:not([hidden])")
        expect(step).to_have_count(1)
        if step.get_attribute("id") == "code-step":
            page.get_by_label("6-digit code", exact=True).fill(self.totp_code(email))
            page.locator("#code-form").get_by_role("button", name="Continue").click()
        else:
            import pyotp

            secret = page.locator("#enrol-secret").inner_text().replace(" ", "")
            page.locator("#enrol-code").fill(pyotp.TOTP(secret).now())
            page.locator("#enrol-form").get_by_role("button", name="Continue").click()
            expect(page.locator("#recovery-codes > li")).to_have_count(10)
            page.get_by_role("button", name="I have saved these").click()
        page.wait_for_url(SIGNED_IN_PAGES, timeout=TIMEOUT_MS)

    def log_in(self, page, email: str, password: str, *, path: str = "/index.html", code: bool = True) -> None:
        """Fill and send the log in form at `path`, then give the code from the phone if the page asks for it
        (`code=False` leaves that, or a refusal, to the caller); the caller checks where it lands."""
        from playwright.sync_api import expect

        page.goto(f"{self.url}{path}")
        expect(page.locator("#login-form")).to_be_visible()
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        if code:
            self.second_step(page, email)

    def first_sign_in(self, page, email: str, password: str = GOOD_PASSWORD) -> str:
        """The first-time flow for a demo account, all through the pages (forgotten password → email → set a
        password, which logs in → the code from the phone where the role needs one); ends on the dashboard."""
        from playwright.sync_api import expect

        self.set_password(page, self.ask_for_link(page, email), password)
        self.second_step(page, email)
        expect(page).to_have_url(f"{self.url}/dashboard.html")
        expect(page.locator("#signed-in")).to_be_visible()
        return password


@pytest.fixture(scope="module")
def lantern(tmp_path_factory):
    with local_server(tmp_path_factory.mktemp("lantern")) as running:
        yield Lantern(running)


@pytest.fixture
def problems():
    return BrowserProblems()


SCREENSHOTS = ROOT / "build" / "browser-failures"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so its pages can be photographed when it failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def open_page(browser, problems, request):
    """Open a watched page in a fresh context; every context is closed, then the problems checked, at teardown.
    When the test failed, a screenshot of each of its pages is kept in build/browser-failures/ first."""
    pages = []

    def opener(**options):
        page = new_watched_page(browser, problems, **options)
        pages.append(page)
        return page

    yield opener
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    contexts = list(dict.fromkeys(page.context for page in pages))
    # Every page still open in those contexts: the ones opened here and any tab they led to (an emailed link).
    shown = [tab for context in contexts for tab in context.pages] if failed else []
    for number, page in enumerate(shown, start=1):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "-", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{number}.png"), full_page=True)
            print(f"screenshot kept: build/browser-failures/{name}-{number}.png")
        except Exception as error:  # noqa: BLE001 - a page that cannot be photographed must not hide the failure
            print(f"no screenshot of page {number}: {type(error).__name__}")
    for context in contexts:
        context.close()
    problems.assert_none()


@pytest.fixture
def page(open_page):
    return open_page()
