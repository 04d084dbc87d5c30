"""`make cleanup-failed SCHOOL=…`: make a failed first deploy retryable.

A first deploy that fails is rolled back, but what is kept on deletion stays: the tables (deletion-protected), the
log groups, the key, the files and logs buckets; and the stack itself stays, termination-protected, in
ROLLBACK_COMPLETE (or ROLLBACK_FAILED). The next deploy would collide with all of it. This removes it, but only
for a stack that never ran (failed, rolled back, or under review) and only when no table and no files bucket holds
anything: it lists what it will remove and does it only when run again with YES=1. A live school's stack is
never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.build import say
from infra.deploy.base import DeployError

FAILED_STATES = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED", "REVIEW_IN_PROGRESS"}
KEY_PENDING_DAYS = 7  # the shortest KMS allows: until then the key can be recovered (CancelKeyDeletion)


@dataclass
class Leftovers:
    stack: str | None = None  # its status, if the stack exists
    tables: list[str] = field(default_factory=list)
    log_groups: list[str] = field(default_factory=list)
    buckets: dict[str, str] = field(default_factory=dict)  # logical id → name
    keys: list[str] = field(default_factory=list)
    holding_data: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"the stack, {self.stack} (termination protection turned off first)"] if self.stack else []
        lines += [f"table {name} (deletion protection turned off first; it is empty)" for name in self.tables]
        lines += [f"log group {name}" for name in self.log_groups]
        lines += [f"bucket {name} ({logical}; every version deleted)" for logical, name in self.buckets.items()]
        lines += [f"KMS key {key}: scheduled for deletion in {KEY_PENDING_DAYS} days" for key in self.keys]
        return lines


def find(aws) -> Leftovers:
    from botocore.exceptions import ClientError

    found = Leftovers()
    stack = aws.stack()
    if stack is not None:
        status = stack["StackStatus"]
        if status not in FAILED_STATES:
            raise DeployError(
                f"{aws.target.stack_name} is {status}: it is a live school's stack, and cleanup-failed only clears a "
                "first deploy that failed. Nothing was changed."
            )
        found.stack = status
        cloudformation = aws.client("cloudformation")
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=aws.target.stack_name):
            for resource in page["StackResourceSummaries"]:
                physical = resource.get("PhysicalResourceId")
                if not physical:
                    continue
                if resource["ResourceType"] == "AWS::S3::Bucket":
                    found.buckets[resource["LogicalResourceId"]] = physical
                elif resource["ResourceType"] == "AWS::KMS::Key":
                    found.keys.append(physical)
    for item in aws.leftovers():
        kind, name = item.split(" ", 1)
        (found.tables if kind == "table" else found.log_groups).append(name.removeprefix("group "))
    dynamodb = aws.client("dynamodb")
    for table in found.tables:
        if _has_items(dynamodb, table):
            found.holding_data.append(f"table {table}")
    s3 = aws.client("s3")
    for logical, bucket in list(found.buckets.items()):
        try:
            listed = s3.list_object_versions(Bucket=bucket, MaxKeys=1)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchBucket", "404"):
                del found.buckets[logical]  # deleted with the stack's rollback
                continue
            raise
        if logical == "FilesBucket" and (listed.get("Versions") or listed.get("DeleteMarkers")):
            found.holding_data.append(f"bucket {bucket} (uploaded files)")
    kms = aws.client("kms")
    for key in list(found.keys):
        try:
            state = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"]
        except ClientError:
            found.keys.remove(key)
            continue
        if state in ("PendingDeletion", "PendingReplicaDeletion"):
            found.keys.remove(key)
    return found


def _has_items(dynamodb, table: str) -> bool:
    page = dynamodb.scan(TableName=table, Limit=1)  # the operator's credentials: one item is enough to know
    return bool(page.get("Items")) or bool(page.get("LastEvaluatedKey"))


def cleanup_failed(aws, *, yes: bool = False) -> Leftovers:
    """Say what a failed first deploy left, and with `yes` remove it. Refuses if anything holds data."""
    found = find(aws)
    lines = found.lines()
    if not lines:
        say(f"Nothing to clean up for {aws.target.slug}: no failed stack and nothing kept from one.")
        return found
    if found.holding_data:
        raise DeployError(
            "These hold data, so nothing was removed: "
            + ", ".join(found.holding_data)
            + ". If the data matters, restore it into the next stack (docs/deploying.md, 'Restoring'); if it does "
            "not, delete it yourself first."
        )
    say(
        f"A failed first deploy of {aws.target.slug} left:"
        if found.stack
        else f"Kept from an earlier {aws.target.slug} stack:"
    )
    for line in lines:
        say(f"  - {line}")
    if not yes:
        say(f"Nothing removed yet. To remove all of this: make cleanup-failed SCHOOL={aws.target.slug} YES=1")
        return found
    remove(aws, found)
    say(f"Removed. `make deploy SCHOOL={aws.target.slug} …` can now create the stack again.")
    return found


def remove(aws, found: Leftovers) -> None:
    if found.stack:
        cloudformation = aws.client("cloudformation")
        stack = aws.target.stack_name
        site = found.buckets.get("SiteBucket")
        if site:  # versioned and regenerated by every deploy: CloudFormation cannot delete it while it has versions
            aws.empty_bucket(site)
        if found.stack != "REVIEW_IN_PROGRESS":
            cloudformation.update_termination_protection(EnableTerminationProtection=False, StackName=stack)
        cloudformation.delete_stack(StackName=stack)
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 90}
        )
        say(f"  deleted the stack {stack}")
    dynamodb = aws.client("dynamodb")
    for table in found.tables:
        dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
        dynamodb.delete_table(TableName=table)
        say(f"  deleted the table {table}")
    logs = aws.client("logs")
    for group in found.log_groups:
        logs.delete_log_group(logGroupName=group)
        say(f"  deleted the log group {group}")
    s3 = aws.client("s3")
    for logical, bucket in found.buckets.items():
        if logical == "SiteBucket":
            continue  # deleted with the stack
        aws.empty_bucket(bucket)
        s3.delete_bucket(Bucket=bucket)
        say(f"  deleted the bucket {bucket}")
    kms = aws.client("kms")
    for key in found.keys:
        kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=KEY_PENDING_DAYS)
        say(f"  scheduled the key {key} for deletion in {KEY_PENDING_DAYS} days")
