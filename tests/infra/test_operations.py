"""Running the trust's stacks: cleanup of a failed first deploy (moto, with CloudFormation on the Stubber),
plan-all/deploy-all stopping at the first failure, status, logs."""

from __future__ import annotations

import time

import boto3
import pytest

from infra.deploy import cleanup, logs, trust
from infra.deploy.aws import Deployer
from infra.deploy.base import DeployError
from tests.infra.test_deploy import STACK, offline_deployer, stack, stubbed

SCHOOL = "castlemeadtrowbridge"


@pytest.fixture
def target():
    from infra import build

    return build.validate(SCHOOL)


def kept_from_a_failed_deploy(region: str) -> dict[str, str]:
    """What CloudFormation keeps when a first deploy rolls back: a protected table, a log group, the key, buckets."""
    dynamodb = boto3.client("dynamodb", region_name=region)
    dynamodb.create_table(
        TableName=f"lantern-{SCHOOL}-incidents",
        KeySchema=[{"AttributeName": "incident_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "incident_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        DeletionProtectionEnabled=True,
    )
    boto3.client("logs", region_name=region).create_log_group(logGroupName=f"/aws/lambda/lantern-{SCHOOL}-api")
    key = boto3.client("kms", region_name=region).create_key()["KeyMetadata"]["KeyId"]
    s3 = boto3.client("s3", region_name=region)
    for bucket in ("cmt-files", "cmt-logs", "cmt-site"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="cmt-site", Key="index.html", Body=b"<p>")
    s3.put_object(Bucket="cmt-site", Key="index.html", Body=b"<p>2")
    return {"key": key}


def stack_resources(cfn, key: str) -> None:
    summaries = [
        {
            "LogicalResourceId": logical,
            "PhysicalResourceId": physical,
            "ResourceType": kind,
            "LastUpdatedTimestamp": "2026-12-01T00:00:00Z",
            "ResourceStatus": "DELETE_SKIPPED",
        }
        for logical, physical, kind in (
            ("FilesBucket", "cmt-files", "AWS::S3::Bucket"),
            ("LogsBucket", "cmt-logs", "AWS::S3::Bucket"),
            ("SiteBucket", "cmt-site", "AWS::S3::Bucket"),
            ("Key", key, "AWS::KMS::Key"),
        )
    ]
    cfn.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": STACK})


def test_cleanup_lists_first_then_removes_what_a_failed_first_deploy_left(moto, target, capsys):
    kept = kept_from_a_failed_deploy(target.region)
    aws = Deployer(target)
    cfn = stubbed(aws, "cloudformation")
    cfn.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"), {"StackName": STACK})
    stack_resources(cfn, kept["key"])
    found = cleanup.cleanup_failed(aws)  # no YES: it only says
    said = capsys.readouterr().out
    assert "the stack, ROLLBACK_COMPLETE (termination protection turned off first)" in said
    assert f"table lantern-{SCHOOL}-incidents (deletion protection turned off first; it is empty)" in said
    assert f"log group /aws/lambda/lantern-{SCHOOL}-api" in said
    assert f"KMS key {kept['key']}: scheduled for deletion in 7 days" in said
    assert f"make cleanup-failed SCHOOL={SCHOOL} YES=1" in said
    assert found.tables and boto3.client("dynamodb").list_tables()["TableNames"]  # nothing removed

    cfn.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"), {"StackName": STACK})
    stack_resources(cfn, kept["key"])
    cfn.add_response("update_termination_protection", {}, {"StackName": STACK, "EnableTerminationProtection": False})
    cfn.add_response("delete_stack", {}, {"StackName": STACK})
    cfn.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")  # waiter
    cleanup.cleanup_failed(aws, yes=True)
    cfn.assert_no_pending_responses()
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    assert boto3.client("logs").describe_log_groups()["logGroups"] == []
    assert boto3.client("kms").describe_key(KeyId=kept["key"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    buckets = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert {"cmt-files", "cmt-logs"}.isdisjoint(buckets)
    assert boto3.client("s3").list_object_versions(Bucket="cmt-site").get("Versions") is None  # emptied for CFN


def test_cleanup_refuses_when_a_table_or_the_files_bucket_holds_data(moto, target):
    kept = kept_from_a_failed_deploy(target.region)
    boto3.client("dynamodb").put_item(TableName=f"lantern-{SCHOOL}-incidents", Item={"incident_id": {"S": "1"}})
    boto3.client("s3").put_object(Bucket="cmt-files", Key="uploads/a/b", Body=b"x")
    aws = Deployer(target)
    cfn = stubbed(aws, "cloudformation")
    cfn.add_response("describe_stacks", stack("ROLLBACK_FAILED"), {"StackName": STACK})
    stack_resources(cfn, kept["key"])
    with pytest.raises(DeployError) as stopped:
        cleanup.cleanup_failed(aws, yes=True)
    assert f"table lantern-{SCHOOL}-incidents" in str(stopped.value) and "cmt-files (uploaded files)" in str(
        stopped.value
    )
    assert boto3.client("dynamodb").list_tables()["TableNames"] == [f"lantern-{SCHOOL}-incidents"]


def test_cleanup_never_touches_a_live_stack(target):
    aws = offline_deployer(target)
    cfn = stubbed(aws, "cloudformation")
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    with pytest.raises(DeployError, match="live school's stack"):
        cleanup.cleanup_failed(aws, yes=True)


def test_deploy_all_goes_in_order_and_stops_at_the_first_failure(capsys):
    done = []

    def deploy_one(slug: str) -> None:
        if slug == "castlemeadtrowbridge":
            raise DeployError("preflight found problems")
        done.append(slug)

    with pytest.raises(DeployError) as stopped:
        trust.each_school(deploy_one, ("themead", "castlemeadtrowbridge", "rivermead"))
    assert done == ["themead"]  # rivermead never started
    assert "castlemeadtrowbridge failed: preflight found problems" in str(stopped.value)
    assert "Done: themead. Not attempted: rivermead." in str(stopped.value)
    assert "=== 2/3: castlemeadtrowbridge ===" in capsys.readouterr().out


def test_plan_all_takes_the_trusts_schools_in_order():
    from infra import build

    assert build.trust().schools == ("themead", "castlemeadtrowbridge", "rivermead")
    seen = []
    trust.each_school(seen.append)
    assert seen == ["themead", "castlemeadtrowbridge", "rivermead"]


def test_status_shows_each_schools_commit_and_alarms(target, capsys):
    import datetime

    aws = offline_deployer(target)
    cfn = stubbed(aws, "cloudformation")
    described = stack("UPDATE_COMPLETE")
    described["Stacks"][0]["Tags"] = [{"Key": "lantern:commit", "Value": "abc123def456"}]
    described["Stacks"][0]["LastUpdatedTime"] = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
    cfn.add_response("describe_stacks", described, {"StackName": STACK})
    watch = stubbed(aws, "cloudwatch")
    alarm = {"AlarmName": f"{STACK}-emails-parked", "StateValue": "ALARM"}
    watch.add_response(
        "describe_alarms",
        {"MetricAlarms": [alarm], "CompositeAlarms": []},
        {"AlarmNamePrefix": f"{STACK}-", "StateValue": "ALARM"},
    )
    rows = trust.status([aws])
    assert rows[0] | {"school": SCHOOL} == {
        "school": SCHOOL,
        "region": "eu-west-2",
        "stack": "UPDATE_COMPLETE",
        "commit": "abc123def456",
        "updated": "2026-12-01 09:30 UTC",
        "alarms": ["emails-parked"],
    }
    trust.print_status(rows)
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith(SCHOOL) and "abc123def456" in line and line.endswith("ALARM: emails-parked")
    assert trust.health_of({**rows[0], "alarms": []}) == "ok"
    assert trust.health_of({**rows[0], "alarms": [], "stack": "ROLLBACK_COMPLETE"}).startswith("needs attention")


def test_logs_prints_a_functions_events_and_follows(moto, target):
    aws = Deployer(target)
    client = aws.client("logs")
    group = f"/aws/lambda/lantern-{SCHOOL}-outbox"
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    client.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now - 2000, "message": '{"level":"INFO","message":"sent"}'},
            {"timestamp": now - 1000, "message": '{"level":"ERROR","message":"email parked after repeated failures"}'},
        ],
    )
    printed = []
    assert logs.tail(aws, "outbox", since_minutes=5, out=printed.append) == 2
    assert printed[1].endswith('"email parked after repeated failures"}')
    printed.clear()
    assert logs.tail(aws, "outbox", since_minutes=5, pattern="ERROR", out=printed.append, follow=True, polls=1) == 1
    with pytest.raises(DeployError, match="choose one of api, outbox"):
        logs.log_group(SCHOOL, "web")
