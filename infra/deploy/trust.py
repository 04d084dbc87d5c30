"""The trust's schools together (infra/trust.toml): `make plan-all`, `make deploy-all`, `make status`.

plan-all and deploy-all take the schools in the file's order, one after another, and stop at the first that fails
(the schools after it are left as they were, and named). status reads each school's stack: its state, the commit it
runs (the stack's `lantern:commit` tag), when it last changed, and its alarms in ALARM.
"""

from __future__ import annotations

from collections.abc import Callable

from infra import build
from infra.build import BuildError, say
from infra.deploy.base import DeployError


def each_school(action: Callable[[str], object], schools: tuple[str, ...] | None = None) -> list[str]:
    """Run `action` for each school in order; stop at the first failure. Returns the schools done."""
    schools = schools if schools is not None else build.trust().schools
    done: list[str] = []
    for number, slug in enumerate(schools, start=1):
        say(f"=== {number}/{len(schools)}: {slug} ===")
        try:
            action(slug)
        except (BuildError, DeployError) as error:
            rest = list(schools[number:])
            raise DeployError(
                f"{slug} failed: {error}\n"
                f"Done: {', '.join(done) or 'none'}. Not attempted: {', '.join(rest) or 'none'}."
            ) from None
        done.append(slug)
    say(f"All {len(done)} schools done: {', '.join(done)}")
    return done


def status(deployers: list) -> list[dict]:
    """One row per school: stack state, commit, last change, alarms in ALARM. `deployers`: one Deployer each."""
    from botocore.exceptions import ClientError

    rows = []
    for aws in deployers:
        row = {
            "school": aws.target.slug,
            "region": aws.target.region,
            "stack": "not deployed",
            "commit": "",
            "updated": "",
            "alarms": [],
        }
        stack = aws.stack()
        if stack is not None:
            tags = {t["Key"]: t["Value"] for t in stack.get("Tags", [])}
            when = stack.get("LastUpdatedTime") or stack.get("CreationTime")
            row |= {
                "stack": stack["StackStatus"],
                "commit": tags.get("lantern:commit", "?"),
                "updated": when.strftime("%Y-%m-%d %H:%M UTC") if when else "",
            }
            try:
                alarms = aws.client("cloudwatch").describe_alarms(
                    AlarmNamePrefix=f"{aws.target.stack_name}-", StateValue="ALARM"
                )
                row["alarms"] = [
                    a["AlarmName"].removeprefix(f"{aws.target.stack_name}-")
                    for a in alarms["MetricAlarms"] + alarms.get("CompositeAlarms", [])
                ]
            except ClientError as error:
                row["alarms"] = [f"(cannot read alarms: {error.response['Error']['Code']})"]
        rows.append(row)
    return rows


def print_status(rows: list[dict]) -> None:
    say(f"{'school':<22} {'region':<10} {'stack':<22} {'commit':<20} {'last change':<21} health")
    for row in rows:
        health = health_of(row)
        columns = f"{row['school']:<22} {row['region']:<10} {row['stack']:<22} {row['commit']:<20}"
        say(f"{columns} {row['updated']:<21} {health}")


def health_of(row: dict) -> str:
    if row["stack"] == "not deployed":
        return ""
    if row["alarms"]:
        return "ALARM: " + ", ".join(row["alarms"])
    if row["stack"] == "UPDATE_ROLLBACK_COMPLETE":
        return "ok (its last deploy failed and was rolled back)"
    if row["stack"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"):
        return "ok"
    if row["stack"].endswith("_IN_PROGRESS"):
        return "changing now"
    return "needs attention: docs/deploying.md, 'If the first deploy fails'"
