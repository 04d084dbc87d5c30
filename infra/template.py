"""The merge template: infra/stack.yaml plus what is generated from the code, so the two can never disagree.

- one DynamoDB table per PynamoDB model in chalicelib/models.py (keys, GSIs with their projections, TTL), plus
  Powertools' idempotency table; every table on-demand, PITR, deletion protection, the school's KMS key, Retain;
- the API role's DynamoDB statements, table by table and index by index, from `TABLE_ACCESS` below;
- the CDN's response headers policy, from chalicelib/security_headers.py (with the files bucket's regional
  origin in the CSP's connect-src, for uploads).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from chalicelib import models, security_headers

STACK_YAML = Path(__file__).resolve().parent / "stack.yaml"

# The browser POSTs uploads to the files bucket's regional endpoint (chalicelib/aws.py, virtual-hosted style).
UPLOAD_ORIGIN = "https://${FilesBucket}.s3.${AWS::Region}.amazonaws.com"

READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem")
DELETE = ("dynamodb:DeleteItem",)

# What the API function may do to each table. No Scan anywhere (every request path is GetItem, Query or a
# transaction); no DeleteItem where records are kept for good; audit and incident events are append-only.
TABLE_ACCESS: dict[str, tuple[str, ...]] = {
    "staff": READ + WRITE,
    "sessions": READ + WRITE + DELETE,
    "password-links": READ + WRITE + DELETE,
    "pupils": READ + WRITE,
    "incidents": READ + WRITE,
    "chronology": READ + WRITE,
    "alerts": READ + WRITE,
    "planner": READ + WRITE,
    "incident-events": ("dynamodb:PutItem", "dynamodb:Query"),
    "audit": ("dynamodb:PutItem", "dynamodb:Query"),
    models.IDEMPOTENCY_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
}
INDEX_ACCESS = ("dynamodb:Query",)


# --- CloudFormation YAML (short-form tags) ---------------------------------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    """Reads !Ref, !GetAtt, !Sub and the other short forms as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_yaml(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


# --- generated parts --------------------------------------------------------------------------------------------


def logical_id(kind: str) -> str:
    """`incident-events` → `IncidentEventsTable`."""
    return "".join(part.capitalize() for part in kind.split("-")) + "Table"


def _ttl_attribute(model) -> str | None:
    from pynamodb.attributes import TTLAttribute

    names = [attr.attr_name for attr in model.get_attributes().values() if isinstance(attr, TTLAttribute)]
    return names[0] if names else None


def _key_schema(key_schema: list[dict]) -> list[dict]:
    ordered = sorted(key_schema, key=lambda key: key["KeyType"] != "HASH")  # HASH first, then RANGE
    return [{"AttributeName": key["AttributeName"], "KeyType": key["KeyType"]} for key in ordered]


def table_specs() -> dict[str, dict]:
    """{kind: {keys, attributes, indexes, ttl}} for every table the app uses, read from the PynamoDB models."""
    specs = {}
    for kind, model in models.MODELS.items():
        schema = model._get_schema()
        specs[kind] = {
            "attributes": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
            "keys": _key_schema(schema["key_schema"]),
            "indexes": [
                {
                    "IndexName": index["index_name"],
                    "KeySchema": _key_schema(index["key_schema"]),
                    "Projection": index["projection"],
                }
                for index in schema["global_secondary_indexes"]
            ],
            "ttl": _ttl_attribute(model),
        }
        if schema["local_secondary_indexes"]:
            raise ValueError(f"{kind}: local secondary indexes are not in the stack yet")
    specs[models.IDEMPOTENCY_TABLE] = {  # Powertools' persistence layer: PK `id`, TTL `expiration`
        "attributes": [{"AttributeName": "id", "AttributeType": "S"}],
        "keys": [{"AttributeName": "id", "KeyType": "HASH"}],
        "indexes": [],
        "ttl": "expiration",
    }
    return specs


def table_resource(kind: str, spec: dict) -> dict:
    properties: dict[str, Any] = {
        "TableName": {"Fn::Sub": f"lantern-${{School}}-{kind}"},
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": spec["attributes"],
        "KeySchema": spec["keys"],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "DeletionProtectionEnabled": True,
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
    }
    if spec["indexes"]:
        properties["GlobalSecondaryIndexes"] = spec["indexes"]
    if spec["ttl"]:
        properties["TimeToLiveSpecification"] = {"AttributeName": spec["ttl"], "Enabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def tables_policy(specs: dict[str, dict]) -> dict:
    """The API role's DynamoDB policy: per table its actions; Query on each of its indexes."""
    missing = sorted(set(specs) - set(TABLE_ACCESS))
    if missing:
        raise ValueError(f"infra/template.py TABLE_ACCESS says nothing about the table(s) {', '.join(missing)}")
    statements = []
    for kind, spec in specs.items():
        table_arn = {"Fn::GetAtt": [logical_id(kind), "Arn"]}
        statements.append(
            {"Sid": _sid(kind), "Effect": "Allow", "Action": list(TABLE_ACCESS[kind]), "Resource": table_arn}
        )
        if spec["indexes"]:
            statements.append(
                {
                    "Sid": _sid(kind) + "Indexes",
                    "Effect": "Allow",
                    "Action": list(INDEX_ACCESS),
                    "Resource": [
                        {"Fn::Sub": f"${{{logical_id(kind)}.Arn}}/index/{index['IndexName']}"}
                        for index in spec["indexes"]
                    ],
                }
            )
    return {"PolicyName": "tables", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}


def _sid(kind: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", logical_id(kind))


# CloudFront's response headers policy has a typed field for these; every other header is a custom header.
def headers_policy_config(headers: dict[str, str]) -> dict:
    """A ResponseHeadersPolicyConfig carrying exactly `headers` (every one overriding what an origin sends)."""
    headers = dict(headers)
    security: dict[str, Any] = {}
    if "Content-Security-Policy" in headers:
        value = headers.pop("Content-Security-Policy")
        security["ContentSecurityPolicy"] = {"ContentSecurityPolicy": {"Fn::Sub": value}, "Override": True}
    if "X-Content-Type-Options" in headers:
        if headers.pop("X-Content-Type-Options") != "nosniff":
            raise ValueError("CloudFront can only send X-Content-Type-Options: nosniff")
        security["ContentTypeOptions"] = {"Override": True}
    if "X-Frame-Options" in headers:
        security["FrameOptions"] = {"FrameOption": headers.pop("X-Frame-Options").upper(), "Override": True}
    if "Referrer-Policy" in headers:
        security["ReferrerPolicy"] = {"ReferrerPolicy": headers.pop("Referrer-Policy"), "Override": True}
    if "Strict-Transport-Security" in headers:
        security["StrictTransportSecurity"] = _hsts(headers.pop("Strict-Transport-Security"))
    if "X-XSS-Protection" in headers:
        raise ValueError("X-XSS-Protection: map it to XSSProtection before sending it from the CDN")
    config: dict[str, Any] = {"SecurityHeadersConfig": security}
    if headers:
        config["CustomHeadersConfig"] = {
            "Items": [{"Header": name, "Value": value, "Override": True} for name, value in headers.items()]
        }
    return config


def _hsts(value: str) -> dict:
    parts = [part.strip() for part in value.split(";") if part.strip()]
    known = {"includesubdomains", "preload"}
    max_age = next(int(p.split("=", 1)[1]) for p in parts if p.lower().startswith("max-age="))
    unknown = [p for p in parts if not p.lower().startswith("max-age=") and p.lower() not in known]
    if unknown:
        raise ValueError(f"Strict-Transport-Security: CloudFront cannot send {unknown[0]!r}")
    lower = {p.lower() for p in parts}
    return {
        "AccessControlMaxAgeSec": max_age,
        "IncludeSubdomains": "includesubdomains" in lower,
        "Preload": "preload" in lower,
        "Override": True,
    }


def headers_from_policy_config(config: dict) -> dict[str, str]:
    """The headers a ResponseHeadersPolicyConfig sends (the inverse of `headers_policy_config`, for tests and plan)."""
    security = config.get("SecurityHeadersConfig", {})
    headers = {}
    if "ContentSecurityPolicy" in security:
        value = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        headers["Content-Security-Policy"] = value["Fn::Sub"] if isinstance(value, dict) else value
    if "ContentTypeOptions" in security:
        headers["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in security:
        headers["X-Frame-Options"] = security["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in security:
        headers["Referrer-Policy"] = security["ReferrerPolicy"]["ReferrerPolicy"]
    if "StrictTransportSecurity" in security:
        hsts = security["StrictTransportSecurity"]
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        value += "; preload" if hsts.get("Preload") else ""
        headers["Strict-Transport-Security"] = value
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        headers[item["Header"]] = item["Value"]
    return headers


def response_headers_policy() -> dict:
    config = headers_policy_config(security_headers.security_headers(UPLOAD_ORIGIN))
    config["Name"] = {"Fn::Sub": "lantern-${School}-security-headers"}
    config["Comment"] = "Generated from chalicelib/security_headers.py by infra/template.py"
    return {"Type": "AWS::CloudFront::ResponseHeadersPolicy", "Properties": {"ResponseHeadersPolicyConfig": config}}


def merge_template() -> dict:
    """infra/stack.yaml with the generated tables, table policy and response headers policy."""
    template = copy.deepcopy(load_yaml(STACK_YAML))
    resources = template["Resources"]
    specs = table_specs()
    for kind, spec in specs.items():
        name = logical_id(kind)
        if name in resources:
            raise ValueError(f"infra/stack.yaml already defines {name}: tables are generated from the models")
        resources[name] = table_resource(kind, spec)
    resources["APIHandlerRole"]["Properties"]["Policies"].insert(0, tables_policy(specs))
    resources["ResponseHeadersPolicy"] = response_headers_policy()
    return template
