"""The deploy command's AWS steps: on moto's server where moto supports them (S3, SES, DynamoDB, CloudFront, STS,
CloudWatch Logs), and with botocore's Stubber for CloudFormation, which moto cannot run for this template."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.stub import ANY, Stubber

from infra import build
from infra.deploy import Deployer, DeployError, compare_templates, covers, deploy
from tools import build_site

ROOT = Path(__file__).resolve().parents[2]
STACK = "lantern-castlemeadtrowbridge"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-0000-4000-8000-00000000abcd"
DOMAIN = "castlemeadtrowbridge.example.org"
NOW = datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC)


@pytest.fixture
def target():
    return build.validate("castlemeadtrowbridge")


def offline_deployer(target) -> Deployer:
    """A Deployer whose clients are only ever stubbed (fake credentials; nothing can leave the process)."""
    session = boto3.session.Session(
        aws_access_key_id="stubbed", aws_secret_access_key="stubbed", region_name=target.region
    )
    return Deployer(target, session)


def stubbed(deployer: Deployer, service: str, region: str | None = None) -> Stubber:
    stubber = Stubber(deployer.client(service, region))
    stubber.activate()
    return stubber


def stack(status: str, outputs: dict | None = None) -> dict:
    described = {"StackName": STACK, "CreationTime": NOW, "StackStatus": status}
    if outputs:
        described["Outputs"] = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
    return {"Stacks": [described]}


def parameters(create_ses):
    return [
        {"ParameterKey": "School", "ParameterValue": "castlemeadtrowbridge"},
        {"ParameterKey": "SchoolHost", "ParameterValue": "castlemeadtrowbridge.lantern.example.org"},
        {"ParameterKey": "SenderDomain", "ParameterValue": DOMAIN},
        {"ParameterKey": "CertificateArn", "ParameterValue": CERTIFICATE},
        {"ParameterKey": "CreateSesIdentity", "UsePreviousValue": True}
        if create_ses is None
        else {"ParameterKey": "CreateSesIdentity", "ParameterValue": create_ses},
        {"ParameterKey": "AlarmEmail", "ParameterValue": "it-alerts@trust.example.org"},
    ]


@contextmanager
def patch_waits():
    """CloudFormation's waiters without their delays."""
    from infra.deploy import stack as module

    saved = dict(module.STACK_WAIT), dict(module.CHANGE_SET_WAIT)
    module.STACK_WAIT["Delay"] = module.CHANGE_SET_WAIT["Delay"] = 0
    try:
        yield
    finally:
        module.STACK_WAIT.update(saved[0])
        module.CHANGE_SET_WAIT.update(saved[1])


# --- CloudFormation by change set (Stubber) ------------------------------------------------------------------


def change(action: str, name: str, kind: str, replacement: str = "False", because: str = "") -> dict:
    resource = {"Action": action, "LogicalResourceId": name, "ResourceType": kind}
    if action == "Modify":
        resource["Replacement"] = replacement
        if because:
            resource["Details"] = [{"Target": {"Name": because, "RequiresRecreation": "Always"}}]
    return {"Type": "Resource", "ResourceChange": resource}


def expect_change_set(cfn, kind: str, changes: list[dict], parameters=ANY) -> None:
    """create_change_set, its waiter's describe, then the listing's describe."""
    cfn.add_response(
        "create_change_set",
        {"Id": "arn:cs", "StackId": "arn:stack"},
        {
            "StackName": STACK,
            "ChangeSetName": ANY,
            "ChangeSetType": kind,
            "TemplateURL": ANY,
            "Parameters": parameters,
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            "Tags": [
                {"Key": "lantern:school", "Value": "castlemeadtrowbridge"},
                {"Key": "lantern:commit", "Value": "abc123def456"},
            ],
            "Description": ANY,
        },
    )
    described = {"Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE", "Changes": changes}
    cfn.add_response("describe_change_set", described, {"StackName": STACK, "ChangeSetName": ANY})
    cfn.add_response("describe_change_set", described, {"StackName": STACK, "ChangeSetName": ANY})


def apply(aws, existing, template=None, **options):
    template = template or {
        "Resources": {"IncidentsTable": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain"}}
    }
    return aws.apply("https://bucket/t.json", CERTIFICATE, existing, template, commit="abc123def456", **options)


def test_first_deploy_creates_the_stack_by_change_set_and_protects_it(target, capsys):
    aws = offline_deployer(target)
    ses = stubbed(aws, "sesv2")
    ses.add_client_error("get_email_identity", "NotFoundException", http_status_code=404)
    cfn = stubbed(aws, "cloudformation")
    expect_change_set(cfn, "CREATE", [change("Add", "IncidentsTable", "AWS::DynamoDB::Table")], parameters("true"))
    cfn.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    cfn.add_response("describe_stacks", stack("CREATE_IN_PROGRESS"), {"StackName": STACK})
    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE"), {"StackName": STACK})
    cfn.add_response("update_termination_protection", {}, {"StackName": STACK, "EnableTerminationProtection": True})
    with patch_waits():
        assert apply(aws, None) == "created"
    cfn.assert_no_pending_responses()
    ses.assert_no_pending_responses()
    assert "+ IncidentsTable (AWS::DynamoDB::Table)" in capsys.readouterr().out


def test_an_existing_sending_domain_is_not_created_again(target):
    aws = offline_deployer(target)
    ses = stubbed(aws, "sesv2")
    ses.add_response("get_email_identity", {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": True})
    cfn = stubbed(aws, "cloudformation")
    expect_change_set(cfn, "CREATE", [], parameters("false"))
    cfn.add_response("execute_change_set", {})
    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE"), {"StackName": STACK})
    cfn.add_response("update_termination_protection", {})
    assert apply(aws, None) == "created"
    cfn.assert_no_pending_responses()


def test_a_rerun_updates_the_stack_keeping_its_ses_choice(target, capsys):
    aws = offline_deployer(target)
    cfn = stubbed(aws, "cloudformation")
    changes = [
        change("Modify", "APIHandler", "AWS::Lambda::Function"),
        change("Add", "Api5xxAlarm", "AWS::CloudWatch::Alarm"),
    ]
    expect_change_set(cfn, "UPDATE", changes, parameters(None))  # the stack keeps its own choice about SES
    cfn.add_response("execute_change_set", {})
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    assert apply(aws, stack("CREATE_COMPLETE")["Stacks"][0]) == "updated"
    cfn.assert_no_pending_responses()
    said = capsys.readouterr().out
    assert "change set lantern-" in said and "2 change(s)" in said
    assert "~ APIHandler (AWS::Lambda::Function)" in said and "+ Api5xxAlarm" in said


def test_a_rerun_with_nothing_to_change_is_a_success(target):
    aws = offline_deployer(target)
    cfn = stubbed(aws, "cloudformation")
    cfn.add_response("create_change_set", {"Id": "arn:cs"})
    failed = {
        "Status": "FAILED",
        "StatusReason": "The submitted information didn't contain changes. Submit different information to create "
        "a change set.",
    }
    cfn.add_response("describe_change_set", failed)  # the waiter
    cfn.add_response("describe_change_set", failed)
    cfn.add_response("delete_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    assert apply(aws, stack("UPDATE_COMPLETE")["Stacks"][0]) == "unchanged"
    cfn.assert_no_pending_responses()


def test_replacing_a_kept_table_is_refused_before_anything_changes(target):
    aws = offline_deployer(target)
    cfn = stubbed(aws, "cloudformation")
    replaced = change("Modify", "IncidentsTable", "AWS::DynamoDB::Table", "True", because="KeySchema")
    expect_change_set(cfn, "UPDATE", [replaced, change("Modify", "APIHandler", "AWS::Lambda::Function")])
    cfn.add_response("delete_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})  # never executed
    with pytest.raises(DeployError) as stopped:
        apply(aws, stack("UPDATE_COMPLETE")["Stacks"][0])
    cfn.assert_no_pending_responses()
    message = str(stopped.value)
    assert "Stopped before changing anything" in message
    assert "IncidentsTable (AWS::DynamoDB::Table) would be replaced (because of KeySchema)" in message
    assert "ALLOW_REPLACE=1" in message

    expect_change_set(cfn, "UPDATE", [replaced])  # told: it goes ahead
    cfn.add_response("execute_change_set", {})
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    assert apply(aws, stack("UPDATE_COMPLETE")["Stacks"][0], allow_replace=True) == "updated"
    cfn.assert_no_pending_responses()


def test_removing_a_kept_resource_is_refused_too(target):
    from infra.deploy.stack import refused_changes

    kept = {"LogsBucket": "AWS::S3::Bucket"}
    assert refused_changes([change("Remove", "LogsBucket", "AWS::S3::Bucket")], kept) == [
        "LogsBucket (AWS::S3::Bucket) would be removed from the stack (kept, orphaned)"
    ]
    assert refused_changes([change("Modify", "LogsBucket", "AWS::S3::Bucket", "Conditional")], kept)
    assert refused_changes([change("Modify", "Distribution", "AWS::CloudFront::Distribution", "True")], kept) == []


def event(name: str, status: str, reason: str, seconds: int) -> dict:
    return {
        "StackId": "x",
        "EventId": f"{name}-{seconds}",
        "StackName": STACK,
        "Timestamp": datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds),
        "LogicalResourceId": name,
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
    }


def test_a_failed_update_names_its_first_real_cause_and_that_it_rolled_back(target):
    aws = offline_deployer(target)
    cfn = stubbed(aws, "cloudformation")
    expect_change_set(cfn, "UPDATE", [change("Modify", "Distribution", "AWS::CloudFront::Distribution")])
    cfn.add_response("execute_change_set", {})
    cfn.add_response("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"), {"StackName": STACK})
    cause = "The certificate that is attached to your distribution doesn't cover the alternate domain name"
    events = [  # newest first, as CloudFormation lists them
        event("SendOutbox", "UPDATE_FAILED", "Resource update cancelled", 30),
        event("Distribution", "UPDATE_FAILED", cause, 20),
        event("APIHandler", "UPDATE_COMPLETE", "", 10),
    ]
    cfn.add_response("describe_stack_events", {"StackEvents": events}, {"StackName": STACK})
    with pytest.raises(DeployError) as stopped:
        apply(aws, stack("UPDATE_COMPLETE")["Stacks"][0])
    lines = str(stopped.value).splitlines()
    assert lines[1] == f"  Distribution: {cause}"
    assert not any("cancelled" in line for line in lines)
    assert "rolled back" in lines[-1]


def test_a_stack_that_does_not_exist_is_none_and_other_errors_are_raised(target):
    aws = offline_deployer(target)
    cfn = stubbed(aws, "cloudformation")
    cfn.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")
    cfn.add_client_error("describe_stacks", "AccessDenied", "not allowed", http_status_code=403)
    assert aws.stack() is None
    with pytest.raises(Exception, match="not allowed"):
        aws.stack()


def test_the_certificate_is_found_in_us_east_1(target):
    aws = offline_deployer(target)
    acm = stubbed(aws, "acm", "us-east-1")
    acm.add_response(
        "list_certificates",
        {
            "CertificateSummaryList": [
                {"CertificateArn": CERTIFICATE.replace("abcd", "ffff"), "DomainName": "themead.lantern.example.org"},
                {
                    "CertificateArn": CERTIFICATE,
                    "DomainName": "lantern.example.org",
                    "SubjectAlternativeNameSummaries": ["lantern.example.org", "*.lantern.example.org"],
                },
            ]
        },
        {"CertificateStatuses": ["ISSUED"]},
    )
    assert aws.find_certificate() == CERTIFICATE
    acm.add_response("list_certificates", {"CertificateSummaryList": []}, {"CertificateStatuses": ["ISSUED"]})
    with pytest.raises(DeployError, match="No issued ACM certificate in us-east-1 covers"):
        aws.find_certificate()


def test_wildcards_cover_one_label_only():
    assert covers(["*.lantern.example.org"], "themead.lantern.example.org")
    assert not covers(["*.example.org"], "themead.lantern.example.org")
    assert covers(["themead.lantern.example.org"], "themead.lantern.example.org")
    assert not covers(["lantern.example.org"], "themead.lantern.example.org")


def test_plan_compare_reads_the_deployed_template(target):
    aws = offline_deployer(target)
    cfn = stubbed(aws, "cloudformation")
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    body = {"Resources": {"A": {"Type": "T"}}}
    cfn.add_response(
        "get_template", {"TemplateBody": json.dumps(body)}, {"StackName": STACK, "TemplateStage": "Original"}
    )
    assert aws.deployed_template() == body
    cfn.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")
    assert aws.deployed_template() is None


def test_plan_compares_resources_not_code():
    old = {"Resources": {"A": {"Type": "T", "Properties": {"CodeUri": "s3://x/1.zip", "M": 1}}, "Gone": {"Type": "G"}}}
    new = {"Resources": {"A": {"Type": "T", "Properties": {"CodeUri": "./deployment.zip", "M": 1}}, "B": {"Type": "T"}}}
    assert compare_templates(old, new) == ["+ B (T)", "- Gone (G)"]
    new["Resources"]["A"]["Properties"]["M"] = 2
    assert "~ A (T)" in compare_templates(old, new)


# --- the other AWS steps, on moto's server ------------------------------------------------------------------


def create_tables(template: dict, school: str = "castlemeadtrowbridge") -> None:
    """Create in moto the tables exactly as the packaged template defines them (moto's CloudFormation cannot run
    this template), so the app's code below runs against the template's keys and indexes, not its own."""
    dynamodb = boto3.client("dynamodb")
    for table in template["Resources"].values():
        if table["Type"] != "AWS::DynamoDB::Table":
            continue
        p = table["Properties"]
        name = p["TableName"]["Fn::Sub"].replace("${School}", school)
        extra = {"GlobalSecondaryIndexes": p["GlobalSecondaryIndexes"]} if "GlobalSecondaryIndexes" in p else {}
        if "StreamSpecification" in p:
            extra["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        dynamodb.create_table(
            TableName=name,
            KeySchema=p["KeySchema"],
            AttributeDefinitions=p["AttributeDefinitions"],
            BillingMode=p["BillingMode"],
            DeletionProtectionEnabled=p["DeletionProtectionEnabled"],
            **extra,
        )
        if "TimeToLiveSpecification" in p:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=p["TimeToLiveSpecification"])


def create_distribution(region="us-east-1") -> dict:
    cloudfront = boto3.client("cloudfront", region_name=region)
    return cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "Lantern castlemeadtrowbridge",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": "site.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
            },
        }
    )["Distribution"]


def test_site_upload_types_caching_and_reruns(moto, target, packaged):
    aws = Deployer(target)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="site-bucket", CreateBucketConfiguration={"LocationConstraint": target.region})
    files = sorted(p for p in packaged.site.rglob("*") if p.is_file())
    assert aws.upload_site(packaged.site, "site-bucket") == (len(files), 0, 0)
    page = s3.head_object(Bucket="site-bucket", Key="add-incident.html")
    assert page["ContentType"] == "text/html; charset=utf-8" and page["CacheControl"] == "no-cache"
    api_module = build_site.built_name(packaged.site, "js/api.js").lstrip("/")  # js/api.<hash of its content>.js
    script = s3.head_object(Bucket="site-bucket", Key=api_module)
    assert (
        script["ContentType"] == "text/javascript" and script["CacheControl"] == "public, max-age=31536000, immutable"
    )
    worker = s3.head_object(Bucket="site-bucket", Key="sw.js")  # browsers look for it by name: always revalidated
    assert worker["ContentType"] == "text/javascript" and worker["CacheControl"] == "no-cache"
    assert (
        s3.head_object(Bucket="site-bucket", Key="manifest.webmanifest")["ContentType"] == "application/manifest+json"
    )
    assert s3.head_object(Bucket="site-bucket", Key="icons/lantern.svg")["ContentType"] == "image/svg+xml"
    s3.put_object(Bucket="site-bucket", Key="old-page.html", Body=b"gone")
    assert aws.upload_site(packaged.site, "site-bucket") == (0, len(files), 1)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="site-bucket")["Contents"]}
    assert keys == {p.relative_to(packaged.site).as_posix() for p in files}


def test_package_upload_to_a_private_tls_only_deploy_bucket(moto, target, packaged):
    aws = Deployer(target)
    aws.whoami()
    bucket = aws.artifacts_bucket()
    assert bucket == f"lantern-deploy-{aws.account}-eu-west-2"
    assert aws.artifacts_bucket() == bucket  # a re-run finds it and re-applies its settings
    s3 = aws.client("s3")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert '"aws:SecureTransport": "false"' in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    with pytest.raises(S3UploadFailedError, match="Forbidden"):  # moto honours the policy: this is plain HTTP
        aws.upload_package(packaged, bucket)
    s3.delete_bucket_policy(Bucket=bucket)  # as if over HTTPS, as boto3 always is against AWS
    url = aws.upload_package(packaged, bucket)
    assert url.startswith(f"https://{bucket}.s3.eu-west-2.amazonaws.com/castlemeadtrowbridge/")
    key = url.split(".amazonaws.com/", 1)[1]
    uploaded = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    code = uploaded["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    assert code == {"Bucket": bucket, "Key": f"castlemeadtrowbridge/{packaged.zip_sha256()}.zip"}
    assert s3.head_object(Bucket=bucket, Key=code["Key"])["ContentLength"] == packaged.zip_path.stat().st_size
    assert uploaded["Resources"].keys() == packaged.template["Resources"].keys()


def test_ses_and_the_first_admin_created_once_and_emailed(moto, target, template):
    from tools.local_stack import sent_emails

    aws = Deployer(target)
    assert aws.ses_identity_exists() is False
    aws.client("sesv2").create_email_identity(EmailIdentity=DOMAIN)  # what the stack's SesIdentity does
    assert aws.ses_identity_exists() is True
    can_send, records = aws.email_status()
    assert can_send is True
    create_tables(template)  # what the stack's tables are, here
    with pytest.raises(DeployError, match="ADMIN_EMAIL"):
        aws.first_admin(None, None, can_send)
    said = aws.first_admin("IT.Lead@castlemeadtrowbridge.example.org", "Ann Admin", can_send)
    assert said.startswith("created the admin account it.lead@castlemeadtrowbridge.example.org and emailed")
    (mail,) = sent_emails("eu-west-2")
    assert mail.destinations["ToAddresses"] == ["it.lead@castlemeadtrowbridge.example.org"]
    assert "lantern@castlemeadtrowbridge.example.org" in mail.source
    assert "https://castlemeadtrowbridge.lantern.example.org/set-password.html#token=" in mail.body
    assert "already has 1 admin" in aws.first_admin("someone.else@castlemeadtrowbridge.example.org", "B", can_send)
    assert len(sent_emails("eu-west-2")) == 1
    from chalicelib.models import Staff

    (admin,) = [s for s in Staff.in_directory.query("active")]
    assert (admin.role, admin.name) == ("admin", "Ann Admin")


def test_an_email_ses_refuses_is_reported_and_left_in_the_outbox(moto, target, template):
    """The link goes through the outbox; deploy sends it at once, so SES's refusal (the sandbox) is reported here."""
    from chalicelib import outbox
    from tools.local_stack import sent_emails

    create_tables(template)  # no SES identity: SES refuses to send from the domain
    said = Deployer(target).first_admin("it@castlemeadtrowbridge.example.org", "Ann Admin", can_send=True)
    assert said.startswith("created the admin account it@castlemeadtrowbridge.example.org, but SES refused")
    assert "MessageRejected" in said and "In the SES sandbox the recipient must be verified too" in said
    assert sent_emails("eu-west-2") == []
    (waiting,) = outbox.OutboxItem.waiting.query(outbox.PENDING)  # the stack's sweep tries again later
    assert (waiting.template, waiting.attempts) == ("set_password", 1)


def test_the_admin_is_created_without_email_until_ses_can_send(moto, target, template):
    from tools.local_stack import sent_emails

    create_tables(template)
    said = Deployer(target).first_admin("it@castlemeadtrowbridge.example.org", "Ann Admin", can_send=False)
    assert "no email yet: SES has not verified castlemeadtrowbridge.example.org" in said
    assert sent_emails("eu-west-2") == []


def test_leftover_tables_and_log_groups_are_found_before_a_create(moto, target):
    aws = Deployer(target)
    assert aws.leftovers() == []
    dynamodb = aws.client("dynamodb")
    for name in ("lantern-themead-staff", "lantern-castlemeadtrowbridge-audit"):  # another school's, and one kept
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    logs = aws.client("logs")
    for name in ("castlemeadtrowbridge-api", "castlemeadtrowbridge-outbox-sweep", "castlemeadtrowbridgex-api"):
        logs.create_log_group(logGroupName=f"/aws/lambda/lantern-{name}")  # the last: another school's
    assert aws.leftovers() == [
        "table lantern-castlemeadtrowbridge-audit",
        "log group /aws/lambda/lantern-castlemeadtrowbridge-api",
        "log group /aws/lambda/lantern-castlemeadtrowbridge-outbox-sweep",
    ]


def test_cdn_invalidation(moto, target):
    distribution = create_distribution()
    aws = Deployer(target)
    invalidation = aws.invalidate(distribution["Id"])
    listed = aws.client("cloudfront", "us-east-1").list_invalidations(DistributionId=distribution["Id"])
    assert [i["Id"] for i in listed["InvalidationList"]["Items"]] == [invalidation]
    got = aws.client("cloudfront", "us-east-1").get_invalidation(DistributionId=distribution["Id"], Id=invalidation)
    assert got["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]


# --- the whole command, twice -------------------------------------------------------------------------------


def test_deploy_then_rerun_is_a_safe_update(moto, target, packaged, capsys, monkeypatch):
    """First deploy creates the stack (Stubber, by change set) and everything after it runs on moto; the re-run
    changes nothing. Preflight has its own tests (test_preflight.py): here it finds all well."""
    from infra.deploy import preflight, run
    from infra.deploy import stack as module
    from tools.local_stack import sent_emails

    # moto's server is plain HTTP, which the deploy bucket's TLS-only policy refuses (see the test above).
    monkeypatch.setattr(module, "tls_only_policy", lambda bucket: {"Version": "2012-10-17", "Statement": []})
    monkeypatch.setattr(preflight, "preflight", lambda aws, **_: [preflight.Finding("all", preflight.OK, "well")])
    monkeypatch.setattr(run, "commit", lambda: "abc123def456")

    distribution = create_distribution()
    region = target.region
    s3 = boto3.client("s3", region_name=region)
    for bucket in ("lantern-cmt-sitebucket-1", "lantern-cmt-filesbucket-1"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    outputs = {
        "SiteBucketName": "lantern-cmt-sitebucket-1",
        "FilesBucketName": "lantern-cmt-filesbucket-1",
        "DistributionId": distribution["Id"],
        "DistributionDomainName": distribution["DomainName"],
        "SchoolUrl": "https://castlemeadtrowbridge.lantern.example.org",
    }

    def what_the_stack_creates(**_):
        create_tables(packaged.template)
        boto3.client("sesv2", region_name=region).create_email_identity(EmailIdentity=DOMAIN)

    aws = Deployer(target)
    cfn = stubbed(aws, "cloudformation")
    aws.client("cloudformation").meta.events.register(
        "after-call.cloudformation.ExecuteChangeSet", what_the_stack_creates
    )
    aws.whoami()
    cfn.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")
    with pytest.raises(DeployError, match="first deploy: give its first admin"):
        deploy("castlemeadtrowbridge", certificate_arn=CERTIFICATE, package=packaged, aws=aws)

    cfn.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")
    expect_change_set(cfn, "CREATE", [change("Add", "IncidentsTable", "AWS::DynamoDB::Table")])
    cfn.add_response("execute_change_set", {})
    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE"), {"StackName": STACK})
    cfn.add_response("update_termination_protection", {})
    live = {"Resources": {"APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": {}}}}}
    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE", outputs), {"StackName": STACK})
    cfn.add_response("get_template", {"TemplateBody": json.dumps(live)})
    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE", outputs), {"StackName": STACK})
    first = deploy(
        "castlemeadtrowbridge",
        admin_email="it@castlemeadtrowbridge.example.org",
        admin_name="Ann Admin",
        certificate_arn=CERTIFICATE,
        package=packaged,
        aws=aws,
    )
    assert first == outputs
    said = capsys.readouterr().out
    assert "8. Creating the stack lantern-castlemeadtrowbridge (commit abc123def456) by change set" in said
    assert "stack created" in said
    assert "created the admin account it@castlemeadtrowbridge.example.org and emailed" in said
    assert (
        said.rstrip()
        .splitlines()[-2]
        .endswith("Castle Mead Trowbridge: https://castlemeadtrowbridge.lantern.example.org")
    )
    assert len(sent_emails(region)) == 1
    assert s3.list_objects_v2(Bucket="lantern-cmt-sitebucket-1")["KeyCount"] > 30
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    assert cloudfront.list_invalidations(DistributionId=distribution["Id"])["InvalidationList"]["Quantity"] == 1

    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE", outputs), {"StackName": STACK})
    cfn.add_response("create_change_set", {"Id": "arn:cs"})
    nothing = {"Status": "FAILED", "StatusReason": "The submitted information didn't contain changes."}
    cfn.add_response("describe_change_set", nothing)
    cfn.add_response("describe_change_set", nothing)
    cfn.add_response("delete_change_set", {})
    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE", outputs), {"StackName": STACK})
    cfn.add_response("get_template", {"TemplateBody": json.dumps(live)})
    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE", outputs), {"StackName": STACK})
    again = deploy("castlemeadtrowbridge", certificate_arn=CERTIFICATE, package=packaged, aws=aws)
    assert again == outputs
    said = capsys.readouterr().out
    assert "8. Updating the stack" in said and "already up to date" in said
    assert " 0 uploaded, " in said and " 0 deleted" in said
    assert "already has 1 admin account(s); none created" in said
    assert len(sent_emails(region)) == 1
    cfn.assert_no_pending_responses()


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "ROLLBACK_FAILED"])
def test_a_failed_first_deploy_is_explained_with_its_cause_not_retried(
    moto, target, packaged, status, monkeypatch, capsys
):
    from infra.deploy import preflight

    monkeypatch.setattr(preflight, "preflight", lambda aws, **_: [])
    aws = Deployer(target)
    cfn = stubbed(aws, "cloudformation")
    cfn.add_response("describe_stacks", stack(status), {"StackName": STACK})
    events = [event("FilesBucket", "CREATE_FAILED", "Resource creation cancelled", 9)]
    events.append(event("Distribution", "CREATE_FAILED", "Your account must be verified", 5))
    cfn.add_response("describe_stack_events", {"StackEvents": events})
    with pytest.raises(DeployError, match=r"make cleanup-failed SCHOOL=castlemeadtrowbridge"):
        deploy("castlemeadtrowbridge", certificate_arn=CERTIFICATE, package=packaged, aws=aws)
    said = capsys.readouterr().out
    assert f"is {status}. What went wrong:" in said and "Distribution: Your account must be verified" in said
    assert "cancelled" not in said


# --- plan, as `make plan` runs it, with no credentials at all ----------------------------------------------------


def test_plan_works_without_credentials(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run(  # checkov has its own test (test_lint.py); this one is about AWS
        [sys.executable, "-m", "infra.deploy", "plan", "--school", "castlemeadtrowbridge", "--skip-checkov"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "no AWS call is made" in out
    assert "Lantern's checks: 0 problem(s)" in out and "cfn-lint: 0 finding(s)" in out
    assert "lantern-castlemeadtrowbridge-incident-events; PITR; deletion protection; KMS (school key)" in out
    assert out.rstrip().splitlines()[-1].startswith("Plan OK: 62 resources")


def test_deploy_without_credentials_stops_with_a_clear_message(tmp_path, target, packaged, monkeypatch):
    from infra.deploy import cli, planning

    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(planning, "prepare", lambda slug, checkov_path: packaged)
    assert cli.main(["deploy", "--school", "castlemeadtrowbridge"]) == 1


def test_settings_a_deployed_school_cannot_use_are_refused(tmp_path):
    original = (ROOT / "infra/schools/castlemeadtrowbridge.toml").read_text()
    school = tmp_path / "castlemeadtrowbridge.toml"
    school.write_text(original.replace('.lantern.example.org"', '.lantern.example.org:8443"', 1))
    with pytest.raises(build.BuildError, match="served on port 443"):
        build.validate("castlemeadtrowbridge", schools=tmp_path)
    school.write_text(original.replace('slug = "castlemeadtrowbridge"', 'slug = "castlemead"'))
    with pytest.raises(build.BuildError, match="must match the file name"):
        build.validate("castlemeadtrowbridge", schools=tmp_path)


def test_the_chalice_config_must_not_autogenerate_policies(tmp_path):
    (tmp_path / ".chalice").mkdir()
    config = json.loads((ROOT / ".chalice/config.json").read_text())
    build.check_chalice_config(ROOT)
    config["autogen_policy"] = True
    config["stages"]["api"]["environment_variables"]["LANTERN_SETTINGS"] = "infra/schools/themead.toml"
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    with pytest.raises(build.BuildError) as stopped:
        build.check_chalice_config(tmp_path)
    assert '"autogen_policy" must be false' in str(stopped.value)
    assert "LANTERN_SETTINGS must name a file inside chalicelib/" in str(stopped.value)
