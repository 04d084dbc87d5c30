"""`make audit`: Lighthouse (npm, pinned) on every page, signed out and signed in as a teacher, in Debian's Chromium.

    CHROME_PATH=/usr/bin/chromium python -m tools.audit --lighthouse .node/lighthouse/node_modules/.bin/lighthouse

Prints each page's accessibility and best-practices scores and fails unless accessibility is 100 and best
practices at least 95 on every page. Performance is left out: with this Chromium its trace-based audits fail.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.pages import PAGES

ACCESSIBILITY_MIN = 1.0
BEST_PRACTICES_MIN = 0.95
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"


def lighthouse(binary: str, url: str, cookie: str, out: Path) -> dict:
    headers = out.with_suffix(".headers.json")
    headers.write_text(json.dumps({"Cookie": cookie} if cookie else {}))
    command = [
        binary, url, "--quiet", "--output=json", f"--output-path={out}", f"--chrome-flags={CHROME_FLAGS}",
        "--only-categories=accessibility,best-practices", f"--extra-headers={headers}", "--disable-storage-reset",
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=180)  # noqa: S603 (our pinned lighthouse, our local URL)
    report = json.loads(out.read_text())
    failing = [
        audit_id
        for category in ("accessibility", "best-practices")
        for ref in report["categories"][category]["auditRefs"]
        if ref["weight"] and (audit_id := ref["id"]) and report["audits"][audit_id]["score"] not in (1, None)
    ]
    return {
        "accessibility": report["categories"]["accessibility"]["score"],
        "best-practices": report["categories"]["best-practices"]["score"],
        "failing": failing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lighthouse", required=True, help="the lighthouse command (npm, pinned by the Makefile)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, BrowserProblems, Lantern, new_watched_page
    from tests.helpers import local_server

    worst = True
    with tempfile.TemporaryDirectory() as folder, local_server(Path(folder)) as running:
        lantern = Lantern(running)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = new_watched_page(browser, BrowserProblems())
            lantern.first_sign_in(page, lantern.emails("staff")[0])
            cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
            browser.close()
        print(f"{'page':<24}{'accessibility':>15}{'best practices':>16}  failing audits")
        for index, (path, signed_in) in enumerate(PAGES):
            scores = lighthouse(
                args.lighthouse, f"{lantern.url}{path}", cookie if signed_in else "", Path(folder) / f"{index}.json"
            )
            ok = scores["accessibility"] >= ACCESSIBILITY_MIN and scores["best-practices"] >= BEST_PRACTICES_MIN
            worst = worst and ok
            failing = ", ".join(scores["failing"])
            a11y, practices = scores["accessibility"] * 100, scores["best-practices"] * 100
            print(f"{path:<24}{a11y:>15.0f}{practices:>16.0f}  {failing}")
    print("All pages pass." if worst else "Some pages are below accessibility 100 or best practices 95.")
    return 0 if worst else 1


if __name__ == "__main__":
    sys.exit(main())
