"""The built site: every script and stylesheet carries a hash of its content in its name, and nothing names an old
one (a browser that cached last week's api.js can never run it beside this week's pages)."""

from __future__ import annotations

import re

import pytest

from tools import build_site
from tools.build_site import fingerprint_assets, fingerprinted_name, load_school, school_file

HASHED = re.compile(r"\.[0-9a-f]{10}\.(js|css)$")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site.build(load_school(school_file("themead")), tmp_path_factory.mktemp("site") / "site")


def test_every_script_and_stylesheet_is_named_by_its_content(site):
    assets = [p for folder in ("js", "css") for p in (site / folder).rglob("*") if p.is_file()]
    assert len(assets) > 30
    for asset in assets:
        relative = asset.relative_to(site).as_posix()
        assert HASHED.search(asset.name), relative
        original = HASHED.sub(r".\1", relative)
        assert fingerprinted_name(original, asset.read_bytes()) == relative, "the name is not the content's hash"
    # Names the browser looks up stay as they are.
    assert (site / "sw.js").is_file() and (site / "manifest.webmanifest").is_file()


def test_pages_and_modules_name_only_built_files(site):
    built = {"/" + p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    for page in site.glob("*.html"):
        for reference in re.findall(r'(?:src|href)="(/(?:js|css)/[^"]+)"', page.read_text()):
            assert reference in built, f"{page.name}: {reference}"
        assert not re.search(r'(?:src|href)="/(?:js|css)/[^"]+(?<![0-9a-f]{10})\.(?:js|css)"', page.read_text())
    for module in (site / "js").rglob("*.js"):
        for specifier in re.findall(r"""from\s*["'](\.{1,2}/[^"']+)["']""", module.read_text()):
            target = (module.parent / specifier).resolve()
            assert target.is_file() and HASHED.search(target.name), f"{module.name}: {specifier}"


def test_a_change_in_a_module_renames_it_and_everything_that_imports_it(tmp_path):
    (tmp_path / "js" / "lib").mkdir(parents=True)
    (tmp_path / "css").mkdir()
    (tmp_path / "js" / "lib" / "api.js").write_text("export const version = 1;\n")
    (tmp_path / "js" / "page.js").write_text('import { version } from "./lib/api.js";\nconsole.log(version);\n')
    (tmp_path / "js" / "other.js").write_text("export const other = 1;\n")
    (tmp_path / "css" / "site.css").write_text("body { margin: 0; }\n")
    (tmp_path / "page.html").write_text('<link href="/css/site.css"><script type="module" src="/js/page.js"></script>')
    first = fingerprint_assets(tmp_path)
    assert set(first) == {"/js/lib/api.js", "/js/page.js", "/js/other.js", "/css/site.css"}
    page_module = (tmp_path / first["/js/page.js"].lstrip("/")).read_text()
    assert f'from "./lib/{first["/js/lib/api.js"].rsplit("/", 1)[1]}"' in page_module
    assert first["/js/page.js"] in (tmp_path / "page.html").read_text()

    # The same sources again, with api.js changed: it and page.js (which imports it) get new names; other.js not.
    for new in first.values():
        (tmp_path / new.lstrip("/")).unlink()
    (tmp_path / "js" / "lib" / "api.js").write_text("export const version = 2;\n")
    (tmp_path / "js" / "page.js").write_text('import { version } from "./lib/api.js";\nconsole.log(version);\n')
    (tmp_path / "js" / "other.js").write_text("export const other = 1;\n")
    (tmp_path / "css" / "site.css").write_text("body { margin: 0; }\n")
    (tmp_path / "page.html").write_text('<link href="/css/site.css"><script type="module" src="/js/page.js"></script>')
    second = fingerprint_assets(tmp_path)
    assert second["/js/lib/api.js"] != first["/js/lib/api.js"]
    assert second["/js/page.js"] != first["/js/page.js"]
    assert second["/js/other.js"] == first["/js/other.js"]
    assert second["/css/site.css"] == first["/css/site.css"]


def test_a_page_naming_a_missing_asset_fails_the_build(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "css").mkdir()
    (tmp_path / "page.html").write_text('<script type="module" src="/js/gone.js"></script>')
    with pytest.raises(FileNotFoundError, match="gone.js"):
        fingerprint_assets(tmp_path)


def test_an_import_cycle_is_named(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "css").mkdir()
    (tmp_path / "js" / "a.js").write_text('import "./b.js";\n')
    (tmp_path / "js" / "b.js").write_text('import "./a.js";\n')
    with pytest.raises(ValueError, match="cycle"):
        fingerprint_assets(tmp_path)
