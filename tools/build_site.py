"""Build the static site for one school: render templates/*.html with its settings, copy site/ beside them, and
write the facts the pages' scripts share with the server (js/roles.js) from the Python that decides them.

python -m tools.build_site --school themead --out build/site
"""

from __future__ import annotations

import argparse
import json
import shutil
from html import escape
from pathlib import Path

import jinja2

from chalicelib import __version__
from chalicelib.access import LEADERSHIP_ROLES
from chalicelib.body_map import body_regions
from chalicelib.incidents import form as incident_form
from chalicelib.incidents.changes import DONE_NOTE_MAX
from chalicelib.settings import ROLE_LABELS, SchoolSettings, load_school

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
ASSETS = ROOT / "site"
SCHOOLS = ROOT / "infra" / "schools"
# Lengths and counts the server refuses past, for the pages' own checks: the same numbers, not copies of them.
LIMITS = {
    "planner_note": incident_form.PLANNER_NOTE_MAX,
    "action_done_note": DONE_NOTE_MAX,
    "account": incident_form.ACCOUNT_MAX,
    "text_answer": incident_form.TEXT_ANSWER_MAX,
    "mark_note": incident_form.MARK_NOTE_MAX,
    "linked": incident_form.MAX_LINKED,
    "alerted": incident_form.MAX_ALERTED,
    "assigned": incident_form.MAX_ASSIGNED,
    "marks": incident_form.MAX_MARKS,
    "files": incident_form.MAX_FILES,
    "future_minutes": int(incident_form.FUTURE_TOLERANCE.total_seconds() // 60),
}
# The Session choice for a time outside every session of the day (the server accepts it as a session).
OUTSIDE_SESSIONS = incident_form.OUTSIDE_SESSIONS


def quality_prompts(school: SchoolSettings) -> bool:
    """Whether the form suggests record-quality checks (settings `quality_prompts`, on unless a school turns it off)."""
    return school.quality_prompts


def address_qr_svg(url: str) -> str:
    """The school's Lantern address as a QR code (inline SVG) for the home-screen help page, made at build time."""
    import segno

    svg = segno.make(url, error="m").svg_inline(scale=5, dark="#0b0c0c", light="#ffffff", omitsize=True)
    label = escape(f"QR code of {url}", quote=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" class="app-qr__code" ', 1).replace(
        ' class="segno"', "", 1
    )


def school_file(slug: str) -> Path:
    return SCHOOLS / f"{slug}.toml"


def render_pages(school: SchoolSettings) -> dict[str, str]:
    """Every page (templates not starting with `_`), rendered: {file name: html}."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return {
        page.name: environment.get_template(page.name).render(
            school=school,
            version=__version__,
            body_regions=body_regions(),
            limits=LIMITS,
            outside_sessions=OUTSIDE_SESSIONS,
            quality_prompts=quality_prompts(school),
            address_qr=address_qr_svg(school.url),
            role_labels=ROLE_LABELS,
        )
        for page in sorted(TEMPLATES.glob("*.html"))
        if not page.name.startswith("_")
    }


def roles_module() -> str:
    """js/roles.js: the role facts the pages need, as the server decides them (never a hand-written copy).

    >>> 'export const LEADERSHIP_ROLES = Object.freeze(["leader", "dsl", "head"]);' in roles_module()
    True
    """
    return (
        "// Written by tools/build_site.py from chalicelib/access.py at build time: change it there, not here.\n"
        "\n"
        "/** Roles that read chronologies and find pupils, and may be assigned incidents. */\n"
        f"export const LEADERSHIP_ROLES = Object.freeze({json.dumps(list(LEADERSHIP_ROLES))});\n"
    )


def build(school: SchoolSettings, out: Path) -> Path:
    """Write the whole site for `school` into `out` (replacing what was there)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ASSETS, out)
    for name, html in render_pages(school).items():
        (out / name).write_text(html, encoding="utf-8")
    (out / "js" / "roles.js").write_text(roles_module(), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", default="themead", help="the school's slug (a file in infra/schools/)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args()
    out = build(load_school(school_file(args.school)), args.out)
    print(f"Built the site for {args.school} in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
