"""cfn-lint (and checkov, when installed) over the packaged template: zero findings."""

from __future__ import annotations

import os

import pytest

from infra import lint


def test_cfn_lint_finds_nothing(packaged):
    assert lint.CFN_LINT_IGNORED == {} or all(len(reason) > 20 for reason in lint.CFN_LINT_IGNORED.values())
    assert lint.cfn_lint(packaged.template_path, packaged.target.region) == []


def test_cfn_lint_is_really_looking(packaged, tmp_path):
    broken = packaged.template_path.read_text().replace('"PAY_PER_REQUEST"', '"PAY_PER_GUESS"', 1)
    path = tmp_path / "broken.json"
    path.write_text(broken)
    assert any("PAY_PER_GUESS" in finding for finding in lint.cfn_lint(path, packaged.target.region))


def test_checkov_finds_nothing_and_every_skip_is_used(packaged, template):
    executable = lint.find_checkov()
    # `make test` names the checkov it installed: then a missing one is a failure, never a quiet skip.
    assert executable or not os.environ.get("CHECKOV"), f"CHECKOV={os.environ.get('CHECKOV')} does not exist"
    if executable is None:
        pytest.skip("checkov is not installed (make plan installs it in .venv-checkov; or set CHECKOV=…)")
    result = lint.checkov(packaged.template_path, executable)
    assert result.failed == []
    assert result.passed > 50
    written = {
        (skip["id"], name)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    used = {(check, resource.split(".")[-1]) for check, resource, _ in result.skipped}
    assert used == written  # no skip is stale, and checkov skipped nothing it was not told to
    assert all(reason for _, _, reason in result.skipped)
