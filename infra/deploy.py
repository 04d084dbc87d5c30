"""One command per school: `plan` (no AWS) and `deploy`.

    python -m infra.deploy plan   --school themead [--compare]
    python -m infra.deploy deploy --school themead [--admin-email it@school.org --admin-name "Sam Jones"]

plan: validates infra/schools/<school>.toml, builds the site, packages the app with infra/stack.yaml merged
(`chalice package --merge-template`), runs Lantern's checks, cfn-lint and checkov, and lists what the stack
`lantern-<school>` holds. It needs no AWS credentials; with --compare (and credentials) it also lists what
differs from the deployed stack.

deploy: all of plan (it stops at any finding), then, with the AWS credentials in the environment and the
region from the settings: uploads the package, creates or updates the stack and waits for it, uploads the
site, invalidates the CDN, reports the email domain's DNS records, and on the first deploy creates the
school's first admin account and emails their set-password link. Re-running it is a safe update.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import os
import sys
import time
import uuid
from pathlib import Path

from infra import build, checks, lint
from infra.build import BuildError, Package, Target, say

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # roles without names; the SAM transform
STACK_WAIT = {"Delay": 15, "MaxAttempts": 240}  # up to an hour: a new CloudFront distribution takes 5-15 min
ARTIFACT_DAYS = 90  # packages are kept this long, so a rollback can still find the previous one
NOT_UPDATABLE = {
    "ROLLBACK_COMPLETE": (
        "The stack's first deploy failed and was rolled back. Read why in the CloudFormation console (Events), "
        "fix it, then delete the stack `{stack}` (it holds no data) and delete any retained resource named "
        "lantern-{school}-* that it left (docs/deploying.md, 'If the first deploy fails'); then deploy again."
    ),
    "CREATE_FAILED": "The stack's first deploy failed. Delete the stack `{stack}` and deploy again (see Events).",
    "DELETE_FAILED": "The stack `{stack}` failed to delete; finish or retry the deletion in the console first.",
    "UPDATE_ROLLBACK_FAILED": (
        "An update of `{stack}` failed and could not roll back. Continue the rollback from the console "
        "(Stack actions → Continue update rollback), then deploy again."
    ),
}
PAGE_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript"}
PAGE_TYPES |= {".svg": "image/svg+xml", ".webmanifest": "application/manifest+json", ".json": "application/json"}


SKIP = "skip"  # checkov_path meaning "do not run checkov"


class DeployError(RuntimeError):
    """A deploy stopped; the message says what happened and what to do."""


# --- plan: everything without AWS ----------------------------------------------------------------------------


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


class Deployer:
    """The AWS side of a deploy, one client per service and region (tests put stubbed or moto clients in)."""

    def __init__(self, target: Target, session=None) -> None:
        import boto3

        self.target = target
        self.session = session or boto3.session.Session(region_name=target.region)
        self.clients: dict[tuple[str, str], object] = {}
        self.account = ""

    def client(self, service: str, region: str | None = None):
        region = region or self.target.region
        if (service, region) not in self.clients:
            from botocore.config import Config

            config = Config(signature_version="s3v4", s3={"addressing_style": "virtual"}) if service == "s3" else None
            self.clients[(service, region)] = self.session.client(service, region_name=region, config=config)
        return self.clients[(service, region)]

    # -- who and where

    def whoami(self) -> str:
        identity = self.client("sts").get_caller_identity()
        self.account = identity["Account"]
        return identity["Arn"]

    def find_certificate(self) -> str:
        """An issued ACM certificate in us-east-1 covering the school's host (CloudFront reads only us-east-1)."""
        acm = self.client("acm", "us-east-1")
        for page in acm.get_paginator("list_certificates").paginate(CertificateStatuses=["ISSUED"]):
            for summary in page["CertificateSummaryList"]:
                names = [summary["DomainName"], *summary.get("SubjectAlternativeNameSummaries", [])]
                if covers(names, self.target.host):
                    return summary["CertificateArn"]
        raise DeployError(
            f"No issued ACM certificate in us-east-1 covers {self.target.host}. Request one there (DNS validation), "
            "wait until it is Issued, then deploy again; or pass CERTIFICATE_ARN=…"
        )

    # -- the stack

    def stack(self) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client("cloudformation").describe_stacks(StackName=self.target.stack_name)["Stacks"][0]
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise

    def deployed_template(self) -> dict | None:
        if self.stack() is None:
            return None
        body = self.client("cloudformation").get_template(StackName=self.target.stack_name, TemplateStage="Original")[
            "TemplateBody"
        ]
        return body if isinstance(body, dict) else json.loads(body)

    def leftovers(self) -> list[str]:
        """Retained resources with this school's fixed names that a new stack would collide with."""
        prefix = self.target.table_prefix
        found = []
        for page in self.client("dynamodb").get_paginator("list_tables").paginate():
            found += [f"table {name}" for name in page["TableNames"] if name.startswith(prefix)]
        # Every function's log group is /aws/lambda/lantern-<school>-<what>; slugs have no "-", so this prefix
        # is this school's alone.
        logs = self.client("logs")
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=f"/aws/lambda/{prefix}"):
            found += [f"log group {g['logGroupName']}" for g in page["logGroups"]]
        return found

    def artifacts_bucket(self) -> str:
        """The account's Lantern deploy bucket in this region (packages and templates): private, TLS only."""
        from botocore.exceptions import ClientError

        name = f"lantern-deploy-{self.account}-{self.target.region}"
        s3 = self.client("s3")
        try:
            s3.head_bucket(Bucket=name, ExpectedBucketOwner=self.account)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in ("403", "AccessDenied", "Forbidden"):
                raise DeployError(f"The deploy bucket name {name} belongs to another account, or is refused") from None
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise
            options = {}
            if self.target.region != "us-east-1":
                options["CreateBucketConfiguration"] = {"LocationConstraint": self.target.region}
            s3.create_bucket(Bucket=name, **options)
            say(f"  created the deploy bucket {name}")
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(tls_only_policy(name)))
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire-old-packages",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "Expiration": {"Days": ARTIFACT_DAYS},
                    }
                ]
            },
        )
        return name

    def upload_package(self, package: Package, bucket: str) -> str:
        """Upload the code and the template that points at it; return the template's URL."""
        s3 = self.client("s3")
        code_key = f"{self.target.slug}/{package.zip_sha256()}.zip"
        if not self.exists(bucket, code_key):  # the same code is uploaded once
            s3.upload_file(str(package.zip_path), bucket, code_key)
        template = package.template
        for resource in checks.resources_of(template, "AWS::Serverless::Function").values():
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": code_key}
        body = json.dumps(template).encode()
        template_key = f"{self.target.slug}/{hashlib.sha256(body).hexdigest()}.template.json"
        s3.put_object(Bucket=bucket, Key=template_key, Body=body, ContentType="application/json")
        say(f"  s3://{bucket}/{code_key} ({package.zip_path.stat().st_size / 1e6:.1f} MB) and its template")
        return f"https://{bucket}.s3.{self.target.region}.amazonaws.com/{template_key}"

    def exists(self, bucket: str, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client("s3").head_object(Bucket=bucket, Key=key)
        except ClientError:
            return False
        return True

    def create_or_update(self, template_url: str, certificate_arn: str, existing: dict | None) -> str:
        """Create the stack, or update it; "no updates" is a success. Returns what happened."""
        from botocore.exceptions import ClientError, WaiterError

        cloudformation = self.client("cloudformation")
        stack = self.target.stack_name
        if existing is None:
            create_ses = not self.ses_identity_exists()
            if not create_ses:
                say(f"  {self.target.sender_domain} is already an SES identity here: the stack will use it as it is")
            cloudformation.create_stack(
                StackName=stack,
                TemplateURL=template_url,
                Parameters=stack_parameters(self.target.parameters(certificate_arn, create_ses)),
                Capabilities=CAPABILITIES,
                Tags=[{"Key": "lantern:school", "Value": self.target.slug}],
                EnableTerminationProtection=True,
                OnFailure="ROLLBACK",
            )
            waiter, done = "stack_create_complete", "created"
        else:
            try:
                cloudformation.update_stack(
                    StackName=stack,
                    TemplateURL=template_url,
                    Parameters=stack_parameters(self.target.parameters(certificate_arn, None)),
                    Capabilities=CAPABILITIES,
                    Tags=[{"Key": "lantern:school", "Value": self.target.slug}],
                )
            except ClientError as error:
                if "No updates are to be performed" in str(error):
                    return "unchanged"
                raise
            waiter, done = "stack_update_complete", "updated"
        say(
            f"  waiting for CloudFormation ({'a first deploy takes 10-20 minutes' if existing is None else 'updating'})"
        )
        try:
            cloudformation.get_waiter(waiter).wait(StackName=stack, WaiterConfig=STACK_WAIT)
        except WaiterError:
            reasons = self.failure_reasons()
            raise DeployError(
                f"CloudFormation could not {'create' if existing is None else 'update'} {stack}:\n"
                + "\n".join(f"  {line}" for line in reasons)
                + ("\nNothing was changed: the stack rolled back." if existing is not None else "")
            ) from None
        return done

    def failure_reasons(self) -> list[str]:
        events = self.client("cloudformation").describe_stack_events(StackName=self.target.stack_name)["StackEvents"]
        failed = [e for e in events if e["ResourceStatus"].endswith("_FAILED")]
        return [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', e['ResourceStatus'])}" for e in failed[:10]
        ] or ["see the stack's Events in the CloudFormation console"]

    def outputs(self) -> dict[str, str]:
        stack = self.stack() or {}
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    # -- the site and the CDN

    def upload_site(self, site: Path, bucket: str) -> tuple[int, int, int]:
        """Upload changed files, delete ones no longer built. Returns (uploaded, unchanged, deleted)."""
        s3 = self.client("s3")
        existing = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            existing |= {o["Key"]: o["ETag"].strip('"') for o in page.get("Contents", [])}
        uploaded = unchanged = 0
        keys = set()
        for path in sorted(p for p in site.rglob("*") if p.is_file()):
            key = path.relative_to(site).as_posix()
            keys.add(key)
            body = path.read_bytes()
            if existing.get(key) == hashlib.md5(body).hexdigest():  # noqa: S324 - S3's ETag, not security
                unchanged += 1
                continue
            s3.put_object(
                Bucket=bucket, Key=key, Body=body, ContentType=content_type(path), CacheControl=cache_control(path)
            )
            uploaded += 1
        stale = sorted(set(existing) - keys)
        for start in range(0, len(stale), 1000):
            s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]], "Quiet": True}
            )
        return uploaded, unchanged, len(stale)

    def invalidate(self, distribution_id: str) -> str:
        result = self.client("cloudfront", "us-east-1").create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"lantern-{uuid.uuid4()}"},
        )
        return result["Invalidation"]["Id"]

    # -- email

    def ses_identity_exists(self) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client("sesv2").get_email_identity(EmailIdentity=self.target.sender_domain)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NotFoundException", "404"):
                return False
            raise
        return True

    def email_status(self) -> tuple[bool, list[str]]:
        """(can send, DNS records to publish) for the sending domain."""
        if not self.ses_identity_exists():
            return False, [f"(no SES identity for {self.target.sender_domain} in {self.target.region}: create it)"]
        identity = self.client("sesv2").get_email_identity(EmailIdentity=self.target.sender_domain)
        domain = self.target.sender_domain
        tokens = identity.get("DkimAttributes", {}).get("Tokens", [])
        records = [f"{token}._domainkey.{domain}  CNAME  {token}.dkim.amazonses.com" for token in tokens]
        verified = identity.get("VerifiedForSendingStatus") or identity.get("VerificationStatus") == "SUCCESS"
        return bool(verified), records

    def production_access(self) -> bool | None:
        """Is SES out of the sandbox here? None when it cannot be told."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return bool(self.client("sesv2").get_account().get("ProductionAccessEnabled"))
        except (ClientError, BotoCoreError):
            return None

    # -- the first admin

    def first_admin(self, admin_email: str | None, admin_name: str | None, can_send: bool) -> str:
        """Create the school's first admin and email their link, unless an admin exists. Returns what happened."""
        from chalicelib.auth import accounts
        from chalicelib.errors import LanternError
        from chalicelib.models import Staff
        from chalicelib.settings import current_school

        use_school(self.target)
        admins = [m for m in Staff.in_directory.query("active") if m.role == "admin"]
        if admins:
            return f"the school already has {len(admins)} admin account(s); none created"
        if not admin_email or not admin_name:
            raise DeployError(
                'The school has no admin account yet: deploy again with ADMIN_EMAIL=… ADMIN_NAME="…" '
                "(the person who will add staff and pupils)."
            )
        try:
            staff = accounts.create_staff(
                email=admin_email, name=admin_name, role="admin", title="Lantern administrator"
            )
        except LanternError as error:
            raise DeployError(error.message) from None
        if not can_send:
            return (
                f"created the admin account {staff.email}; no email yet: SES has not verified "
                f"{self.target.sender_domain}. Once it has, they choose 'Forgotten your password or using Lantern "
                "for the first time?' on the log in page."
            )
        refused = None
        try:
            accounts.send_password_link(current_school(), staff)  # into the outbox, which the stack sends from
            refused = self.send_now(staff.staff_id)
        except Exception as error:  # noqa: BLE001 - the account exists; say how to finish
            refused = f"{type(error).__name__}: {error}"
        if refused:
            return (
                f"created the admin account {staff.email}, but SES refused the email ({refused}). In the SES "
                "sandbox the recipient must be verified too. They can ask for a link from 'Forgotten your password "
                "or using Lantern for the first time?' once SES can send."
            )
        return f"created the admin account {staff.email} and emailed their set-password link (valid 60 minutes)"

    def send_now(self, staff_id: str) -> str | None:
        """Send the outbox's pending emails to `staff_id` now, as the stack's sender does, so that a refusal is
        reported here (the stack's sender may get there first: the claim lets only one of them send). Returns
        SES's refusal, or None."""
        from chalicelib import outbox
        from chalicelib.models import OutboxItem
        from chalicelib.settings import current_school

        for entry in OutboxItem.waiting.query(outbox.PENDING):
            if entry.staff_id == staff_id and outbox.deliver(current_school(), entry) == "retry":
                return OutboxItem.get(entry.outbox_id, consistent_read=True).last_error or "error"
        return None


def use_school(target: Target) -> None:
    """Point chalicelib at the deployed school's tables and settings, in this process."""
    from chalicelib import aws, models
    from chalicelib.settings import current_school

    os.environ.update(LANTERN_SETTINGS=str(target.settings_file), LANTERN_TABLE_PREFIX=target.table_prefix)
    os.environ.pop("LANTERN_PUBLIC_URL", None)
    current_school.cache_clear()
    aws.reset()
    models.bind(target.table_prefix)
    for model in models.MODELS.values():
        model._connection = None


def covers(names: list[str], host: str) -> bool:
    """Does a certificate for `names` cover `host` (exactly, or by a one-label wildcard)?"""
    for name in names:
        name = name.lower()
        if name == host or (name.startswith("*.") and host.split(".", 1)[-1] == name[2:] and "." in host):
            return True
    return False


def stack_parameters(parameters: dict[str, str | None]) -> list[dict]:
    return [
        {"ParameterKey": key, "UsePreviousValue": True}
        if value is None
        else {"ParameterKey": key, "ParameterValue": value}
        for key, value in parameters.items()
    ]


def tls_only_policy(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def content_type(path: Path) -> str:
    return PAGE_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def cache_control(path: Path) -> str:
    """Pages are revalidated on every load; assets (not fingerprinted) are fresh for an hour."""
    return "no-cache" if path.suffix == ".html" else "public, max-age=3600"


def deploy(
    slug: str,
    *,
    admin_email: str | None = None,
    admin_name: str | None = None,
    certificate_arn: str | None = None,
    checkov_path: str | None = None,
    package: Package | None = None,
    aws: Deployer | None = None,
) -> dict[str, str]:
    """Deploy one school (tests pass a ready `package` and a `Deployer` holding stubbed or moto clients)."""
    started = time.monotonic()
    package = package or prepare(slug, checkov_path)
    target = package.target
    os.environ["AWS_DEFAULT_REGION"] = target.region  # PynamoDB and Powertools read it (the first admin)
    aws = aws or Deployer(target)
    say(f"5. AWS: {aws.whoami()} in account {aws.account}, region {target.region}")
    existing = aws.stack()
    if existing is not None and existing["StackStatus"] in NOT_UPDATABLE:
        raise DeployError(NOT_UPDATABLE[existing["StackStatus"]].format(stack=target.stack_name, school=slug))
    if existing is not None and existing["StackStatus"].endswith("_IN_PROGRESS"):
        raise DeployError(f"{target.stack_name} is {existing['StackStatus']}: wait for it to finish, then run again")
    if existing is None:
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
                + ". Restore or delete them first (docs/deploying.md, 'If the first deploy fails')."
            )
    say(f"6. Certificate for {target.host} (ACM, us-east-1)")
    certificate = certificate_arn or aws.find_certificate()
    say(f"  {certificate}")
    say("7. Uploading the package")
    template_url = aws.upload_package(package, aws.artifacts_bucket())
    say(f"8. {'Creating' if existing is None else 'Updating'} the stack {target.stack_name}")
    outcome = aws.create_or_update(template_url, certificate, existing)
    say(f"  stack {outcome}" + (": already up to date" if outcome == "unchanged" else ""))
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
    if aws.production_access() is False:
        say("  SES is in the sandbox here: mail only reaches verified addresses. Request production access.")
    say("12. First admin")
    say(f"  {aws.first_admin(admin_email, admin_name, can_send)}")
    say(f"Done in {time.monotonic() - started:.0f} s. {target.school.name}: {target.school.url}")
    say(f"  DNS: {target.host}  CNAME  {outputs['DistributionDomainName']}  (if not yet published)")
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("plan", "deploy"):
        command = commands.add_parser(name)
        command.add_argument("--school", required=True, help="the school's slug: infra/schools/<slug>.toml")
        command.add_argument("--checkov", help="checkov to run (default: $CHECKOV, .venv-checkov, PATH)")
        command.add_argument("--skip-checkov", action="store_true", help="do not run checkov (tests/infra does)")
    commands.choices["plan"].add_argument("--compare", action="store_true", help="diff with the deployed stack")
    commands.choices["deploy"].add_argument("--admin-email", default=os.environ.get("ADMIN_EMAIL") or None)
    commands.choices["deploy"].add_argument("--admin-name", default=os.environ.get("ADMIN_NAME") or None)
    commands.choices["deploy"].add_argument("--certificate-arn", default=os.environ.get("CERTIFICATE_ARN") or None)
    args = parser.parse_args(argv)
    from botocore.exceptions import NoCredentialsError

    try:
        if args.command == "plan":
            plan(args.school, checkov_path=SKIP if args.skip_checkov else args.checkov, compare=args.compare)
        else:
            deploy(
                args.school,
                admin_email=args.admin_email or None,  # make passes "" when ADMIN_EMAIL is not given
                admin_name=args.admin_name or None,
                certificate_arn=args.certificate_arn or None,
                checkov_path=SKIP if args.skip_checkov else args.checkov,
            )
    except (BuildError, DeployError) as error:
        print(f"Stopped: {error}", file=sys.stderr)
        return 1
    except NoCredentialsError:
        print(
            "Stopped: no AWS credentials. `make plan` needs none; `make deploy` does (AWS_PROFILE=…).", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
