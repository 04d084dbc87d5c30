"""Lantern's own checks over the packaged template: what cfn-lint and checkov do not check, or not this strictly.

`problems(template)` returns one line per problem (none when the stack is as the design says). `make plan` and
`make deploy` refuse a template with any; tests/infra asserts the same things one by one.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import security_headers
from infra import template as merge

# Wildcards allowed in an IAM resource, each because the names under it are not known when the stack is built.
ALLOWED_RESOURCE_WILDCARDS = {
    "${FilesBucket.Arn}/uploads/*": "upload keys are uploads/<staff_id>/<uuid>, made at run time",
    "${OutboxTable.Arn}/stream/*": "ListStreams (for the stream's event source) is authorised on the table's streams",
}
MANAGED_CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
MANAGED_ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def resources_of(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def is_ref(value: Any, name: str) -> bool:
    return value == {"Ref": name}


def is_key_arn(value: Any) -> bool:
    return value in ({"Fn::GetAtt": ["Key", "Arn"]}, {"Ref": "Key"})


def text_of(value: Any) -> str:
    """An IAM resource as text: a Sub's string, a GetAtt as ${X.Arn}, a Ref as ${X}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if isinstance(value, dict) and "Ref" in value:
        return "${" + value["Ref"] + "}"
    return json.dumps(value)


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def tables(template: dict) -> list[str]:
    problems = []
    found = resources_of(template, "AWS::DynamoDB::Table")
    expected = {merge.logical_id(kind) for kind in merge.table_specs()}
    for missing in sorted(expected - set(found)):
        problems.append(f"{missing}: the app uses this table but the stack has none")
    for name, table in found.items():
        p = table["Properties"]
        if table.get("DeletionPolicy") != "Retain" or table.get("UpdateReplacePolicy") != "Retain":
            problems.append(f"{name}: DeletionPolicy and UpdateReplacePolicy must be Retain")
        if p.get("BillingMode") != "PAY_PER_REQUEST":
            problems.append(f"{name}: must be on-demand (PAY_PER_REQUEST)")
        if p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is not True:
            problems.append(f"{name}: point-in-time recovery is off")
        if p.get("DeletionProtectionEnabled") is not True:
            problems.append(f"{name}: deletion protection is off")
        sse = p.get("SSESpecification", {})
        if not (
            sse.get("SSEEnabled") is True and sse.get("SSEType") == "KMS" and is_key_arn(sse.get("KMSMasterKeyId"))
        ):
            problems.append(f"{name}: not encrypted with the school's KMS key")
    return problems


def _denies_insecure_transport(policy: dict, bucket: str) -> bool:
    for statement in policy["PolicyDocument"]["Statement"]:
        condition = statement.get("Condition", {}).get("Bool", {})
        resources = {text_of(r) for r in as_list(statement.get("Resource"))}
        if (
            statement.get("Effect") == "Deny"
            and statement.get("Principal") == "*"
            and statement.get("Action") == "s3:*"
            and condition.get("aws:SecureTransport") == "false"
            and resources == {"${" + bucket + ".Arn}", "${" + bucket + ".Arn}/*"}
        ):
            return True
    return False


def buckets(template: dict) -> list[str]:
    problems = []
    policies = {
        r["Properties"]["Bucket"]["Ref"]: r["Properties"]
        for r in resources_of(template, "AWS::S3::BucketPolicy").values()
    }
    for name, bucket in resources_of(template, "AWS::S3::Bucket").items():
        p = bucket["Properties"]
        block = p.get("PublicAccessBlockConfiguration", {})
        flags = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        if not all(block.get(flag) is True for flag in flags):
            problems.append(f"{name}: public access is not blocked in full")
        if p.get("VersioningConfiguration", {}).get("Status") != "Enabled":
            problems.append(f"{name}: versioning is off")
        if not p.get("BucketEncryption"):
            problems.append(f"{name}: no default encryption")
        if name not in policies or not _denies_insecure_transport(policies[name], name):
            problems.append(f"{name}: its bucket policy does not refuse requests without TLS")
    files = template["Resources"].get("FilesBucket", {}).get("Properties", {})
    default = files.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [{}])[0]
    by_default = default.get("ServerSideEncryptionByDefault", {})
    if by_default.get("SSEAlgorithm") != "aws:kms" or not is_key_arn(by_default.get("KMSMasterKeyID")):
        problems.append("FilesBucket: not encrypted with the school's KMS key")
    cors = files.get("CorsConfiguration", {}).get("CorsRules", [])
    if [(r.get("AllowedMethods"), text_of(r.get("AllowedOrigins", [None])[0])) for r in cors] != [
        (["POST"], "https://${SchoolHost}")
    ]:
        problems.append("FilesBucket: CORS must allow exactly POST from https://<school host>")
    rules = files.get("LifecycleConfiguration", {}).get("Rules", [])
    pending = [
        r
        for r in rules
        if r.get("TagFilters") == [{"Key": "lantern-state", "Value": "pending"}] and r.get("ExpirationInDays") == 2
    ]
    if not pending:
        problems.append("FilesBucket: uploads tagged lantern-state=pending must expire after 2 days")
    if not any("NoncurrentVersionExpiration" in r for r in rules):
        problems.append("FilesBucket: noncurrent versions never expire")
    return problems


def functions(template: dict) -> list[str]:
    problems = []
    roles = resources_of(template, "AWS::IAM::Role")
    groups = {
        text_of(g["Properties"].get("LogGroupName")): g for g in resources_of(template, "AWS::Logs::LogGroup").values()
    }
    used_roles: dict[str, str] = {}
    for name, function in resources_of(template, "AWS::Serverless::Function").items():
        p = function["Properties"]
        role = p.get("Role")
        role_name = role["Fn::GetAtt"][0] if isinstance(role, dict) and "Fn::GetAtt" in role else None
        if role_name not in roles:
            problems.append(f"{name}: its role must be one written in this template")
        elif role_name in used_roles:
            problems.append(f"{name}: shares its role with {used_roles[role_name]}; one role per function")
        else:
            used_roles[role_name] = name
        function_name = text_of(p.get("FunctionName"))
        group = groups.get("/aws/lambda/" + function_name)
        if group is None or not group["Properties"].get("RetentionInDays"):
            problems.append(f"{name}: needs a log group /aws/lambda/{function_name} with a retention period")
        if not is_key_arn(p.get("KmsKeyArn")):
            problems.append(f"{name}: its environment is not encrypted with the school's key")
    for name, role in roles.items():
        problems += [f"{name}: {problem}" for problem in policy_problems(role["Properties"].get("Policies", []))]
    return problems + stream_events(template)


def stream_events(template: dict) -> list[str]:
    """Each DynamoDB stream event reads a stream of a table in this stack (app.py can only name a placeholder),
    and reports the records it failed, so one bad record neither blocks the stream nor resends the whole batch."""
    problems = []
    tables = resources_of(template, "AWS::DynamoDB::Table")
    for name, function in resources_of(template, "AWS::Serverless::Function").items():
        for event_name, event in function["Properties"].get("Events", {}).items():
            if event.get("Type") != "DynamoDB":
                continue
            p = event.get("Properties", {})
            where = f"{name} event {event_name}"
            stream = p.get("Stream")
            table = stream["Fn::GetAtt"][0] if isinstance(stream, dict) and "Fn::GetAtt" in stream else None
            if table not in tables or stream["Fn::GetAtt"][1] != "StreamArn":
                problems.append(f"{where}: its Stream must be !GetAtt <Table>.StreamArn of this stack, not {stream!r}")
            elif not tables[table]["Properties"].get("StreamSpecification"):
                problems.append(f"{where}: the table {table} has no stream")
            if p.get("FunctionResponseTypes") != ["ReportBatchItemFailures"]:
                problems.append(f"{where}: must report batch item failures (FunctionResponseTypes)")
            if not p.get("BisectBatchOnFunctionError") or p.get("MaximumRetryAttempts", -1) < 0:
                problems.append(f"{where}: needs a retry limit and BisectBatchOnFunctionError, or it can block")
    return problems


def policy_problems(policies: list[dict]) -> list[str]:
    """No "*" actions, no service:* actions, and no "*" in a resource unless allowed above."""
    problems = []
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            where = f"policy {policy['PolicyName']}"
            if statement.get("Effect") != "Allow":
                continue
            for action in as_list(statement.get("Action")):
                if "*" in action:
                    problems.append(f"{where}: wildcard action {action!r}")
            if "NotAction" in statement or "NotResource" in statement:
                problems.append(f"{where}: NotAction/NotResource grant more than they name")
            for resource in as_list(statement.get("Resource")):
                text = text_of(resource)
                if "*" in text and text not in ALLOWED_RESOURCE_WILDCARDS:
                    problems.append(f"{where}: wildcard resource {text!r}")
    return problems


def api(template: dict) -> list[str]:
    problems = []
    for name, rest_api in resources_of(template, "AWS::Serverless::Api").items():
        p = rest_api["Properties"]
        settings = p.get("MethodSettings", [])
        throttled = [
            s
            for s in settings
            if s.get("ResourcePath") == "/*"
            and s.get("HttpMethod") == "*"
            and s.get("ThrottlingRateLimit")
            and s.get("ThrottlingBurstLimit")
        ]
        if not throttled:
            problems.append(f"{name}: no throttling on every method")
        if p.get("EndpointConfiguration") not in ({"Type": "REGIONAL"}, "REGIONAL"):
            problems.append(f"{name}: should be REGIONAL (CloudFront is in front of it)")
        if not p.get("OpenApiVersion"):
            problems.append(f"{name}: set OpenApiVersion, or the SAM transform adds a second, unthrottled stage")
    return problems


def alarms(template: dict) -> list[str]:
    """Every function's errors and throttles are watched, and every alarm tells the school's alarm topic."""
    problems = []
    found = resources_of(template, "AWS::CloudWatch::Alarm")
    if "AlarmTopic" not in template["Resources"]:
        return ["AlarmTopic: missing (every alarm notifies it)"]
    for name, alarm in found.items():
        if {"Ref": "AlarmTopic"} not in alarm["Properties"].get("AlarmActions", []):
            problems.append(f"{name}: does not notify AlarmTopic")
        if len(alarm["Properties"].get("Metrics", [])) > 11:
            problems.append(f"{name}: an alarm's expression may use at most 10 metrics")
    functions = set(resources_of(template, "AWS::Serverless::Function"))
    for metric in ("Errors", "Throttles"):
        watched = {
            m["MetricStat"]["Metric"]["Dimensions"][0]["Value"].get("Ref")
            for alarm in found.values()
            for m in alarm["Properties"].get("Metrics", [])
            if m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == metric
            and m["MetricStat"]["Metric"].get("Namespace") == "AWS/Lambda"
        }
        for function in sorted(functions - watched):
            problems.append(f"{function}: no alarm watches its {metric} (infra/stack.yaml, Function{metric}Alarm)")
    return problems


def distribution(template: dict) -> list[str]:
    problems = []
    resources = template["Resources"]
    config = resources.get("Distribution", {}).get("Properties", {}).get("DistributionConfig")
    if not config:
        return ["Distribution: missing"]
    certificate = config.get("ViewerCertificate", {})
    if not str(certificate.get("MinimumProtocolVersion", "")).startswith("TLSv1.2"):
        problems.append("Distribution: viewers must use TLS 1.2 or later")
    if certificate.get("SslSupportMethod") != "sni-only":
        problems.append("Distribution: use SNI (a dedicated IP certificate costs $600 a month)")
    origins = {o["Id"]: o for o in config.get("Origins", [])}
    behaviours = [config.get("DefaultCacheBehavior", {}), *config.get("CacheBehaviors", [])]
    for behaviour in behaviours:
        where = f"Distribution behaviour {behaviour.get('PathPattern', 'default')}"
        if behaviour.get("ViewerProtocolPolicy") not in ("https-only", "redirect-to-https"):
            problems.append(f"{where}: serves plain HTTP")
        if not is_ref(behaviour.get("ResponseHeadersPolicyId"), "ResponseHeadersPolicy"):
            problems.append(f"{where}: lacks the security headers policy")
    api_behaviours = [b for b in config.get("CacheBehaviors", []) if b.get("PathPattern") == "/api/*"]
    if len(api_behaviours) != 1:
        problems.append("Distribution: needs one /api/* behaviour")
    else:
        behaviour = api_behaviours[0]
        origin = origins.get(behaviour.get("TargetOriginId"), {})
        if "${RestAPI}.execute-api." not in text_of(origin.get("DomainName")):
            problems.append("Distribution /api/*: must go to this stack's API")
        custom = origin.get("CustomOriginConfig", {})
        if custom.get("OriginProtocolPolicy") != "https-only" or custom.get("OriginSSLProtocols") != ["TLSv1.2"]:
            problems.append("Distribution /api/*: the origin must be reached by TLS 1.2 only")
        if behaviour.get("CachePolicyId") != MANAGED_CACHING_DISABLED:
            problems.append("Distribution /api/*: must never be cached")
        if behaviour.get("OriginRequestPolicyId") != MANAGED_ALL_VIEWER_EXCEPT_HOST:
            problems.append("Distribution /api/*: must forward cookies, query and headers (not Host)")
        if "POST" not in behaviour.get("AllowedMethods", []):
            problems.append("Distribution /api/*: must allow POST")
    site = origins.get(config.get("DefaultCacheBehavior", {}).get("TargetOriginId"), {})
    if site.get("DomainName") != {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]} or not site.get(
        "OriginAccessControlId"
    ):
        problems.append("Distribution default: must read the site bucket through origin access control")
    policy = resources.get("ResponseHeadersPolicy", {}).get("Properties", {}).get("ResponseHeadersPolicyConfig", {})
    expected = security_headers.security_headers(merge.UPLOAD_ORIGIN)
    if merge.headers_from_policy_config(policy) != expected:
        problems.append("ResponseHeadersPolicy: differs from chalicelib/security_headers.py")
    return problems


def key(template: dict) -> list[str]:
    key = template["Resources"].get("Key", {})
    problems = []
    if key.get("Properties", {}).get("EnableKeyRotation") is not True:
        problems.append("Key: rotation is off")
    if key.get("DeletionPolicy") != "Retain":
        problems.append("Key: must be kept if the stack is deleted (the backups need it)")
    return problems


def checkov_skips(template: dict) -> list[str]:
    problems = []
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            if len(skip.get("comment", "")) < 20:
                problems.append(f"{name}: checkov skip {skip.get('id')} needs a written reason")
    return problems


def problems(template: dict) -> list[str]:
    return [
        *tables(template),
        *buckets(template),
        *functions(template),
        *api(template),
        *distribution(template),
        *key(template),
        *alarms(template),
        *checkov_skips(template),
    ]
