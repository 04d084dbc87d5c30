"""Build the static site for one school: render templates/*.html with its settings, copy site/ beside them, write
the facts the pages' scripts share with the server (js/roles.js) from the Python that decides them, and put a hash
of each script's and stylesheet's content in its name (js/api.0123456789.js), so a deploy's new code is never
mixed with a browser's cached old code (infra/deploy/site.py caches such names for a year).

python -m tools.build_site --school themead --out build/site
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import re
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


# Folders whose files get the hash in their name. The service worker (/sw.js), the web manifest and the icons it
# names keep theirs: browsers look for them by name.
FINGERPRINTED_FOLDERS = ("js", "css")
# A module's relative import: `from "./api.js"`, `import "./x.js"`, `import("../y.js")`, `export … from "./z.js"`.
MODULE_SPECIFIER = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}/[^"'\s]+?\.js)\2""")
# A page's reference to an asset: src="/js/…" or href="/css/…".
ASSET_REFERENCE = re.compile(r"""((?:src|href)=")(/(?:js|css)/[^"?#]+)(")""")


def fingerprinted_name(path: str, content: bytes) -> str:
    """js/api.js → js/api.<first 10 hex digits of the content's SHA-256>.js

    >>> fingerprinted_name("js/api.js", b"")
    'js/api.e3b0c44298.js'
    """
    stem, suffix = posixpath.splitext(path)
    return f"{stem}.{hashlib.sha256(content).hexdigest()[:10]}{suffix}"


def fingerprint_assets(out: Path) -> dict[str, str]:
    """Rename every script and stylesheet in `out` to its fingerprinted name, rewriting the imports between
    scripts first (so a script's hash covers its imports' new names: a change in api.js renames every module
    that imports it, and the pages that load those), then every page's references. Returns {old: new} as
    site paths ("/js/api.js": "/js/api.0123456789.js")."""
    renamed: dict[str, str] = {}
    visiting: set[str] = set()

    def rename(path: str) -> str:
        if path in renamed:
            return renamed[path]
        if path in visiting:
            raise ValueError(f"{path} imports itself through other modules: break the cycle")
        visiting.add(path)
        file = out / path
        if not file.is_file():
            raise FileNotFoundError(f"{path} is imported but not built")
        content = file.read_bytes()
        if path.endswith(".js"):

            def point_at_new_name(match: re.Match) -> str:
                specifier = match[3]
                target = rename(posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier)))
                return f"{match[1]}{match[2]}{posixpath.dirname(specifier)}/{posixpath.basename(target)}{match[2]}"

            content = MODULE_SPECIFIER.sub(point_at_new_name, content.decode("utf-8")).encode("utf-8")
        new_path = fingerprinted_name(path, content)
        (out / new_path).write_bytes(content)
        file.unlink()
        visiting.discard(path)
        renamed[path] = new_path
        return new_path

    for folder in FINGERPRINTED_FOLDERS:
        for file in sorted((out / folder).rglob("*")):
            if file.is_file() and file.suffix in (".js", ".css"):
                rename(file.relative_to(out).as_posix())
    names = {f"/{old}": f"/{new}" for old, new in renamed.items()}

    def point_page_at_new_name(match: re.Match) -> str:
        if match[2] not in names:
            raise FileNotFoundError(f"a page names {match[2]}, which is not built")
        return f"{match[1]}{names[match[2]]}{match[3]}"

    for page in out.glob("*.html"):
        page.write_text(ASSET_REFERENCE.sub(point_page_at_new_name, page.read_text(encoding="utf-8")), encoding="utf-8")
    return names


def built_name(site: Path, path: str) -> str:
    """The site path an asset was built under: built_name(site, "css/lantern.css") → "/css/lantern.0123456789.css"."""
    stem, suffix = posixpath.splitext(path)
    pattern = re.compile(rf"{re.escape(stem)}\.[0-9a-f]{{10}}{re.escape(suffix)}")
    found = [file for file in site.glob(f"{stem}.*{suffix}") if pattern.fullmatch(file.relative_to(site).as_posix())]
    if len(found) != 1:
        raise FileNotFoundError(f"{path} is not built in {site} (found {len(found)})")
    return "/" + found[0].relative_to(site).as_posix()


def build(school: SchoolSettings, out: Path) -> Path:
    """Write the whole site for `school` into `out` (replacing what was there)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ASSETS, out)
    for name, html in render_pages(school).items():
        (out / name).write_text(html, encoding="utf-8")
    (out / "js" / "roles.js").write_text(roles_module(), encoding="utf-8")
    fingerprint_assets(out)
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
