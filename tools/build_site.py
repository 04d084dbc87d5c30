"""Build the static site for one school: render templates/*.html with its settings, copy site/ beside them.

python -m tools.build_site --school themead --out build/site
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import jinja2

from chalicelib import __version__
from chalicelib.body_map import body_regions
from chalicelib.settings import SchoolSettings, load_school

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
ASSETS = ROOT / "site"
SCHOOLS = ROOT / "infra" / "schools"


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
            school=school, version=__version__, body_regions=body_regions()
        )
        for page in sorted(TEMPLATES.glob("*.html"))
        if not page.name.startswith("_")
    }


def build(school: SchoolSettings, out: Path) -> Path:
    """Write the whole site for `school` into `out` (replacing what was there)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ASSETS, out)
    for name, html in render_pages(school).items():
        (out / name).write_text(html, encoding="utf-8")
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
