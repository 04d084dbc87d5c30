"""Build the static site for one school: render templates/*.html with its settings, copy site/ beside them, and
write the facts the pages' scripts share with the server (js/roles.js) from the Python that decides them.

python -m tools.build_site --school themead --out build/site
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import jinja2

from chalicelib import __version__
from chalicelib.access import LEADERSHIP_ROLES
from chalicelib.body_map import body_regions
from chalicelib.incidents.changes import DONE_NOTE_MAX
from chalicelib.incidents.form import PLANNER_NOTE_MAX
from chalicelib.settings import SchoolSettings, load_school

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
ASSETS = ROOT / "site"
SCHOOLS = ROOT / "infra" / "schools"
# Lengths the server refuses past, for the pages' character counts: the same numbers, not copies of them.
LIMITS = {"planner_note": PLANNER_NOTE_MAX, "action_done_note": DONE_NOTE_MAX}


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
            school=school, version=__version__, body_regions=body_regions(), limits=LIMITS
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
