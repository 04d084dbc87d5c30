"""The packaged template, checked for what cfn-lint and checkov do not check: each expectation written out here,
not derived from the code that generates the template."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import pytest

from chalicelib import security_headers
from infra import checks
from infra import template as merge

ROOT = Path(__file__).resolve().parents[2]

# Every table the app uses: keys, GSIs (key, projection, included attributes), TTL attribute.
EXPECTED_TABLES = {
    "staff": {
        "keys": [("staff_id", "HASH")],
        "indexes": {
            "by-email": ("email", "KEYS_ONLY", None),
            "directory": ("directory", "INCLUDE", {"name", "title", "role", "email"}),
        },
        "ttl": None,
    },
    "sessions": {
        "keys": [("token_hash", "HASH")],
        "indexes": {"by-staff": ("staff_id", "KEYS_ONLY", None)},
        "ttl": "expires_at",
    },
    "password-links": {"keys": [("token_hash", "HASH")], "indexes": {}, "ttl": "expires_at"},
    "throttle": {"keys": [("key", "HASH")], "indexes": {}, "ttl": "expires_at"},
    "pupils": {
        "keys": [("pupil_id", "HASH")],
        "indexes": {
            "roll": ("roll", "INCLUDE", {"preferred_name", "first_name", "last_name", "year_group", "class_name"})
        },
        "ttl": None,
    },
    "incidents": {
        "keys": [("incident_id", "HASH")],
        "indexes": {
            "open": ("open", "INCLUDE", {"reference", "state", "occurred_at"}),
            "by-month": (
                "report_month",
                "INCLUDE",
                {"reference", "state", "day", "session", "location", "pupil_id", "linked_pupil_ids", "pupil_groups"},
            ),
        },
        "ttl": None,
    },
    "chronology": {"keys": [("pupil_id", "HASH"), ("entry", "RANGE")], "indexes": {}, "ttl": None},
    "alerts": {
        "keys": [("staff_id", "HASH"), ("alert", "RANGE")],
        "indexes": {"open-work": ("open_work", "ALL", None)},
        "ttl": None,
    },
    "planner": {
        "keys": [("due_day", "HASH"), ("due", "RANGE")],
        "indexes": {"by-owner": ("staff_id", "ALL", None)},
        "ttl": None,
    },
    "incident-events": {"keys": [("incident_id", "HASH"), ("event", "RANGE")], "indexes": {}, "ttl": None},
    "audit": {"keys": [("subject", "HASH"), ("entry", "RANGE")], "indexes": {}, "ttl": None},
    "outbox": {
        "keys": [("outbox_id", "HASH")],
        "indexes": {"queue": ("queue", "ALL", None)},
        "ttl": "expires_at",
    },
    "jobs": {"keys": [("job", "HASH")], "indexes": {}, "ttl": None},
    "idempotency": {"keys": [("id", "HASH")], "indexes": {}, "ttl": "expiration"},
}
LOGICAL = {
    "staff": "StaffTable",
    "sessions": "SessionsTable",
    "password-links": "PasswordLinksTable",
    "throttle": "ThrottleTable",
    "pupils": "PupilsTable",
    "incidents": "IncidentsTable",
    "chronology": "ChronologyTable",
    "alerts": "AlertsTable",
    "planner": "PlannerTable",
    "incident-events": "IncidentEventsTable",
    "audit": "AuditTable",
    "outbox": "OutboxTable",
    "jobs": "JobsTable",
    "idempotency": "IdempotencyTable",
}
KEY_ARN = {"Fn::GetAtt": ["Key", "Arn"]}
# app.py's event functions: (its function name in the stack, its schedule or None for the outbox's stream).
EVENT_FUNCTIONS = {
    "SendOutbox": ("outbox", None),
    "SweepOutbox": ("outbox-sweep", "rate(2 minutes)"),
    "QueueDueReminders": ("reminders", "rate(1 minute)"),
    "SendDailyDigest": ("digest", "rate(5 minutes)"),
    "EmailFeedback": ("email-feedback", None),  # SES's bounces and complaints, through the stack's SNS topic
}
QUERY = {"dynamodb:Query"}
# What each event function's role may do in DynamoDB, written out: (table, index or None) → actions.
EVENT_ROLE_TABLES = {
    "SendOutboxRole": {
        ("OutboxTable", None): {"dynamodb:UpdateItem"},
        ("StaffTable", None): {"dynamodb:GetItem"},
    },
    "SweepOutboxRole": {
        ("OutboxTable", None): {"dynamodb:UpdateItem"},
        ("OutboxTable", "queue"): QUERY,
        ("StaffTable", None): {"dynamodb:GetItem"},
    },
    "QueueDueRemindersRole": {
        ("JobsTable", None): {"dynamodb:GetItem", "dynamodb:PutItem"},
        ("PlannerTable", None): {"dynamodb:Query", "dynamodb:UpdateItem"},
        ("OutboxTable", None): {"dynamodb:PutItem"},
        ("IncidentsTable", None): {"dynamodb:BatchGetItem"},
        ("StaffTable", None): {"dynamodb:BatchGetItem"},
        ("IncidentEventsTable", None): QUERY,
    },
    "SendDailyDigestRole": {  # only what four indexes hold: never an incident's account, never a pupil
        ("JobsTable", None): {"dynamodb:GetItem", "dynamodb:PutItem"},
        ("IncidentsTable", "open"): QUERY,
        ("AlertsTable", "open-work"): QUERY,
        ("StaffTable", "directory"): QUERY,
        ("OutboxTable", None): {"dynamodb:PutItem"},
        ("OutboxTable", "queue"): QUERY,
        ("StaffTable", None): {"dynamodb:BatchGetItem"},  # whole accounts: who Lantern cannot email
    },
    "EmailFeedbackRole": {  # the accounts with a bounced address, marked and audited; the admins told by email
        ("StaffTable", "by-email"): QUERY,
        ("StaffTable", None): {"dynamodb:GetItem", "dynamodb:UpdateItem"},
        ("StaffTable", "directory"): QUERY,
        ("AuditTable", None): {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"},
        ("OutboxTable", None): {"dynamodb:PutItem"},
    },
}
SES_RESOURCES = [
    {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderDomain}"},
    # sending with the stack's configuration set (bounces and complaints come back) is authorised on it too
    {
        "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/"
        "${EmailConfigurationSet}"
    },
]


def resources(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def statements(role):
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def test_the_template_is_sam_with_every_part_of_the_stack(template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    kinds = sorted({r["Type"] for r in template["Resources"].values()})
    assert kinds == [
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::CloudWatch::Alarm",
        "AWS::DynamoDB::Table",
        "AWS::IAM::Role",
        "AWS::KMS::Alias",
        "AWS::KMS::Key",
        "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
        "AWS::Logs::MetricFilter",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::SES::ConfigurationSet",
        "AWS::SES::ConfigurationSetEventDestination",
        "AWS::SES::EmailIdentity",
        "AWS::SNS::Subscription",
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
        "AWS::Serverless::Api",
        "AWS::Serverless::Function",
    ]
    assert len(template["Resources"]) == 62


def test_every_table_the_app_uses_with_its_keys_indexes_and_ttl(template):
    tables = resources(template, "AWS::DynamoDB::Table")
    assert set(tables) == set(LOGICAL.values())
    for kind, expected in EXPECTED_TABLES.items():
        p = tables[LOGICAL[kind]]["Properties"]
        assert p["TableName"] == {"Fn::Sub": f"lantern-${{School}}-{kind}"}
        assert [(k["AttributeName"], k["KeyType"]) for k in p["KeySchema"]] == expected["keys"]
        indexes = {
            i["IndexName"]: (
                i["KeySchema"][0]["AttributeName"],
                i["Projection"]["ProjectionType"],
                set(i["Projection"]["NonKeyAttributes"]) if "NonKeyAttributes" in i["Projection"] else None,
            )
            for i in p.get("GlobalSecondaryIndexes", [])
        }
        assert indexes == expected["indexes"], kind
        ttl = p.get("TimeToLiveSpecification")
        assert (ttl["AttributeName"] if ttl and ttl["Enabled"] else None) == expected["ttl"], kind
        assert ("StreamSpecification" in p) == (kind == "outbox"), kind


def test_the_outbox_table_streams_its_new_items(template):
    p = template["Resources"]["OutboxTable"]["Properties"]
    assert p["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


def test_every_table_keeps_its_data(template):
    for name, table in resources(template, "AWS::DynamoDB::Table").items():
        p = table["Properties"]
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain", name
        assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        assert p["DeletionProtectionEnabled"] is True, name
        assert p["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY_ARN}, name
        assert p["BillingMode"] == "PAY_PER_REQUEST", name


def test_the_key_rotates_and_outlives_the_stack(template):
    key = template["Resources"]["Key"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain" and key["UpdateReplacePolicy"] == "Retain"
    principals = [s["Principal"] for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert "*" not in principals and {"AWS": "*"} not in principals


def test_every_bucket_is_private_versioned_encrypted_and_tls_only(template):
    policies = {
        p["Properties"]["Bucket"]["Ref"]: p["Properties"] for p in resources(template, "AWS::S3::BucketPolicy").values()
    }
    for name, bucket in resources(template, "AWS::S3::Bucket").items():
        p = bucket["Properties"]
        assert p["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
        assert p["VersioningConfiguration"] == {"Status": "Enabled"}, name
        assert p["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        deny = [s for s in policies[name]["PolicyDocument"]["Statement"] if s["Sid"] == "DenyInsecureTransport"]
        assert deny == [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [{"Fn::GetAtt": [name, "Arn"]}, {"Fn::Sub": f"${{{name}.Arn}}/*"}],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ], name


def test_the_files_bucket(template):
    bucket = template["Resources"]["FilesBucket"]
    p = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    rule = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN}
    assert rule["BucketKeyEnabled"] is True  # one KMS request per object, not per request
    assert p["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (cors,) = p["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"]
    assert cors["AllowedOrigins"] == [{"Fn::Sub": "https://${SchoolHost}"}]
    assert "AllowedHeaders" not in cors  # the upload sends none of its own (a form post with progress)
    rules = {r["Id"]: r for r in p["LifecycleConfiguration"]["Rules"]}
    pending = rules["expire-uploads-never-attached"]
    assert pending["TagFilters"] == [{"Key": "lantern-state", "Value": "pending"}]
    assert pending["ExpirationInDays"] == 2
    assert rules["expire-old-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 30
    policy = template["Resources"]["FilesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Effect"] for s in policy] == ["Deny", "Deny"]  # nobody is granted anything by the bucket policy
    assert policy[1]["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}


def test_the_pending_tag_is_the_one_the_app_writes():
    from chalicelib import files

    assert files.STATE_TAG == "lantern-state"
    assert "<Key>lantern-state</Key><Value>pending</Value>" in files.PENDING_TAGGING


def test_the_site_is_read_only_by_this_distribution(template):
    site = template["Resources"]["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in site if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "CloudFrontReadsTheSite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${SiteBucket.Arn}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"
                    }
                }
            },
        }
    ]
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    origin = next(o for o in config["Origins"] if o["Id"] == "site")
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = template["Resources"]["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always" and oac["OriginAccessControlOriginType"] == "s3"


def test_api_is_on_the_same_origin_under_api(template):
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [{"Ref": "SchoolHost"}]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": {"Ref": "CertificateArn"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert "CustomErrorResponses" not in config  # they would turn the API's 403/404 JSON into pages
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    assert api["ViewerProtocolPolicy"] == "https-only"
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    origin = next(o for o in config["Origins"] if o["Id"] == api["TargetOriginId"])
    assert origin["DomainName"] == {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert "OriginPath" not in origin  # /api/... reaches the API's stage "api" as it is
    assert origin["CustomOriginConfig"] == {
        "OriginProtocolPolicy": "https-only",
        "OriginSSLProtocols": ["TLSv1.2"],
        "HTTPSPort": 443,
    }
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "site" and default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["AllowedMethods"] == ["GET", "HEAD"]
    rest_api = template["Resources"]["RestAPI"]["Properties"]
    assert rest_api["StageName"] == "api"
    assert rest_api["EndpointConfiguration"] == {"Type": "REGIONAL"}


def test_the_headers_policy_is_chalicelib_security_headers(template):
    policy = template["Resources"]["ResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    upload_origin = "https://${FilesBucket}.s3.${AWS::Region}.amazonaws.com"
    assert merge.headers_from_policy_config(policy) == security_headers.security_headers(upload_origin)
    security = policy["SecurityHeadersConfig"]
    assert all(header["Override"] is True for header in security.values())
    assert all(item["Override"] is True for item in policy["CustomHeadersConfig"]["Items"])
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    assert "connect-src 'self' https://${FilesBucket}.s3.${AWS::Region}.amazonaws.com;" in csp
    assert csp.replace(upload_origin, "").replace("  ", " ") != csp  # the bucket is named, not a wildcard
    assert len(csp) < 1783  # CloudFront's limit for a CSP
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ResponseHeadersPolicy"}


def test_the_headers_policy_follows_any_change_to_security_headers(monkeypatch):
    changed = {**security_headers.SECURITY_HEADERS, "Permissions-Policy": "camera=()", "X-Frame-Options": "SAMEORIGIN"}
    monkeypatch.setattr(security_headers, "SECURITY_HEADERS", changed)
    policy = merge.response_headers_policy()["Properties"]["ResponseHeadersPolicyConfig"]
    assert merge.headers_from_policy_config(policy) == security_headers.security_headers(merge.UPLOAD_ORIGIN)


def test_the_browser_uploads_to_the_origin_the_csp_allows(monkeypatch):
    """Deployed (no AWS_ENDPOINT_URL), the presigned POST goes to the files bucket's regional origin, which is what
    the CDN's CSP connect-src allows; the global s3.amazonaws.com name would be refused by the CSP and, for a new
    bucket outside us-east-1, redirected."""
    from chalicelib import aws
    from chalicelib.settings import current_school

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("LANTERN_SETTINGS", str(ROOT / "infra/schools/castlemeadtrowbridge.toml"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "not-used")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-used")
    current_school.cache_clear()
    aws.reset()
    try:
        url = aws.s3().generate_presigned_post(Bucket="lantern-x-filesbucket-abc", Key="uploads/a/b")["url"]
    finally:
        current_school.cache_clear()
        aws.reset()
    assert url == "https://lantern-x-filesbucket-abc.s3.eu-west-2.amazonaws.com/"


def test_one_role_per_function_with_its_log_group_and_encrypted_environment(template):
    functions = resources(template, "AWS::Serverless::Function")
    roles = resources(template, "AWS::IAM::Role")
    groups = {
        g["Properties"]["LogGroupName"]["Fn::Sub"]: g for g in resources(template, "AWS::Logs::LogGroup").values()
    }
    seen = set()
    for name, function in functions.items():
        p = function["Properties"]
        role = p["Role"]["Fn::GetAtt"][0]
        assert role in roles and role not in seen, name
        seen.add(role)
        group = groups["/aws/lambda/" + p["FunctionName"]["Fn::Sub"]]
        assert 30 <= group["Properties"]["RetentionInDays"] <= 731, name
        assert group["Properties"]["KmsKeyId"] == KEY_ARN
        assert group["DeletionPolicy"] == "Retain"
        assert p["KmsKeyArn"] == KEY_ARN
        assert function["DependsOn"] == [f"{name}LogGroup"]  # Lambda would otherwise make one, unencrypted, forever
        assert role == f"{name}Role" and group == template["Resources"][f"{name}LogGroup"]
    assert set(functions) == {"APIHandler", *EVENT_FUNCTIONS}


def test_each_event_function_runs_with_its_own_name_role_and_environment(template, packaged):
    handlers = {"SendOutbox": "send_outbox", "SweepOutbox": "sweep_outbox"}
    handlers |= {"QueueDueReminders": "queue_due_reminders", "SendDailyDigest": "send_daily_digest"}
    handlers |= {"EmailFeedback": "email_feedback"}
    for name, (suffix, _) in EVENT_FUNCTIONS.items():
        function = template["Resources"][name]
        p = function["Properties"]
        assert p["FunctionName"] == {"Fn::Sub": f"lantern-${{School}}-{suffix}"}
        assert len(f"lantern-{'x' * 40}-{suffix}") <= 64  # Lambda's limit, with the longest slug
        assert p["Handler"] == f"app.{handlers[name]}" and p["Runtime"] == "python3.11"
        assert p["Role"] == {"Fn::GetAtt": [f"{name}Role", "Arn"]}
        assert p["Environment"]["Variables"] == {
            "LANTERN_SETTINGS": "chalicelib/school.toml",
            "LANTERN_TABLE_PREFIX": {"Fn::Sub": "lantern-${School}-"},
            "LANTERN_SES_CONFIGURATION_SET": {"Ref": "EmailConfigurationSet"},
            "POWERTOOLS_SERVICE_NAME": "lantern",
        }  # no bucket: none of them touches files
        assert 128 < p["MemorySize"] <= 512 and 0 < p["Timeout"] <= 120
        group = template["Resources"][f"{name}LogGroup"]
        assert group["Properties"] == {
            "LogGroupName": {"Fn::Sub": f"/aws/lambda/lantern-${{School}}-{suffix}"},
            "RetentionInDays": 400,
            "KmsKeyId": KEY_ARN,
        }
        assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Retain"
    # the key lets CloudWatch Logs use it for every one of these groups
    key_policy = template["Resources"]["Key"]["Properties"]["KeyPolicy"]["Statement"]
    (logs,) = [s for s in key_policy if s["Sid"] == "CloudWatchLogsForThisSchoolsLogGroups"]
    pattern = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"]
    assert pattern.endswith(":log-group:/aws/lambda/lantern-${School}-*")


def test_each_scheduled_function_runs_at_its_rate_and_is_not_retried(template):
    for name, (_, rate) in EVENT_FUNCTIONS.items():
        p = template["Resources"][name]["Properties"]
        schedules = [e for e in p["Events"].values() if e["Type"] == "Schedule"]
        if rate is None:
            assert schedules == [] and "EventInvokeConfig" not in p
            continue
        assert [e["Properties"]["Schedule"] for e in schedules] == [rate], name
        assert [e["Type"] for e in p["Events"].values()] == ["Schedule"], name
        # a failed run is not retried: the next one, a few minutes later, does the work from its checkpoint
        assert p["EventInvokeConfig"] == {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}, name


def test_the_outbox_stream_invokes_the_sender_and_it_reports_failed_records(template):
    (event,) = template["Resources"]["SendOutbox"]["Properties"]["Events"].values()
    assert event["Type"] == "DynamoDB"
    p = event["Properties"]
    assert p["Stream"] == {"Fn::GetAtt": ["OutboxTable", "StreamArn"]}  # not app.py's placeholder
    assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert p["StartingPosition"] == "TRIM_HORIZON" and p["BatchSize"] == 10
    assert p["BisectBatchOnFunctionError"] is True
    assert 0 < p["MaximumRetryAttempts"] <= 10  # then the sweep resends; the shard is never blocked for good
    assert 60 <= p["MaximumRecordAgeInSeconds"] <= 86400
    assert p["FilterCriteria"] == {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}
    assert "arn:aws:dynamodb:eu-west-2:000000000000" not in json.dumps(template)


def test_each_event_role_is_least_privilege(template):
    for role_name, expected_tables in EVENT_ROLE_TABLES.items():
        function = role_name.removesuffix("Role")
        role = template["Resources"][role_name]
        assert (
            role["Properties"]["AssumeRolePolicyDocument"]
            == (template["Resources"]["APIHandlerRole"]["Properties"]["AssumeRolePolicyDocument"])
        )
        granted = statements(role)
        assert checks.policy_problems(role["Properties"]["Policies"]) == []
        dynamodb: dict[tuple[str, str | None], set[str]] = {}
        others = []
        for statement in granted:
            assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if "*" in a], statement
            resources_ = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources_:
                text = json.dumps(resource)
                # the one wildcard: ListStreams, on the outbox table's own streams
                assert "*" not in text or (
                    role_name == "SendOutboxRole"
                    and actions == ["dynamodb:ListStreams"]
                    and resource == {"Fn::Sub": "${OutboxTable.Arn}/stream/*"}
                ), statement
            if actions[0].startswith("dynamodb:") and statement.get("Sid"):  # the generated "tables" policy
                for resource in resources_:
                    if "Fn::GetAtt" in resource:
                        key = (resource["Fn::GetAtt"][0], None)
                    else:
                        table, index = resource["Fn::Sub"].removeprefix("${").split(".Arn}/index/")
                        key = (table, index)
                    assert key not in dynamodb, (role_name, key)
                    dynamodb[key] = set(actions)
            else:
                others.append((set(actions), resources_))
        assert dynamodb == expected_tables, role_name
        assert not [key for key, actions in dynamodb.items() if actions & {"dynamodb:Scan", "dynamodb:DeleteItem"}]
        expected_others = [
            ({"logs:CreateLogStream", "logs:PutLogEvents"}, [{"Fn::GetAtt": [f"{function}LogGroup", "Arn"]}]),
            ({"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}, [KEY_ARN]),
        ]
        if role_name in ("SendOutboxRole", "SweepOutboxRole"):  # only the senders send
            expected_others.append(({"ses:SendEmail"}, SES_RESOURCES))
        if role_name == "SendOutboxRole":
            expected_others += [
                (
                    {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"},
                    [{"Fn::GetAtt": ["OutboxTable", "StreamArn"]}],
                ),
                ({"dynamodb:ListStreams"}, [{"Fn::Sub": "${OutboxTable.Arn}/stream/*"}]),
            ]
        assert sorted(others, key=_as_text) == sorted(expected_others, key=_as_text), role_name


def _as_text(grant: tuple[set[str], list]) -> str:
    return json.dumps([sorted(grant[0]), grant[1]], sort_keys=True)


def test_the_function_finds_its_settings_tables_and_bucket(template, packaged):
    p = template["Resources"]["APIHandler"]["Properties"]
    variables = p["Environment"]["Variables"]
    assert variables["LANTERN_SETTINGS"] == "chalicelib/school.toml"
    assert variables["LANTERN_TABLE_PREFIX"] == {"Fn::Sub": "lantern-${School}-"}
    assert variables["LANTERN_FILES_BUCKET"] == {"Ref": "FilesBucket"}
    assert p["Handler"] == "app.app" and p["Runtime"] == "python3.11"
    with zipfile.ZipFile(packaged.zip_path) as package:
        names = set(package.namelist())
        assert package.read("chalicelib/school.toml") == (ROOT / "infra/schools/castlemeadtrowbridge.toml").read_bytes()
    assert "app.py" in names and "chalicelib/emails/set_password.txt" in names
    assert not [n for n in names if n.startswith(("tests/", "tools/", "infra/", "templates/", "site/"))]
    assert not (ROOT / "chalicelib" / "school.toml").exists()  # packaging never writes into the working tree


def test_the_package_ships_a_pyc_for_every_module_made_from_its_own_source(packaged):
    """Lambda's /var/task is read-only: without them every cold start compiles every module it imports. Each is
    an unchecked-hash .pyc of the very source beside it (never a stale one from a working tree)."""
    import importlib.util

    with zipfile.ZipFile(packaged.zip_path) as package:
        names = set(package.namelist())
        pycs = {n for n in names if n.endswith(".pyc")}
        assert (
            "__pycache__/app.cpython-311.pyc" in pycs
            and "chalicelib/models/__pycache__/records.cpython-311.pyc" in pycs
        )
        for pyc in pycs:
            folder, _, file = pyc.partition("__pycache__/")
            source = f"{folder}{file.split('.')[0]}.py"
            assert source in names, pyc
            data = package.read(pyc)
            assert int.from_bytes(data[4:8], "little") == 0b01, pyc  # hash-based, not checked against the source
            assert data[8:16] == importlib.util.source_hash(package.read(source)), pyc
        sources = {n for n in names if n.endswith(".py")}
        assert len(pycs) >= 0.95 * len(sources)  # all but the few files no import reaches


def test_the_api_role_is_least_privilege(template):
    role = template["Resources"]["APIHandlerRole"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    granted = statements(role)
    for statement in granted:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not [a for a in actions if "*" in a], statement
        for resource in statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]:
            text = json.dumps(resource)
            assert text != '"*"', statement
            assert "*" not in text or resource == {"Fn::Sub": "${FilesBucket.Arn}/uploads/*"}, statement

    dynamodb = {}
    for statement in granted:
        if statement["Action"][0].startswith("dynamodb:"):
            for resource in (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            ):
                dynamodb[json.dumps(resource)] = set(statement["Action"])
    # every table (the jobs' only under the roster import's keys, tested below); every index but the outbox's queue
    tables = {json.dumps({"Fn::GetAtt": [name, "Arn"]}) for kind, name in LOGICAL.items()}
    indexes = {
        json.dumps({"Fn::Sub": f"${{{LOGICAL[kind]}.Arn}}/index/{index}"})
        for kind, expected in EXPECTED_TABLES.items()
        for index in expected["indexes"]
        if kind != "outbox"
    }
    assert set(dynamodb) == tables | indexes  # exactly the tables and indexes, nothing else
    assert all(actions == {"dynamodb:Query"} for key, actions in dynamodb.items() if key in indexes)
    assert not [key for key, actions in dynamodb.items() if "dynamodb:Scan" in actions]
    audit = dynamodb[json.dumps({"Fn::GetAtt": ["AuditTable", "Arn"]})]
    events = dynamodb[json.dumps({"Fn::GetAtt": ["IncidentEventsTable", "Arn"]})]
    # append-only, as DESIGN.md says: added and read (a change's receipt, the audit chain's head), never changed
    assert events == audit == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}
    # emails are only added, in the change's own transaction; the senders alone read and mark them
    assert dynamodb[json.dumps({"Fn::GetAtt": ["OutboxTable", "Arn"]})] == {"dynamodb:PutItem"}
    deleters = {key for key, actions in dynamodb.items() if "dynamodb:DeleteItem" in actions}
    assert deleters == {
        json.dumps({"Fn::GetAtt": [LOGICAL[k], "Arn"]})
        for k in ("sessions", "password-links", "throttle", "planner", "idempotency")  # My planner: a reminder
    }

    others = [s for s in granted if not s["Action"][0].startswith("dynamodb:")]
    by_service = {(s["Action"] if isinstance(s["Action"], str) else s["Action"][0]).split(":")[0]: s for s in others}
    assert set(by_service) == {"logs", "s3", "kms"}  # no SES: every email goes through the outbox
    assert by_service["logs"]["Resource"] == {"Fn::GetAtt": ["APIHandlerLogGroup", "Arn"]}
    assert set(by_service["s3"]["Action"]) == {
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:GetObject",
        "s3:GetObjectTagging",  # whether this incident is the one that attached an upload (files.check_upload)
        "s3:DeleteObject",
    }
    assert by_service["s3"]["Resource"] == {"Fn::Sub": "${FilesBucket.Arn}/uploads/*"}
    assert by_service["kms"]["Resource"] == KEY_ARN


def test_api_gateway_throttles_every_method(template):
    (settings,) = template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert settings["ResourcePath"] == "/*" and settings["HttpMethod"] == "*"
    assert 0 < settings["ThrottlingRateLimit"] <= 100 and 0 < settings["ThrottlingBurstLimit"] <= 200


def test_the_email_identity_is_the_sending_domain_with_dkim(template):
    identity = template["Resources"]["SesIdentity"]
    assert identity["Properties"]["EmailIdentity"] == {"Ref": "SenderDomain"}
    assert identity["Properties"]["DkimAttributes"] == {"SigningEnabled": True}
    assert identity["Properties"]["DkimSigningAttributes"] == {"NextSigningKeyLength": "RSA_2048_BIT"}


def test_lanterns_checks_pass_and_catch_what_they_are_for(template):
    assert checks.problems(template) == []
    broken = copy.deepcopy(template)
    r = broken["Resources"]
    r["AuditTable"]["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] = False
    r["StaffTable"]["Properties"]["DeletionProtectionEnabled"] = False
    del r["SessionsTable"]["Properties"]["SSESpecification"]["KMSMasterKeyId"]
    r["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"].pop()
    r["LogsBucket"]["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = False
    r["APIHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] = "dynamodb:*"
    r["APIHandlerRole"]["Properties"]["Policies"][1]["PolicyDocument"]["Statement"][0]["Resource"] = "*"
    r["APIHandlerLogGroup"]["Properties"].pop("RetentionInDays")
    r["RestAPI"]["Properties"].pop("MethodSettings")
    r["Distribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"][0]["ViewerProtocolPolicy"] = "allow-all"
    r["ResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"].pop("FrameOptions")
    (stream,) = r["SendOutbox"]["Properties"]["Events"].values()
    stream["Properties"]["Stream"] = "arn:aws:dynamodb:eu-west-2:000000000000:table/lantern-outbox/stream/placeholder"
    stream["Properties"].pop("FunctionResponseTypes")
    r["SweepOutbox"]["Properties"]["Role"] = {"Fn::GetAtt": ["SendOutboxRole", "Arn"]}
    r["SendDailyDigestRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"] = {
        "Fn::Sub": "${StaffTable.Arn}/*"
    }
    found = "\n".join(checks.problems(broken))
    for expected in (
        "AuditTable: point-in-time recovery is off",
        "StaffTable: deletion protection is off",
        "SessionsTable: not encrypted with the school's KMS key",
        "SiteBucket: its bucket policy does not refuse requests without TLS",
        "LogsBucket: public access is not blocked in full",
        "wildcard action 'dynamodb:*'",
        "wildcard resource '*'",
        "APIHandler: needs a log group",
        "RestAPI: no throttling",
        "/api/*: serves plain HTTP",
        "SendOutbox event SendOutboxDynamodbEventSource: its Stream must be !GetAtt <Table>.StreamArn",
        "SendOutbox event SendOutboxDynamodbEventSource: must report batch item failures",
        "SweepOutbox: shares its role with SendOutbox",
        "SendDailyDigestRole: policy tables: wildcard resource '${StaffTable.Arn}/*'",
        "ResponseHeadersPolicy: differs from chalicelib/security_headers.py",
    ):
        assert expected in found


def test_every_checkov_skip_has_a_reason(template):
    skips = [
        (name, skip)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips and all(len(skip["comment"]) > 40 for _, skip in skips)


def test_a_scheduled_function_without_its_own_role_stops_the_build(tmp_path, packaged):
    """Chalice would give a new @app.schedule function the placeholder role: packaging refuses, naming it."""
    import shutil

    from infra import build

    root = tmp_path / "project"
    root.mkdir()
    for name in ("chalicelib", ".chalice"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "deployments"))
    shutil.copy2(ROOT / "requirements.txt", root)
    app = (ROOT / "app.py").read_text() + '\n\n@app.schedule("rate(1 day)")\ndef tidy_up(event):\n    return None\n'
    (root / "app.py").write_text(app)
    with pytest.raises(build.BuildError, match="no role of their own in infra/stack.yaml: TidyUp"):
        build.package(packaged.target, tmp_path / "work", site=packaged.site, root=root)


# --- issue 11: one API stage, alarms, the import's key-scoped access --------------------------------------------


def test_the_expanded_template_has_exactly_one_api_stage_the_throttled_one(template, packaged, tmp_path):
    from infra import lint

    stages = lint.sam_stages(packaged.template_path, "eu-west-2")
    if stages is None:
        pytest.skip("the SAM transform runs in .venv-sam: `make test` and `make plan` install it")
    assert stages == ["api"]  # and api is the throttled stage (test_api_gateway_throttles_every_method)
    without = copy.deepcopy(template)  # the test is not vacuous: without OpenApiVersion, SAM adds `Stage`
    del without["Resources"]["RestAPI"]["Properties"]["OpenApiVersion"]
    (tmp_path / "without.json").write_text(json.dumps(without))
    assert sorted(lint.sam_stages(tmp_path / "without.json", "eu-west-2")) == ["Stage", "api"]


def test_every_function_is_watched_and_every_alarm_tells_the_encrypted_topic(template):
    resources = template["Resources"]
    alarms = checks.resources_of(template, "AWS::CloudWatch::Alarm")
    assert set(alarms) == {
        "FunctionErrorsAlarm",
        "FunctionThrottlesAlarm",
        "Api5xxAlarm",
        "DynamoDbThrottlesAlarm",
        "EmailBouncesAlarm",
        "EmailComplaintsAlarm",
        "EmailsParkedAlarm",
    }
    for name, alarm in alarms.items():
        assert {"Ref": "AlarmTopic"} in alarm["Properties"]["AlarmActions"], name
        assert alarm["Properties"]["AlarmName"]["Fn::Sub"].startswith("lantern-${School}-"), name
    functions = set(checks.resources_of(template, "AWS::Serverless::Function"))
    for alarm in ("FunctionErrorsAlarm", "FunctionThrottlesAlarm"):
        metrics = alarms[alarm]["Properties"]["Metrics"]
        watched = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"] for m in metrics if "MetricStat" in m}
        assert watched == functions
        assert len([m for m in metrics if "MetricStat" in m]) <= 10
    api = alarms["Api5xxAlarm"]["Properties"]["Dimensions"]
    assert {"Name": "ApiName", "Value": resources["RestAPI"]["Properties"]["Name"]} in api
    assert resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["Key", "Arn"]}
    statements = resources["Key"]["Properties"]["KeyPolicy"]["Statement"]
    publishers = [s["Principal"].get("Service") for s in statements if s["Sid"].endswith("PublishToTheEncryptedTopic")]
    assert publishers == [["cloudwatch.amazonaws.com", "ses.amazonaws.com"]]  # alarms, and SES's feedback
    subscription = resources["AlarmSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_the_parked_email_metric_counts_the_line_the_outbox_logs(template):
    source = (Path(__file__).resolve().parents[2] / "chalicelib" / "outbox.py").read_text()
    filters = checks.resources_of(template, "AWS::Logs::MetricFilter")
    assert {f["Properties"]["LogGroupName"]["Ref"] for f in filters.values()} == {
        "SendOutboxLogGroup",
        "SweepOutboxLogGroup",
    }
    for metric_filter in filters.values():
        pattern = metric_filter["Properties"]["FilterPattern"].strip('"')
        assert f'logger.error("{pattern}"' in source
        (metric,) = metric_filter["Properties"]["MetricTransformations"]
        assert (metric["MetricName"], metric["MetricNamespace"]) == ("EmailsParked", {"Fn::Sub": "Lantern/${School}"})


def test_the_api_may_touch_the_jobs_table_only_under_roster_keys(template):
    policy = template["Resources"]["APIHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    on_jobs = [s for s in policy if s["Resource"] == {"Fn::GetAtt": ["JobsTable", "Arn"]}]
    (scoped,) = on_jobs
    assert scoped["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["roster-*"]}}
    assert "dynamodb:DeleteItem" not in scoped["Action"] and "dynamodb:Scan" not in scoped["Action"]
    actions = {a for s in policy for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {"dynamodb:Scan", "dynamodb:BatchWriteItem"}.isdisjoint(actions)


def test_checks_want_one_stage_and_every_function_alarmed(template):
    broken = copy.deepcopy(template)
    del broken["Resources"]["RestAPI"]["Properties"]["OpenApiVersion"]
    broken["Resources"]["FunctionErrorsAlarm"]["Properties"]["Metrics"].pop()
    problems = checks.problems(broken)
    assert "RestAPI: set OpenApiVersion, or the SAM transform adds a second, unthrottled stage" in problems
    assert "EmailFeedback: no alarm watches its Errors (infra/stack.yaml, FunctionErrorsAlarm)" in problems


def test_every_alarm_has_its_runbook_section(template):
    runbook = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
    for name, alarm in checks.resources_of(template, "AWS::CloudWatch::Alarm").items():
        short = alarm["Properties"]["AlarmName"]["Fn::Sub"].removeprefix("lantern-${School}-")
        assert f"\n## {short}\n" in runbook, name
        assert f"docs/runbook.md#{short}" in alarm["Properties"]["AlarmDescription"]["Fn::Sub"], name


def test_cloudfront_proves_itself_to_the_api_with_the_stacks_origin_secret(template):
    """The API refuses requests without the secret (API Gateway's own address) and believes the viewer's address
    only with it: CloudFront adds the header, the API function gets the same value."""
    secret = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    origins = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
    (api,) = [origin for origin in origins if origin["Id"] == "api"]
    assert api["OriginCustomHeaders"] == [{"HeaderName": "X-Lantern-Origin", "HeaderValue": secret}]
    variables = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["LANTERN_ORIGIN_SECRET"] == secret


def test_api_answers_are_compressed(template):
    """CloudFront does not compress the uncached /api/* answers, so API Gateway must."""
    assert template["Resources"]["RestAPI"]["Properties"]["MinimumCompressionSize"] == 1024


def test_bounces_and_complaints_come_back_to_their_function(template):
    """Every email is sent with the stack's configuration set; its bounces and complaints reach EmailFeedback."""
    resources = template["Resources"]
    destination = resources["EmailFeedbackDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "EmailConfigurationSet"}
    assert sorted(destination["EventDestination"]["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert destination["EventDestination"]["SnsDestination"] == {"TopicARN": {"Ref": "EmailFeedbackTopic"}}
    assert resources["EmailFeedbackTopic"]["Properties"]["KmsMasterKeyId"] == KEY_ARN
    (publish, deny) = resources["EmailFeedbackTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert publish["Principal"] == {"Service": "ses.amazonaws.com"} and publish["Action"] == "sns:Publish"
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert deny["Effect"] == "Deny"
    (event,) = resources["EmailFeedback"]["Properties"]["Events"].values()
    assert event == {"Type": "SNS", "Properties": {"Topic": {"Ref": "EmailFeedbackTopic"}}}  # not app.py's placeholder
    for sender in ("SendOutbox", "SweepOutbox"):
        variables = resources[sender]["Properties"]["Environment"]["Variables"]
        assert variables["LANTERN_SES_CONFIGURATION_SET"] == {"Ref": "EmailConfigurationSet"}
