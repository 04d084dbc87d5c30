"""Every page's weight over the wire and the steps of a minimal concern, in Chromium against `make run`'s server.

    python bench/pages.py

1. Actions for a minimal Safeguarding concern from the dashboard (tests/browser/journeys.py; target <= 7).
2. Per page, as Chromium loads it (a teacher signed in): bytes over the wire gzip-compressed (each response's
   body compressed, as CloudFront and API Gateway send it), the number of requests and of third-party requests.
   Targets: add-incident's files <= 60 KB and its roster (GET /api/roster) <= 40 KB at a 2,000-pupil school
   (scaled from the demo school's roster, per pupil), other pages <= 100 KB, 0 third-party requests.
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    ("/index.html", False),
    ("/forgot-password.html", False),
    ("/set-password.html", False),
    ("/help.html", False),
    ("/offline.html", False),
    ("/sign-in-code.html", False),
    ("/dashboard.html", True),
    ("/add-incident.html", True),
    ("/planner.html", True),
    ("/incident.html", True),
    ("/pupils.html", True),
    ("/pupil.html", True),
    ("/reports.html", True),
    ("/staff.html", True),
    ("/admin.html", True),
    ("/passkeys.html", True),
]
SCHOOL_PUPILS = 2000


def weigh(page, url: str, path: str) -> dict:
    from playwright.sync_api import Error as PlaywrightError

    responses = []

    def keep(response) -> None:
        responses.append(response)

    page.on("response", keep)
    page.goto(f"{url}{path}")
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", keep)
    weights = {"files": 0, "roster": 0, "api": 0, "requests": len(responses), "third_party": 0}
    for response in responses:
        if not response.url.startswith(url):
            weights["third_party"] += 1
            continue
        try:
            body = response.body()
        except PlaywrightError:  # a redirect or an aborted request has no body
            body = b""
        size = len(gzip.compress(body, 6)) if body else 0
        key = "roster" if "/api/roster" in response.url else "api" if "/api/" in response.url else "files"
        weights[key] += size
    return weights


def verdict_of(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, BrowserProblems, Lantern, new_watched_page
    from tests.browser.journeys import MAX_MINIMAL_CONCERN_ACTIONS, minimal_concern, uniquely_named_pupil
    from tests.browser.test_staff_friendly import roster_names
    from tests.helpers import local_server
    from tools.demo import demo_pupils

    with tempfile.TemporaryDirectory() as folder, local_server(Path(folder)) as running, sync_playwright() as pw:
        lantern = Lantern(running)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        problems = BrowserProblems()
        page = new_watched_page(browser, problems, width=1366, height=768)
        lantern.first_sign_in(page, lantern.emails("staff")[0])
        state = page.context.storage_state()
        page.context.close()

        page = new_watched_page(browser, problems, width=1366, height=768, storage_state=state)
        user = minimal_concern(page, lantern.url, uniquely_named_pupil(roster_names()), "No coat again today.")
        verdict = verdict_of(len(user.actions) <= MAX_MINIMAL_CONCERN_ACTIONS)
        print(f"Minimal concern: {len(user.actions)} actions (target <= {MAX_MINIMAL_CONCERN_ACTIONS}: {verdict})")
        print(f"  {user.summary()}")
        page.context.close()

        pupils = len(demo_pupils("themead"))
        print(f"\n{'page':<24}{'files KB':>10}{'API KB':>9}{'requests':>10}{'3rd party':>11}")
        for path, signed_in in PAGES:
            page = new_watched_page(
                browser, problems, width=1366, height=768, storage_state=state if signed_in else None
            )
            w = weigh(page, lantern.url, path)
            page.context.close()
            api = w["api"] + w["roster"]
            print(f"{path:<24}{w['files'] / 1024:>10.1f}{api / 1024:>9.1f}{w['requests']:>10}{w['third_party']:>11}")
            if path == "/add-incident.html":
                roster = w["roster"] * SCHOOL_PUPILS / pupils
                add_incident = (w["files"], roster)
        files, roster = add_incident
        print(f"\nadd-incident: files {files / 1024:.1f} KB (target <= 60: {verdict_of(files <= 60 * 1024)})")
        print(
            f"add-incident: roster {roster / 1024:.1f} KB at {SCHOOL_PUPILS:,} pupils (from {pupils}; "
            f"target <= 40: {verdict_of(roster <= 40 * 1024)})"
        )
        browser.close()


if __name__ == "__main__":
    main()
