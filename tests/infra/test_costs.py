"""The cost model: the table in docs/deploying.md is what infra/costs.py computes, and it behaves sensibly."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import costs

ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_table_is_the_model():
    assert costs.table() in (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")


def test_cost_grows_with_the_school_and_the_key_is_a_fixed_floor():
    totals = [sum(costs.monthly(school).values()) for school in costs.SIZES.values()]
    assert totals == sorted(totals)
    assert all(total > costs.PRICE["kms_key_month"] for total in totals)
    small = costs.monthly(costs.SIZES[300])
    assert costs.monthly(costs.SIZES[300], usage=10)["API Gateway"] == pytest.approx(small["API Gateway"] * 10)
