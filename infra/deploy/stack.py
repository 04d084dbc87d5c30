"""The stack: the deploy bucket and package, then CloudFormation through a change set.

A change set is made, listed, checked and only then executed: a change that would replace or remove a resource
kept on deletion (a table, the key, the files or logs bucket, a log group: each has a fixed name or holds data) is
refused before anything happens, unless the operator says `ALLOW_REPLACE=1` after reading why. On failure, the
first real cause is printed (CloudFormation's later "Resource creation cancelled" lines are the consequence).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime

from infra import checks
from infra.build import Package, say
from infra.deploy.base import DeployError

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # roles without names; the SAM transform
STACK_WAIT = {"Delay": 15, "MaxAttempts": 240}  # up to an hour: a new CloudFront distribution takes 5-15 min
CHANGE_SET_WAIT = {"Delay": 5, "MaxAttempts": 120}
SUPERSEDED_DAYS = 30  # a package no stack uses any more is deleted this long after it was superseded
NOT_UPDATABLE = {
    "ROLLBACK_COMPLETE": (
        "The stack's first deploy failed and was rolled back; it cannot be updated. Read why above (or in the "
        "stack's Events), fix it, then run `make cleanup-failed SCHOOL={school}`: it says what it will remove "
        "(the empty stack and the empty tables, log groups and key it left) and then does it. Then deploy again."
    ),
    "ROLLBACK_FAILED": (
        "The stack's first deploy failed and CloudFormation could not roll it back either (see the stack's Events). "
        "Run `make cleanup-failed SCHOOL={school}`: it deletes the stack, keeping nothing it could not delete, and "
        "removes what it left if it holds no data. Then deploy again."
    ),
    "CREATE_FAILED": "The stack's first deploy failed. Run `make cleanup-failed SCHOOL={school}`, then deploy again.",
    "DELETE_FAILED": "The stack `{stack}` failed to delete; finish or retry the deletion in the console first.",
    "UPDATE_ROLLBACK_FAILED": (
        "An update of `{stack}` failed and could not roll back. Continue the rollback from the console "
        "(Stack actions → Continue update rollback), then deploy again."
    ),
}
# CloudFormation's consequences of a failure, not its cause.
CONSEQUENCES = (
    "Resource creation cancelled",
    "Resource update cancelled",
    "The following resource(s) failed",
    'Resource handler returned message: "null"',
)


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


def retained(template: dict) -> dict[str, str]:
    """{logical id: type} of the resources kept when deleted or replaced."""
    return {
        name: resource["Type"]
        for name, resource in template["Resources"].items()
        if resource.get("DeletionPolicy") == "Retain" or resource.get("UpdateReplacePolicy") == "Retain"
    }


def refused_changes(changes: list[dict], kept: dict[str, str]) -> list[str]:
    """The changes a deploy must not make without being told: replacing or removing a retained resource."""
    refused = []
    for change in changes:
        rc = change.get("ResourceChange", {})
        name = rc.get("LogicalResourceId", "")
        if name not in kept and rc.get("ResourceType") not in ("AWS::DynamoDB::Table", "AWS::KMS::Key"):
            continue
        if rc.get("Action") == "Remove":
            refused.append(f"{name} ({rc.get('ResourceType')}) would be removed from the stack (kept, orphaned)")
        elif rc.get("Action") == "Modify" and rc.get("Replacement") in ("True", "Conditional"):
            why = ", ".join(
                d.get("Target", {}).get("Name", "?")
                for d in rc.get("Details", [])
                if d.get("Target", {}).get("RequiresRecreation") in ("Always", "Conditionally")
            )
            refused.append(
                f"{name} ({rc.get('ResourceType')}) would be replaced"
                + (f" (because of {why})" if why else "")
                + (
                    ": a fixed-name table cannot be replaced in place, and its data stays in the old one"
                    if rc.get("ResourceType") == "AWS::DynamoDB::Table"
                    else ""
                )
            )
    return refused


def describe_change(change: dict) -> str:
    rc = change.get("ResourceChange", {})
    action = {"Add": "+", "Modify": "~", "Remove": "-", "Import": "<", "Dynamic": "?"}.get(rc.get("Action"), "?")
    replacement = {"True": " REPLACED", "Conditional": " maybe replaced"}.get(rc.get("Replacement", ""), "")
    return f"{action} {rc.get('LogicalResourceId')} ({rc.get('ResourceType')}){replacement}"


class StackSteps:
    """Mixed into Deployer: needs self.client, self.target, self.account."""

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

    # -- the package

    def artifacts_bucket(self) -> str:
        """The account's Lantern deploy bucket in this region (packages and templates): private, TLS only. Packages
        are never expired by age (a live stack's rollback needs its own): after each deploy, those no stack of the
        school uses any more are tagged superseded, and only those expire."""
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
                        "ID": "expire-superseded-packages",
                        "Status": "Enabled",
                        "Filter": {"Tag": {"Key": "lantern-superseded", "Value": "true"}},
                        "Expiration": {"Days": SUPERSEDED_DAYS},
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

    def mark_superseded(self, bucket: str, keep: set[str]) -> int:
        """Tag this school's packages and templates other than `keep` (what the live stack uses) as superseded, so
        the bucket's lifecycle deletes them later. Returns how many were tagged."""
        s3 = self.client("s3")
        tagged = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{self.target.slug}/"):
            for item in page.get("Contents", []):
                if item["Key"] in keep:
                    continue
                s3.put_object_tagging(
                    Bucket=bucket,
                    Key=item["Key"],
                    Tagging={"TagSet": [{"Key": "lantern-superseded", "Value": "true"}]},
                )
                tagged += 1
        return tagged

    # -- the change set

    def apply(
        self,
        template_url: str,
        certificate_arn: str,
        existing: dict | None,
        template: dict,
        *,
        commit: str = "unknown",
        allow_replace: bool = False,
    ) -> str:
        """Create the stack or update it through a change set: list the changes, refuse a replacement or removal of
        a kept resource (unless `allow_replace`), execute, wait. Returns created, updated or unchanged."""
        from botocore.exceptions import WaiterError

        cloudformation = self.client("cloudformation")
        stack = self.target.stack_name
        creating = existing is None or existing["StackStatus"] == "REVIEW_IN_PROGRESS"
        create_ses = None
        if creating:
            create_ses = not self.ses_identity_exists()
            if not create_ses:
                say(f"  {self.target.sender_domain} is already an SES identity here: the stack will use it as it is")
        name = f"lantern-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        cloudformation.create_change_set(
            StackName=stack,
            ChangeSetName=name,
            ChangeSetType="CREATE" if creating else "UPDATE",
            TemplateURL=template_url,
            Parameters=stack_parameters(self.target.parameters(certificate_arn, create_ses)),
            Capabilities=CAPABILITIES,
            Tags=[{"Key": "lantern:school", "Value": self.target.slug}, {"Key": "lantern:commit", "Value": commit}],
            Description=f"Lantern {self.target.slug} at {commit}",
        )
        try:
            cloudformation.get_waiter("change_set_create_complete").wait(
                StackName=stack, ChangeSetName=name, WaiterConfig=CHANGE_SET_WAIT
            )
        except WaiterError:
            described = cloudformation.describe_change_set(StackName=stack, ChangeSetName=name)
            reason = described.get("StatusReason", "")
            cloudformation.delete_change_set(StackName=stack, ChangeSetName=name)
            if "didn't contain changes" in reason or "No updates are to be performed" in reason:
                return "unchanged"
            raise DeployError(f"CloudFormation refused the change set for {stack}: {reason}") from None
        changes = self.change_set_changes(name)
        say(f"  change set {name}: {len(changes)} change(s)")
        for change in changes:
            say(f"    {describe_change(change)}")
        refused = refused_changes(changes, retained(template))
        if refused and not allow_replace:
            cloudformation.delete_change_set(StackName=stack, ChangeSetName=name)
            if creating:
                cloudformation.delete_stack(StackName=stack)  # an empty REVIEW_IN_PROGRESS stack
            raise DeployError(
                "Stopped before changing anything: this deploy would\n"
                + "\n".join(f"  - {line}" for line in refused)
                + "\nThat loses or strands data. Restore-and-copy first (docs/deploying.md, 'Restoring'), or, if you "
                "have read why and accept it, deploy again with ALLOW_REPLACE=1."
            )
        cloudformation.execute_change_set(StackName=stack, ChangeSetName=name)
        waiter = "stack_create_complete" if creating else "stack_update_complete"
        say(f"  waiting for CloudFormation ({'a first deploy takes 10-20 minutes' if creating else 'updating'})")
        started = datetime.now().astimezone()
        try:
            cloudformation.get_waiter(waiter).wait(StackName=stack, WaiterConfig=STACK_WAIT)
        except WaiterError:
            reasons = self.failure_reasons(since=started)
            raise DeployError(
                f"CloudFormation could not {'create' if creating else 'update'} {stack}. The cause:\n"
                + "\n".join(f"  {line}" for line in reasons)
                + (
                    "\nNothing was changed: the stack rolled back."
                    if not creating
                    else f"\nThen run `make cleanup-failed SCHOOL={self.target.slug}` and deploy again."
                )
            ) from None
        if creating:
            cloudformation.update_termination_protection(EnableTerminationProtection=True, StackName=stack)
        return "created" if creating else "updated"

    def change_set_changes(self, name: str) -> list[dict]:
        cloudformation = self.client("cloudformation")
        changes, token = [], None
        while True:
            extra = {"NextToken": token} if token else {}
            page = cloudformation.describe_change_set(StackName=self.target.stack_name, ChangeSetName=name, **extra)
            changes += page.get("Changes", [])
            token = page.get("NextToken")
            if not token:
                return changes

    def failure_reasons(self, since: datetime | None = None) -> list[str]:
        """The first real cause of a failure first (the oldest failure that is not a consequence), then the rest."""
        cloudformation = self.client("cloudformation")
        events = []
        for page in cloudformation.get_paginator("describe_stack_events").paginate(StackName=self.target.stack_name):
            events += page["StackEvents"]
            if since and page["StackEvents"] and page["StackEvents"][-1]["Timestamp"] < since:
                break
        failed = [
            e for e in events if e["ResourceStatus"].endswith("_FAILED") and (since is None or e["Timestamp"] >= since)
        ]
        failed.sort(key=lambda e: e["Timestamp"])  # oldest first: the cause comes before its consequences
        causes = [
            e
            for e in failed
            if e["LogicalResourceId"] != self.target.stack_name
            and not any(c in e.get("ResourceStatusReason", "") for c in CONSEQUENCES)
        ]
        shown = causes or failed
        return [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', e['ResourceStatus'])}" for e in shown[:5]
        ] or ["see the stack's Events in the CloudFormation console"]

    def outputs(self) -> dict[str, str]:
        stack = self.stack() or {}
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
