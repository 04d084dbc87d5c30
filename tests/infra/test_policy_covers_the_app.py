"""The API role is tight; is it tight enough to break the app? Every AWS call the API function makes in the main
flows (set password, sign in, add an incident with a file and a planner reminder, review, download, act, change
status, chronology, alerts, sign out) is recorded on moto, turned into the IAM action and resource AWS would
authorise, and checked against the role's policy in the packaged template. The tables are created from the
template too, so the app's queries run against the template's keys and indexes.

What this cannot prove: IAM's real evaluation (this is fnmatch over the resolved ARNs), and KMS, whose calls
DynamoDB and S3 make on the caller's behalf (see docs/deploying.md)."""

from __future__ import annotations

import fnmatch
import os
import re
from contextlib import contextmanager
from datetime import timedelta

import boto3
import pytest
import requests

from tests.infra.test_deploy import create_tables

ACCOUNT, REGION, SCHOOL = "123456789012", "eu-west-2", "themead"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def resolve(value, bucket: str) -> str:
    """A policy resource from the template as the ARN CloudFormation would make of it here."""
    names = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "SenderDomain": f"{SCHOOL}.example.org",
    }

    def arn_of(logical: str) -> str:
        if logical == "FilesBucket":
            return f"arn:aws:s3:::{bucket}"
        if logical.endswith("Table"):
            kind = re.sub(r"(?<!^)([A-Z])", r"-\1", logical.removesuffix("Table")).lower()
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/lantern-{SCHOOL}-{kind}"
        if logical == "Key":
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/the-school-key"
        if logical == "APIHandlerLogGroup":
            return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/lantern-{SCHOOL}-api:*"
        raise KeyError(logical)

    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return arn_of(value["Fn::GetAtt"][0])
    text = value["Fn::Sub"]
    text = re.sub(r"\$\{(\w+)\.Arn\}", lambda m: arn_of(m.group(1)), text)
    return re.sub(r"\$\{([\w:]+)\}", lambda m: names[m.group(1)], text)


def allowed(policies: list[dict], action: str, resource: str, bucket: str) -> bool:
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if action in actions and any(fnmatch.fnmatchcase(resource, resolve(r, bucket)) for r in resources):
                return True
    return False


def table_arn(name: str, index: str | None = None) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}" + (f"/index/{index}" if index else "")


def authorisations(service: str, operation: str, params: dict) -> list[tuple[str, str]]:
    """(IAM action, resource) pairs AWS authorises for one API call."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            return [
                (f"dynamodb:{kinds[kind]}", table_arn(body["TableName"]))
                for item in params["TransactItems"]
                for kind, body in item.items()
            ]
        if operation == "BatchGetItem":
            return [("dynamodb:BatchGetItem", table_arn(name)) for name in params["RequestItems"]]
        return [(f"dynamodb:{operation}", table_arn(params["TableName"], params.get("IndexName")))]
    if service == "s3":
        action = {"HeadObject": "GetObject"}.get(operation, operation)
        return [(f"s3:{action}", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]
    if service == "ses":
        domain = re.search(r"@([^>\s]+)", params["Source"]).group(1)
        return [(f"ses:{operation}", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}")]
    return [(f"{service}:{operation}", "?")]


@pytest.fixture
def deployed_like(local_aws, monkeypatch, template):
    """The Mead on moto with the template's own tables, a files bucket, a verified domain; deployed-style cookies."""
    from tools import local_stack
    from tools.build_site import school_file

    requests.post(f"{local_aws.endpoint}/moto-api/reset", timeout=10).raise_for_status()
    local_stack.configure_school(str(school_file(SCHOOL)), f"https://{SCHOOL}.test", f"lantern-{SCHOOL}-")
    monkeypatch.delenv("LANTERN_LOCAL_HTTP")
    create_tables(template, SCHOOL)
    bucket = os.environ["LANTERN_FILES_BUCKET"]
    boto3.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    boto3.client("ses").verify_domain_identity(Domain=f"{SCHOOL}.example.org")
    return bucket


@contextmanager
def recording():
    import botocore.client

    calls: list[tuple[str, str, dict]] = []
    original = botocore.client.BaseClient._make_api_call

    def record(self, operation, params):
        calls.append((self.meta.service_model.service_name, operation, params))
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = record
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original


def test_every_call_of_the_main_flows_is_allowed_by_the_role(deployed_like, template):
    from chalice.test import Client

    from app import app
    from chalicelib.clock import utcnow
    from tests.functional.incident_data import make_people, safeguarding
    from tests.helpers import Api, sent_emails, session_cookie_for

    bucket = deployed_like
    people = make_people()  # admin work, not the API's
    with Client(app, stage_name="api") as client, recording() as calls:
        anonymous = Api(client)
        assert anonymous.post("/auth/forgot", {"email": people["teacher"].email}).status_code == 202
        token = re.search(r"#token=([A-Za-z0-9_-]+)", sent_emails()[-1].body).group(1)
        password = "correct horse battery staple lantern"
        assert anonymous.post("/auth/set-password", {"token": token, "password": password}).status_code == 200
        login = anonymous.post("/auth/login", {"email": people["teacher"].email, "password": password})
        assert login.status_code == 200
        teacher = Api(client, login.headers["set-cookie"].split(";")[0])
        assert teacher.get("/me").status_code == 200
        assert teacher.get("/roster").status_code == 200
        start = teacher.post("/uploads", {"name": "arm.png", "type": "image/png", "size": len(PNG)})
        assert start.status_code == 201
        sent = requests.post(start.data["url"], data=start.data["fields"], files={"file": ("arm.png", PNG)}, timeout=10)
        assert sent.status_code in (200, 204)
        body = safeguarding(
            people,
            upload_ids=[start.data["upload_id"]],
            planner={"date": (utcnow() + timedelta(days=2)).date().isoformat(), "time": "09:00", "note": "Check in"},
        )
        added = teacher.post("/incidents", body)
        assert added.status_code == 201, added.data
        dsl = Api(client, session_cookie_for(people["dsl"]))
        alerts = dsl.get("/alerts").data["alerts"]
        incident_id = alerts[0]["incident_id"]
        assert dsl.get(f"/incidents/{incident_id}").status_code == 200
        assert dsl.get(f"/incidents/{incident_id}/files/0").status_code == 200
        action = {"text": "Phone call.", "date": "2026-11-27", "tagged_ids": [people["teacher"].staff_id]}
        assert dsl.post(f"/incidents/{incident_id}/actions", action).status_code == 200
        status = {"status": "Closed", "decision": "No further action", "reason": "Resolved"}
        assert dsl.post(f"/incidents/{incident_id}/status", status).status_code == 200
        assert dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology").status_code == 200
        assert dsl.post("/alerts/read", {"incident_id": incident_id}).status_code == 200
        assert teacher.post("/auth/logout").status_code == 200

    policies = template["Resources"]["APIHandlerRole"]["Properties"]["Policies"]
    needed = {pair for service, operation, params in calls for pair in authorisations(service, operation, params)}
    # The browser's presigned POST is authorised as the role that signed it: PutObject, with the tagging field.
    upload = f"arn:aws:s3:::{bucket}/uploads/{people['teacher'].staff_id}/{start.data['upload_id']}"
    needed |= {("s3:PutObject", upload), ("s3:PutObjectTagging", upload)}
    refused = sorted(pair for pair in needed if not allowed(policies, *pair, bucket))
    assert refused == []
    actions = {action for action, _ in needed}
    assert {"dynamodb:TransactWriteItems", "dynamodb:Scan"}.isdisjoint(actions)
    for expected in (
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "s3:GetObject",
        "ses:SendEmail",
    ):
        assert expected in actions  # the flows really went through these paths
    # and the checker is not vacuous: what the role must not do is refused
    staff_table = table_arn(f"lantern-{SCHOOL}-staff")
    assert not allowed(policies, "dynamodb:Scan", staff_table, bucket)
    assert not allowed(policies, "dynamodb:DeleteItem", table_arn(f"lantern-{SCHOOL}-audit"), bucket)
    assert not allowed(policies, "dynamodb:GetItem", table_arn("lantern-rivermead-staff"), bucket)
    assert not allowed(policies, "s3:GetObject", f"arn:aws:s3:::{bucket}/other/key", bucket)
