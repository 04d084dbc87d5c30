"""`make restore-drill [SCHOOL=…]`: rehearse docs/deploying.md's restores end to end, on moto (no AWS).

1. A school with data (the demo: staff, pupils, a term of incidents) in tables made as the stack makes them, with
   point-in-time recovery on, and an uploaded file in the versioned files bucket.
2. Point-in-time restore of every table that matters (incidents, chronology, incident-events, alerts, pupils) into
   new tables `…-restored`, as `aws dynamodb restore-table-to-point-in-time` does; their item counts checked.
3. The accident: an incident and its chronology entries deleted, a pupil changed, the file overwritten and deleted.
4. Recovery: the chosen incident, its chronology entries and the pupil copied back from the restored tables into
   the live ones; the file's old version copied over the current one; each checked against what it was.
5. The restored tables deleted.

moto restores a table as it is when asked, whatever time is given (real DynamoDB restores to the second): so the
drill takes the restore before the accident. The calls, and what is checked, are the guide's.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

TABLES = ("incidents", "chronology", "incident-events", "alerts", "pupils")
FILE_KEY = "uploads/drill/0b8a3c52-0000-4000-8000-000000000001"


def say(message: str) -> None:
    print(message, flush=True)


def drill(slug: str = "themead") -> int:
    import boto3

    from chalicelib.models import ChronologyEntry, Incident, Pupil
    from tools import local_stack
    from tools.build_site import school_file
    from tools.seed import seed_demo

    running = local_stack.start_local_aws("eu-west-2")
    school = local_stack.configure_school(str(school_file(slug)), f"https://{slug}.drill", f"lantern-{slug}-")
    local_stack.create_resources(school)
    seed_demo(slug, incidents=True)
    dynamodb = boto3.client("dynamodb")
    s3 = boto3.client("s3")
    names = {kind: f"lantern-{slug}-{kind}" for kind in TABLES}
    bucket = local_stack_bucket()
    say(f"1. {school.name} on moto ({running.endpoint}): demo data; point-in-time recovery on; a file uploaded")
    for name in names.values():
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    original = b"%PDF-1.7 the original statement"
    s3.put_object(Bucket=bucket, Key=FILE_KEY, Body=original)
    counts = {kind: count(dynamodb, name) for kind, name in names.items()}
    incident = next(iter(Incident.scan(limit=1)))
    entries = [e for e in ChronologyEntry.scan() if e.incident_id == incident.incident_id]
    pupil = next(iter(Pupil.scan(limit=1)))
    before = {"incident": incident.serialize(), "pupil": pupil.serialize()}
    say(f"   {', '.join(f'{kind} {n}' for kind, n in counts.items())}; chosen: incident {incident.reference}")

    moment = datetime.now(UTC)
    say(f"2. Restoring each table as at {moment:%Y-%m-%d %H:%M:%S} UTC into a new table")
    for kind, name in names.items():
        dynamodb.restore_table_to_point_in_time(
            SourceTableName=name,
            TargetTableName=f"{name}-restored",
            RestoreDateTime=moment,
            SSESpecificationOverride={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": f"alias/lantern-{slug}"},
        )
        restored = count(dynamodb, f"{name}-restored")
        check(restored == counts[kind], f"   {name}-restored: {restored} items, as the live table had")

    say("3. The accident: the incident and its chronology entries deleted, the pupil changed, the file replaced")
    incident.delete()
    for entry in entries:
        entry.delete()
    pupil.update(actions=[Pupil.class_name.set("Wrong class")])
    s3.put_object(Bucket=bucket, Key=FILE_KEY, Body=b"overwritten")
    s3.delete_object(Bucket=bucket, Key=FILE_KEY)

    say("4. Copying the chosen records back from the restored tables")
    copied = copy_back(
        dynamodb, f"{names['incidents']}-restored", names["incidents"], {"incident_id": incident.incident_id}
    )
    for entry in entries:
        copied += copy_back(
            dynamodb,
            f"{names['chronology']}-restored",
            names["chronology"],
            {"pupil_id": entry.pupil_id, "entry": entry.entry},
        )
    copied += copy_back(
        dynamodb, f"{names['pupils']}-restored", names["pupils"], {"pupil_id": pupil.pupil_id}, overwrite=True
    )
    check(copied == 2 + len(entries), f"   {copied} items copied back")
    check(Incident.get(incident.incident_id).serialize() == before["incident"], "   the incident is as it was")
    check(Pupil.get(pupil.pupil_id).serialize() == before["pupil"], "   the pupil is as they were")
    check(count(dynamodb, names["chronology"]) == counts["chronology"], "   the chronology has every entry again")

    say("   The file: its versions listed, the delete marker removed, the original copied over the current one")
    versions = s3.list_object_versions(Bucket=bucket, Prefix=FILE_KEY)
    for marker in versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=FILE_KEY, VersionId=marker["VersionId"])
    oldest = sorted(versions["Versions"], key=lambda v: v["LastModified"])[0]
    s3.copy_object(
        Bucket=bucket, Key=FILE_KEY, CopySource={"Bucket": bucket, "Key": FILE_KEY, "VersionId": oldest["VersionId"]}
    )
    check(s3.get_object(Bucket=bucket, Key=FILE_KEY)["Body"].read() == original, "   the file is the original again")

    say("5. Deleting the restored tables")
    for name in names.values():
        dynamodb.delete_table(TableName=f"{name}-restored")
    say("Restore drill passed: the guide's steps restore tables to a moment, and copy records and files back.")
    return 0


def local_stack_bucket() -> str:
    import os

    return os.environ["LANTERN_FILES_BUCKET"]


def count(dynamodb, table: str) -> int:
    total = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        total += page["Count"]
    return total


def copy_back(dynamodb, source: str, target: str, key: dict, *, overwrite: bool = False) -> int:
    """One item from the restored table into the live one (only if absent there, unless `overwrite`)."""
    typed = {name: {"S": value} for name, value in key.items()}
    item = dynamodb.get_item(TableName=source, Key=typed, ConsistentRead=True).get("Item")
    if item is None:
        return 0
    condition = {} if overwrite else {"ConditionExpression": f"attribute_not_exists({next(iter(key))})"}
    dynamodb.put_item(TableName=target, Item=item, **condition)
    return 1


def check(ok: bool, message: str) -> None:
    if not ok:
        raise SystemExit(f"FAILED:{message}")
    say(f"{message}: ok")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", default="themead")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    return drill(args.school)


if __name__ == "__main__":
    sys.exit(main())
