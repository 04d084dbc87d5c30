"""Linters over the packaged template: cfn-lint (always) and checkov (when installed; it cannot share .venv).

Both read the SAM template as packaged, before CloudFormation's SAM transform: what the transform adds (the
Lambda function, API Gateway stage and deployment) is checked by infra/checks.py and tests/infra instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKOV_VENV = ROOT / ".venv-checkov"

# cfn-lint rules switched off, each with its reason. None is needed today; add one only with a reason.
CFN_LINT_IGNORED: dict[str, str] = {}


def cfn_lint(template: Path, region: str) -> list[str]:
    """Every cfn-lint finding (errors, warnings and informational) for `region`, one line each."""
    executable = Path(sys.executable).with_name("cfn-lint")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "cfnlint"]
    command += ["--format", "parseable", "--include-checks", "I", "--regions", region]
    if CFN_LINT_IGNORED:
        command += ["--ignore-checks", *CFN_LINT_IGNORED]
    result = subprocess.run(  # noqa: S603 - our venv's cfn-lint, fixed arguments
        [*command, "--", str(template)], capture_output=True, text=True, check=False
    )
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 and not findings:
        findings = [f"cfn-lint failed to run: {result.stderr.strip() or result.returncode}"]
    return findings


@dataclass
class CheckovResult:
    version: str = ""
    passed: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (check id, resource, reason)


def find_checkov(given: str | None = None) -> str | None:
    """checkov from --checkov, $CHECKOV, .venv-checkov (what `make plan` installs) or PATH; None if absent."""
    for candidate in (given, os.environ.get("CHECKOV"), str(CHECKOV_VENV / "bin" / "checkov")):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("checkov")


def checkov(template: Path, executable: str) -> CheckovResult:
    """Run checkov's CloudFormation checks offline (no Prisma Cloud download)."""
    result = subprocess.run(  # noqa: S603 - a checkov the operator chose, fixed arguments
        [executable, "-f", str(template), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"},
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return CheckovResult(failed=[f"checkov failed to run: {(result.stderr or result.stdout).strip()[-500:]}"])
    if isinstance(report, list):  # one report per framework
        report = next((r for r in report if r.get("check_type") == "cloudformation"), report[0])
    results = report.get("results", {})
    summary = report.get("summary", {})
    return CheckovResult(
        version=summary.get("checkov_version", ""),
        passed=summary.get("passed", 0),
        failed=[f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in results.get("failed_checks", [])],
        skipped=[
            (c["check_id"], c["resource"], (c.get("check_result") or {}).get("suppress_comment", ""))
            for c in results.get("skipped_checks", [])
        ],
    )


SAM_VENV = ROOT / ".venv-sam"
# Runs in .venv-sam: CloudFormation's SAM transform (aws-sam-translator) over a packaged template, offline; prints
# the API Gateway stages it makes (Stage resources, and deployments that name a stage, which make one too).
_EXPAND = r"""
import json, os, sys
from samtranslator.translator.transform import transform
os.environ.setdefault("AWS_DEFAULT_REGION", sys.argv[2])
class NoManagedPolicies:
    def load(self):
        return {}
template = json.load(open(sys.argv[1]))
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = {"Bucket": "deploy-bucket", "Key": "code.zip"}
out = transform(template, {"School": "school"}, NoManagedPolicies())
resources = out["Resources"].values()
stages = [r["Properties"]["StageName"] for r in resources if r["Type"] == "AWS::ApiGateway::Stage"]
stages += [r["Properties"]["StageName"] for r in resources
           if r["Type"] == "AWS::ApiGateway::Deployment" and "StageName" in r["Properties"]]
print(json.dumps({"stages": stages, "resources": len(out["Resources"])}))
"""


def sam_stages(template: Path, region: str) -> list[str] | None:
    """The API stages the SAM transform makes of `template`; None when .venv-sam is not installed."""
    python = SAM_VENV / "bin" / "python"
    if not python.exists():
        return None
    result = subprocess.run(  # noqa: S603 - our own venv's python, fixed script
        [str(python), "-c", _EXPAND, str(template), region], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"the SAM transform failed: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout)["stages"]
