"""Body map regions: data the form draws and names marks from, so a mark always names the right side of the pupil.

The front view faces the viewer, so the pupil's left is on the viewer's RIGHT; the back view shows the pupil from
behind, so their left is on the viewer's LEFT (as MoleCare's regions test checks).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = json.loads((ROOT / "chalicelib" / "data" / "body_regions.json").read_text(encoding="utf-8"))
REGIONS = DATA["regions"]
VIEWS = ("front", "back")
_, _, WIDTH, HEIGHT = DATA["viewBox"]
MIDLINE = WIDTH / 2
# Paths use absolute M, L, C and Z only: enough for a simple outline, and simple to check here.
PATH_TOKENS = re.compile(r"[MLCZ]|-?\d+(?:\.\d+)?")


def outline(path: str) -> list[tuple[float, float]]:
    """The path as a polygon: lines as they are, each cubic curve as 16 straight pieces."""
    tokens = PATH_TOKENS.findall(path)
    assert "".join(tokens) == re.sub(r"[\s,]+", "", path), f"{path!r} uses more than absolute M, L, C and Z"
    points: list[tuple[float, float]] = []
    i = 0
    while i < len(tokens):
        command = tokens[i]
        i += 1
        if command in "ML":
            points.append((float(tokens[i]), float(tokens[i + 1])))
            i += 2
        elif command == "C":
            p0 = points[-1]
            p1, p2, p3 = [(float(tokens[i + k]), float(tokens[i + k + 1])) for k in (0, 2, 4)]
            i += 6
            for step in range(1, 17):
                t = step / 16
                weights = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3)
                corners = (p0, p1, p2, p3)
                points.append(tuple(sum(w * c[axis] for w, c in zip(weights, corners, strict=True)) for axis in (0, 1)))
        elif command != "Z":
            raise AssertionError(f"unexpected {command!r} in {path!r}")
    return points


def inside(point: tuple[float, float], polygon: list[tuple[float, float]]) -> bool:
    """Ray casting: is the point inside the polygon?"""
    x, y = point
    result = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


def by_view(view: str) -> list[dict]:
    return [region for region in REGIONS if region["view"] == view]


def test_every_region_has_an_id_view_name_path_and_centre():
    for region in REGIONS:
        assert set(region) == {"id", "view", "name", "path", "centre"}, region
        assert region["view"] in VIEWS
        assert region["id"].startswith(f"{region['view']}-"), region["id"]
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", region["id"]), region["id"]
        assert region["name"] == region["name"].lower().strip() and region["name"], region["id"]
        assert len(region["centre"]) == 2


def test_ids_are_unique_and_names_are_unique_within_a_view():
    ids = [region["id"] for region in REGIONS]
    assert len(ids) == len(set(ids))
    for view in VIEWS:
        names = [region["name"] for region in by_view(view)]
        assert len(names) == len(set(names)), view


def test_both_views_have_the_regions_staff_need():
    wanted = {
        "neck",
        *(
            f"{side} {part}"
            for side in ("left", "right")
            for part in (
                "ear",
                "shoulder",
                "upper arm",
                "elbow",
                "forearm",
                "hand",
                "thigh",
                "knee",
                "lower leg",
                "foot",
            )
        ),
    }
    own_names = {
        "front": {"face", "chest", "abdomen", "groin"},
        "back": {"back of head", "upper back", "lower back", "buttocks"},
    }
    for view, own in own_names.items():
        names = {region["name"] for region in by_view(view)}
        assert wanted | own <= names, sorted(wanted | own - names)
        assert 20 <= len(names) <= 26


def test_front_and_back_share_one_outline():
    assert sorted(r["path"] for r in by_view("front")) == sorted(r["path"] for r in by_view("back"))


@pytest.mark.parametrize("region", REGIONS, ids=lambda region: region["id"])
def test_every_centre_lies_inside_its_own_region_and_no_other(region):
    polygon = outline(region["path"])
    xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
    assert min(xs) >= 0 and max(xs) <= WIDTH and min(ys) >= 0 and max(ys) <= HEIGHT, "outside the viewBox"
    cx, cy = region["centre"]
    assert min(xs) <= cx <= max(xs) and min(ys) <= cy <= max(ys), "centre outside the bounding box"
    # The keyboard route places a mark at the centre: it must land in this region, not a neighbour.
    assert inside(region["centre"], polygon)
    others = [
        other["id"]
        for other in by_view(region["view"])
        if other is not region and inside(region["centre"], outline(other["path"]))
    ]
    assert not others, f"centre also inside {others}"


@pytest.mark.parametrize("view", VIEWS)
def test_the_pupils_left_is_on_the_viewers_right_from_the_front_and_on_the_viewers_left_from_the_back(view):
    sided = [region for region in by_view(view) if region["name"].split()[0] in ("left", "right")]
    assert len(sided) >= 18
    for region in sided:
        cx = region["centre"][0]
        viewer_right = cx > MIDLINE
        pupil_left = region["name"].startswith("left ")
        assert viewer_right == (pupil_left if view == "front" else not pupil_left), region["id"]
        # Every point of the region is on that side too, not just its centre.
        xs = [x for x, _ in outline(region["path"])]
        assert (min(xs) >= MIDLINE) if viewer_right else (max(xs) <= MIDLINE), region["id"]


def test_regions_in_the_middle_straddle_the_midline():
    for region in REGIONS:
        if region["name"].split()[0] not in ("left", "right"):
            assert region["centre"][0] == MIDLINE, region["id"]


def test_the_partial_draws_every_region_with_its_id_view_and_name():
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    html = environment.get_template("_body_map.html").render(body_regions=DATA)
    for region in REGIONS:
        assert f'data-region-id="{region["id"]}"' in html
    drawn = re.findall(r'<path [^>]*data-region-id="([^"]+)"[^>]*data-view="([^"]+)"', html)
    assert sorted(drawn) == sorted((region["id"], region["view"]) for region in REGIONS)
    assert html.count("<title>") >= len(REGIONS)
