"""`make plan`: everything without AWS (validate, build, package, lint, list what the stack holds), and with
--compare what differs from the deployed stack."""

from __future__ import annotations

import json
from pathlib import Path

from infra import build, checks, lint
from infra.build import BuildError, Package, say

SKIP = "skip"  # checkov_path meaning "do not run checkov"


def prepare(slug: str, checkov_path: str | None = None, work: Path | None = None) -> Package:
    """Validate, build, package and check one school's stack; raise BuildError on any finding."""
    say(f"1. Validating infra/schools/{slug}.toml")
    target = build.validate(slug)
    school = target.school
    say(f"  {school.name}: {school.url}, region {target.region}, mail from {school.sender_email}")
    work = work or build.BUILD / slug
    say("2. Building the static site")
    site = build.build_static_site(target, work / "site")
    say(f"  {sum(1 for f in site.rglob('*') if f.is_file())} files in {display(site)}")
    say("3. Packaging the app with infra/stack.yaml merged (chalice package --merge-template)")
    package = build.package(target, work, site=site)
    template = package.template
    say(f"  {display(package.template_path)}: {len(template['Resources'])} resources")
    lint_package(package, checkov_path)
    return package


def lint_package(package: Package, checkov_path: str | None = None) -> None:
    say("4. Checking the template")
    template = package.template
    problems = checks.problems(template)
    for problem in problems:
        say(f"  Lantern check: {problem}")
    say(f"  Lantern's checks: {len(problems)} problem(s)")
    findings = lint.cfn_lint(package.template_path, package.target.region)
    for finding in findings:
        say(f"  cfn-lint: {finding}")
    say(f"  cfn-lint: {len(findings)} finding(s)")
    failed: list[str] = []
    executable = None if checkov_path == SKIP else lint.find_checkov(checkov_path)
    if checkov_path == SKIP:
        say("  checkov: skipped (--skip-checkov)")
    elif executable:
        result = lint.checkov(package.template_path, executable)
        failed = result.failed
        for failure in failed:
            say(f"  checkov: FAILED {failure}")
        say(
            f"  checkov {result.version}: {result.passed} passed, {len(failed)} failed, "
            f"{len(result.skipped)} skipped with a reason in infra/stack.yaml"
        )
    else:
        say("  checkov: not run (not installed; `make plan` installs it in .venv-checkov)")
    stages = lint.sam_stages(package.template_path, package.target.region)
    if stages is None:
        say("  SAM transform: not run (`make plan` installs it in .venv-sam)")
    else:
        say(f"  SAM transform: API stages {stages}")
        if stages != ["api"]:
            problems.append(f"the SAM transform makes the API stages {stages}, not only `api` (OpenApiVersion?)")
    if problems or findings or failed:
        raise BuildError(f"{len(problems) + len(findings) + len(failed)} finding(s) in the template: fix them first")


def display(path: Path) -> str:
    return str(path.relative_to(build.ROOT)) if path.is_relative_to(build.ROOT) else str(path)


def plan(slug: str, *, checkov_path: str | None = None, compare: bool = False, work: Path | None = None) -> Package:
    reads = "only the deployed stack's template is read (--compare)" if compare else "no AWS call is made"
    say(f"Plan for {slug}: nothing is created or changed; {reads}")
    package = prepare(slug, checkov_path, work)
    target = package.target
    template = package.template
    parameters = target.parameters("<the ACM certificate for " + target.host + ", found by deploy>")
    say(f"5. The stack {target.stack_name} in {target.region} holds:")
    for line in build.summary(template, parameters):
        say(f"  {line}")
    if compare:
        from infra.deploy.aws import Deployer

        deployed = Deployer(target).deployed_template()
        say("6. Compared with the deployed stack:" if deployed else "6. No deployed stack: a deploy creates all of it")
        for line in compare_templates(deployed, template) if deployed else []:
            say(f"  {line}")
    else:
        say(
            "A first deploy creates all of this. A re-run updates only what changed: CloudFormation works out the "
            "difference (`make plan COMPARE=1` lists it, with AWS credentials)."
        )
    say(f"Plan OK: {len(template['Resources'])} resources, package {package.zip_path.stat().st_size / 1e6:.1f} MB.")
    return package


def compare_templates(deployed: dict, template: dict) -> list[str]:
    """+ new, ~ changed, - removed resources (the code package always differs, so CodeUri is ignored)."""

    def comparable(resource: dict) -> str:
        resource = json.loads(json.dumps(resource))
        resource.get("Properties", {}).pop("CodeUri", None)
        return json.dumps(resource, sort_keys=True)

    old, new = deployed.get("Resources", {}), template["Resources"]
    lines = [f"+ {name} ({new[name]['Type']})" for name in sorted(set(new) - set(old))]
    lines += [
        f"~ {name} ({new[name]['Type']})"
        for name in sorted(set(new) & set(old))
        if comparable(new[name]) != comparable(old[name])
    ]
    lines += [f"- {name} ({old[name]['Type']})" for name in sorted(set(old) - set(new))]
    return lines or ["no resource changes (the app's code is updated on every deploy)"]


# --- deploy: the AWS steps -----------------------------------------------------------------------------------
