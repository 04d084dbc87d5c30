"""`make deploy SCHOOL=…`: preflight, plan, then the AWS steps in order, each printed as it happens."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from infra.build import ROOT, Package, say
from infra.deploy import planning, preflight
from infra.deploy.aws import Deployer
from infra.deploy.base import DeployError
from infra.deploy.stack import NOT_UPDATABLE

GIT = shutil.which("git") or "git"


def commit() -> str:
    """The commit being deployed (each stack is tagged with it; `make status` shows it), `+changes` if the tree
    differs from it."""
    try:
        head = subprocess.run(  # noqa: S603 - git, fixed arguments
            [GIT, "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603 - git, fixed arguments
            [GIT, "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def deploy(
    slug: str,
    *,
    admin_email: str | None = None,
    admin_name: str | None = None,
    certificate_arn: str | None = None,
    checkov_path: str | None = None,
    package: Package | None = None,
    aws: Deployer | None = None,
    allow_replace: bool = False,
    resolve=None,
) -> dict[str, str]:
    """Deploy one school (tests pass a ready `package` and a `Deployer` holding stubbed or moto clients)."""
    started = time.monotonic()
    package = package or planning.prepare(slug, checkov_path)
    target = package.target
    os.environ["AWS_DEFAULT_REGION"] = target.region  # PynamoDB and Powertools read it (the first admin)
    aws = aws or Deployer(target)
    say("5. Preflight: this account and region")
    findings = preflight.preflight(aws, **({"resolve": resolve} if resolve else {}), certificate_arn=certificate_arn)
    if not preflight.report(findings):
        raise DeployError("preflight found problems (FAIL above): fix them, then deploy again")
    sandbox = any(f.check == "SES" and f.level == preflight.WARN for f in findings)
    existing = aws.stack()
    if existing is not None and existing["StackStatus"] in NOT_UPDATABLE:
        say(f"  {target.stack_name} is {existing['StackStatus']}. What went wrong:")
        for line in aws.failure_reasons():
            say(f"    {line}")
        raise DeployError(NOT_UPDATABLE[existing["StackStatus"]].format(stack=target.stack_name, school=slug))
    if (
        existing is not None
        and existing["StackStatus"].endswith("_IN_PROGRESS")
        and existing["StackStatus"] != "REVIEW_IN_PROGRESS"
    ):
        raise DeployError(f"{target.stack_name} is {existing['StackStatus']}: wait for it to finish, then run again")
    first = existing is None or existing["StackStatus"] == "REVIEW_IN_PROGRESS"
    if first:
        if not (admin_email and admin_name):
            raise DeployError(
                'This is the school\'s first deploy: give its first admin, ADMIN_EMAIL=… ADMIN_NAME="…" '
                "(they receive the set-password link and add everyone else)."
            )
        left = aws.leftovers()
        if left:
            raise DeployError(
                "A new stack would collide with resources kept from an earlier one: "
                + ", ".join(left)
                + f". If they hold nothing, `make cleanup-failed SCHOOL={slug}` removes them; if they hold data, "
                "restore it instead (docs/deploying.md, 'Restoring')."
            )
    say(f"6. Certificate for {target.host} (ACM, us-east-1)")
    certificate = certificate_arn or aws.find_certificate()
    say(f"  {certificate}")
    say("7. Uploading the package")
    bucket = aws.artifacts_bucket()
    template_url = aws.upload_package(package, bucket)
    version = commit()
    say(f"8. {'Creating' if first else 'Updating'} the stack {target.stack_name} (commit {version}) by change set")
    outcome = aws.apply(
        template_url,
        certificate,
        None if first else existing,
        package.template,
        commit=version,
        allow_replace=allow_replace,
    )
    say(f"  stack {outcome}" + (": already up to date" if outcome == "unchanged" else ""))
    live = aws.deployed_template() or {}
    keep = {uri.get("Key") for uri in _code_uris(live)} | {template_url.split(".amazonaws.com/", 1)[1]}
    aws.mark_superseded(bucket, keep)
    outputs = aws.outputs()
    say("9. Uploading the site")
    uploaded, unchanged, deleted = aws.upload_site(package.site, outputs["SiteBucketName"])
    say(f"  {uploaded} uploaded, {unchanged} unchanged, {deleted} deleted")
    say(f"10. Invalidating the CDN: invalidation {aws.invalidate(outputs['DistributionId'])}")
    say(f"11. Email from {target.school.sender_email}")
    can_send, records = aws.email_status()
    state = "verified, DKIM on" if can_send else "NOT verified yet: publish these DNS records"
    say(f"  {target.sender_domain}: {state}")
    for record in [] if can_send else records:
        say(f"    {record}")
    if sandbox:
        say("  SES is in the sandbox here: the app's emails reach nobody unverified (preflight says what to request).")
    say("12. First admin")
    say(f"  {aws.first_admin(admin_email, admin_name, can_send, sandbox=sandbox)}")
    if target.alarm_email and first:
        say(f"13. Alarms go to {target.alarm_email}: AWS has emailed it a link to confirm the subscription")
    say(f"Done in {time.monotonic() - started:.0f} s. {target.school.name}: {target.school.url}")
    say(f"  DNS: {target.host}  CNAME  {outputs['DistributionDomainName']}  (if not yet published)")
    return outputs


def _code_uris(template: dict) -> list[dict]:
    return [
        r["Properties"]["CodeUri"]
        for r in template.get("Resources", {}).values()
        if r.get("Type") == "AWS::Serverless::Function" and isinstance(r.get("Properties", {}).get("CodeUri"), dict)
    ]
