"""The merge template: infra/stack.yaml plus what is generated from the code, so the two can never disagree.

- one DynamoDB table per PynamoDB model in chalicelib/models/ (keys, GSIs with their projections, TTL, a stream
  where the model's Meta has `stream_view_type`), plus Powertools' idempotency table; every table on-demand, PITR,
  deletion protection, the school's KMS key, Retain;
- the API role's DynamoDB statements, table by table and index by index, from `TABLE_ACCESS` below, and each event
  function's role's, from `FUNCTION_ACCESS`;
- the CDN's response headers policy, from chalicelib/security_headers.py (with the files bucket's regional
  origin in the CSP's connect-src, for uploads).
"""

from __future__ import annotations

import json
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

# What the API function may do to each table; Query on every index of a table it may Query. No Scan anywhere (every
# request path is GetItem, Query or a transaction); no DeleteItem where records are kept for good; audit and
# incident events are append-only. It only adds to the outbox (in the change's own transaction) and never touches
# the jobs' checkpoints: an empty entry grants nothing.
TABLE_ACCESS: dict[str, tuple[str, ...]] = {
    "staff": READ + WRITE,
    "sessions": READ + WRITE + DELETE,
    "password-links": READ + WRITE + DELETE,
    "throttle": ("dynamodb:UpdateItem", "dynamodb:DeleteItem"),  # sign-in slots: taken, given back, cleared
    "pupils": READ + WRITE,
    "incidents": READ + WRITE,
    "chronology": READ + WRITE,
    "alerts": READ + WRITE,
    "planner": READ + WRITE + DELETE,  # My planner: a person deletes or moves their own reminder
    "incident-events": ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),  # GetItem: a change's receipt
    "audit": ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),  # GetItem: the chain's head
    "outbox": ("dynamodb:PutItem",),
    "jobs": (),
    models.IDEMPOTENCY_TABLE: ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
}
INDEX_ACCESS = ("dynamodb:Query",)

# Items of a table the API function may use only under a key prefix (IAM's dynamodb:LeadingKeys): the admin page's
# roster import keeps its index of pupils and its jobs in the jobs table under `roster-…` (chalicelib/roster_import),
# and never touches the scheduled jobs' checkpoints. Transactions write the index shard with the pupils.
API_KEY_SCOPED_ACCESS: dict[str, tuple[tuple[str, ...], str]] = {
    "jobs": (
        ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
        "roster-*",
    ),
}

# What each event function's role (infra/stack.yaml) may do: per table (`kind`) its actions, per index
# (`kind/index-name`) Query. These run without a user, so each gets only the calls its job makes.
GET = ("dynamodb:GetItem",)
CLAIM = ("dynamodb:UpdateItem",)  # claim or mark an item (as the stream or the sweep saw it) with a conditional update
CHECKPOINT = ("dynamodb:GetItem", "dynamodb:PutItem")  # a job's checkpoint: read, then (conditionally) saved
FUNCTION_ACCESS: dict[str, dict[str, tuple[str, ...]]] = {
    # The outbox table's stream handler: claims each new item, reads its recipient, sends, marks it.
    "SendOutboxRole": {"outbox": CLAIM, "staff": GET},
    # The backstop: what is still pending (GSI `queue`), claimed and sent as above.
    "SweepOutboxRole": {"outbox": CLAIM, "outbox/queue": INDEX_ACCESS, "staff": GET},
    # Due reminders → the outbox, each in one transaction that marks the reminder queued (UpdateItem + PutItem);
    # the owner, the incident and its history say whether it is still needed and may carry a link.
    "QueueDueRemindersRole": {
        "jobs": CHECKPOINT,
        "planner": ("dynamodb:Query", "dynamodb:UpdateItem"),
        "outbox": ("dynamodb:PutItem",),
        "incidents": ("dynamodb:BatchGetItem",),  # the due reminders' incidents and owners, one batch each
        "staff": ("dynamodb:BatchGetItem",),
        "incident-events": ("dynamodb:Query",),
    },
    # Once a school day: open incidents, open work, the directory and emails parked (four Queries of indexes)
    # → one digest per recipient, each put in the outbox only if absent.
    "SendDailyDigestRole": {
        "jobs": CHECKPOINT,
        "incidents/open": INDEX_ACCESS,
        "alerts/open-work": INDEX_ACCESS,
        "staff/directory": INDEX_ACCESS,
        "outbox": ("dynamodb:PutItem",),
        "outbox/queue": INDEX_ACCESS,
        "staff": ("dynamodb:BatchGetItem",),  # whole accounts, to list those Lantern cannot email
    },
    # SES's bounces and complaints: the accounts with that address (GSI `by-email`), each marked with a conditional
    # update and audited (a transaction: the entry and its chain head); the admins (GSI `directory`) told by email.
    "EmailFeedbackRole": {
        "staff/by-email": INDEX_ACCESS,
        "staff": ("dynamodb:GetItem", "dynamodb:UpdateItem"),
        "staff/directory": INDEX_ACCESS,
        "audit": ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"),
        "outbox": ("dynamodb:PutItem",),
    },
}


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
            "stream": getattr(model.Meta, "stream_view_type", None),
        }
        if schema["local_secondary_indexes"]:
            raise ValueError(f"{kind}: local secondary indexes are not in the stack yet")
    specs[models.IDEMPOTENCY_TABLE] = {  # Powertools' persistence layer: PK `id`, TTL `expiration`
        "attributes": [{"AttributeName": "id", "AttributeType": "S"}],
        "keys": [{"AttributeName": "id", "KeyType": "HASH"}],
        "indexes": [],
        "ttl": "expiration",
        "stream": None,
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
    if spec.get("stream"):
        properties["StreamSpecification"] = {"StreamViewType": spec["stream"]}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def api_access(specs: dict[str, dict]) -> dict[str, tuple[str, ...]]:
    """The API role's access, from TABLE_ACCESS: each table's actions; Query on each index of a table it Queries."""
    missing = sorted(set(specs) - set(TABLE_ACCESS))
    if missing:
        raise ValueError(f"infra/template.py TABLE_ACCESS says nothing about the table(s) {', '.join(missing)}")
    access: dict[str, tuple[str, ...]] = {}
    for kind, spec in specs.items():
        if TABLE_ACCESS[kind]:
            access[kind] = TABLE_ACCESS[kind]
        if "dynamodb:Query" in TABLE_ACCESS[kind]:
            access |= {f"{kind}/{index['IndexName']}": INDEX_ACCESS for index in spec["indexes"]}
    return access


def tables_policy(specs: dict[str, dict], access: dict[str, tuple[str, ...]] | None = None) -> dict:
    """A role's DynamoDB policy (the API's unless `access` is given): per table its actions, then Query on the
    indexes granted. `access` maps a table's kind, or `kind/index-name`, to actions; each must exist."""
    access = api_access(specs) if access is None else access
    tables: dict[str, tuple[str, ...]] = {}
    indexes: dict[str, list[str]] = {}
    for name, actions in access.items():
        kind, _, index = name.partition("/")
        if kind not in specs:
            raise ValueError(f"infra/template.py: no table {kind!r} (in {name!r})")
        if index:
            if index not in {i["IndexName"] for i in specs[kind]["indexes"]}:
                raise ValueError(f"infra/template.py: the table {kind!r} has no index {index!r}")
            if tuple(actions) != INDEX_ACCESS:
                raise ValueError(f"infra/template.py: {name}: an index is only ever Queried")
            indexes.setdefault(kind, []).append(index)
        elif actions:
            tables[kind] = tuple(actions)
    statements = []
    for kind in specs:  # the models' order, so the policy reads like chalicelib/models/
        if kind in tables:
            table_arn = {"Fn::GetAtt": [logical_id(kind), "Arn"]}
            statements.append(
                {"Sid": _sid(kind), "Effect": "Allow", "Action": list(tables[kind]), "Resource": table_arn}
            )
        if kind in indexes:
            statements.append(
                {
                    "Sid": _sid(kind) + "Indexes",
                    "Effect": "Allow",
                    "Action": list(INDEX_ACCESS),
                    "Resource": [
                        {"Fn::Sub": f"${{{logical_id(kind)}.Arn}}/index/{index['IndexName']}"}
                        for index in specs[kind]["indexes"]
                        if index["IndexName"] in indexes[kind]
                    ],
                }
            )
    return {"PolicyName": "tables", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}


def key_scoped_statements(specs: dict[str, dict]) -> list[dict]:
    """The API role's statements from API_KEY_SCOPED_ACCESS: actions on a table's items under one key prefix."""
    statements = []
    for kind, (actions, prefix) in API_KEY_SCOPED_ACCESS.items():
        if kind not in specs:
            raise ValueError(f"infra/template.py API_KEY_SCOPED_ACCESS: no table {kind!r}")
        statements.append(
            {
                "Sid": _sid(kind) + "KeyScoped",
                "Effect": "Allow",
                "Action": list(actions),
                "Resource": {"Fn::GetAtt": [logical_id(kind), "Arn"]},
                "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [prefix]}},
            }
        )
    return statements


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
    """infra/stack.yaml with the generated tables, tables policies and response headers policy."""
    template = json.loads(json.dumps(load_yaml(STACK_YAML)))  # a deep copy sharing nothing (YAML aliases)
    resources = template["Resources"]
    specs = table_specs()
    for kind, spec in specs.items():
        name = logical_id(kind)
        if name in resources:
            raise ValueError(f"infra/stack.yaml already defines {name}: tables are generated from the models")
        resources[name] = table_resource(kind, spec)
    api_tables = tables_policy(specs)
    api_tables["PolicyDocument"]["Statement"] += key_scoped_statements(specs)
    resources["APIHandlerRole"]["Properties"]["Policies"].insert(0, api_tables)
    for role, access in FUNCTION_ACCESS.items():
        if resources.get(role, {}).get("Type") != "AWS::IAM::Role":
            raise ValueError(f"infra/template.py FUNCTION_ACCESS names {role}, which infra/stack.yaml does not define")
        resources[role]["Properties"]["Policies"].insert(0, tables_policy(specs, access))
    resources["ResponseHeadersPolicy"] = response_headers_policy()
    return template
