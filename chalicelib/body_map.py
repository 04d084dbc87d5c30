"""Body-map regions: data shared by the form's SVG (built from it) and the server's checks.

Region names are from the pupil's point of view ("left forearm"); a mark is named "<region>, <view>".
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "body_regions.json"
VIEWS = ("front", "back")


@cache
def body_regions() -> dict:
    """The parsed regions file: {"viewBox": [x, y, w, h], "regions": [{"id", "view", "name", "path", "centre"}]}."""
    return json.loads(REGIONS_FILE.read_text(encoding="utf-8"))


@cache
def regions_by_id() -> dict[str, dict]:
    return {region["id"]: region for region in body_regions()["regions"]}


def mark_name(region_id: str) -> str:
    region = regions_by_id()[region_id]
    return f"{region['name']}, {region['view']}"
