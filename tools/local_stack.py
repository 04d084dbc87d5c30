"""Lantern's real stack on this machine: moto's server stands in for DynamoDB, S3 and SES.

Used by `make run` (tools/local_server.py) and by the tests, so both run the same code the same way.
Fake credentials and a loopback endpoint are set before any client exists: no real AWS account can be touched.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from moto.server import ThreadedMotoServer

from chalicelib import aws, models
from chalicelib.settings import SchoolSettings, current_school

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"  # moto's default account
_AWS_VARIABLES_TO_DROP = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalAws:
    server: ThreadedMotoServer
    endpoint: str

    def stop(self) -> None:
        self.server.stop()


def use_local_aws(endpoint: str, region: str) -> None:
    """Point every AWS client at a loopback endpoint, with fake credentials and no profile."""
    for name in _AWS_VARIABLES_TO_DROP:
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="local-only",
        AWS_SECRET_ACCESS_KEY="local-only",
        AWS_SESSION_TOKEN="local-only",
        AWS_DEFAULT_REGION=region,
        AWS_REGION=region,
        AWS_ENDPOINT_URL=endpoint,
    )
    aws.reset()


def start_local_aws(region: str) -> LocalAws:
    """Start moto's server on a free loopback port and point every AWS client at it."""
    use_local_aws("http://127.0.0.1:1", region)  # fake credentials before moto or any client exists
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    use_local_aws(endpoint, region)
    return LocalAws(server=server, endpoint=endpoint)


def state_file(slug: str) -> Path:
    """Where a running `make run` tells other local commands (`make user`) how to reach its stack."""
    return ROOT / "build" / "local" / f"{slug}.json"


def configure_school(settings_path: str, public_url: str, table_prefix: str) -> SchoolSettings:
    """Point the app at one school's settings, its local address and its tables."""
    os.environ.update(
        LANTERN_SETTINGS=settings_path,
        LANTERN_PUBLIC_URL=public_url,
        LANTERN_TABLE_PREFIX=table_prefix,
        LANTERN_FILES_BUCKET=f"{table_prefix}files",
        LANTERN_LOCAL_HTTP="1",
    )
    current_school.cache_clear()
    models.bind(table_prefix)
    return current_school()


def create_resources(school: SchoolSettings) -> None:
    """Tables, the private files bucket, and the verified SES sender (SES refuses mail from unverified senders)."""
    models.create_tables()
    aws.s3().create_bucket(
        Bucket=os.environ["LANTERN_FILES_BUCKET"],
        CreateBucketConfiguration={"LocationConstraint": school.aws_region},
    )
    aws.ses().verify_email_identity(EmailAddress=school.sender_email)


def sent_emails(region: str) -> list:
    """Every email sent so far, oldest first (moto keeps them in this process)."""
    from moto.ses.models import ses_backends

    return list(ses_backends[ACCOUNT_ID][region].sent_messages)


def connect(slug: str, *, to_aws: bool = False, state: Path | None = None) -> None:
    """Point this process at a school's stack: the running `make run` (via its state file) or, with `to_aws`,
    the deployed one, with the AWS credentials in the environment. For commands such as `make user`."""
    from tools.build_site import school_file

    settings_path = str(school_file(slug))
    if to_aws:
        os.environ.update(LANTERN_SETTINGS=settings_path, LANTERN_TABLE_PREFIX=f"lantern-{slug}-")
        current_school.cache_clear()
        os.environ["AWS_DEFAULT_REGION"] = current_school().aws_region  # the school's region, whatever the shell says
        models.bind()
        return
    state = state or state_file(slug)
    if not state.exists():
        sys.exit(f"Lantern is not running locally for {slug}: start it with `make run SCHOOL={slug}` first.")
    running = json.loads(state.read_text())
    use_local_aws(running["endpoint"], running["region"])
    configure_school(settings_path, running["url"], f"lantern-{slug}-")


class TableStream:
    """Reads a table's DynamoDB stream from moto and hands each batch of new records to a handler, as Lambda's
    event source mapping does for the deployed stack (`{"Records": [...]}`, oldest first)."""

    def __init__(self, table: str, handler) -> None:
        import boto3

        self.handler = handler
        self.client = boto3.client("dynamodbstreams")
        self.arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.iterators: dict[str, str | None] = {}

    def poll(self) -> int:
        """Hand every record written since the last poll to the handler; return how many there were."""
        shards = self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self.iterators:
                self.iterators[shard["ShardId"]] = self.client.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        handed = 0
        for shard_id, iterator in self.iterators.items():
            while iterator:
                answer = self.client.get_records(ShardIterator=iterator)
                records = answer.get("Records", [])
                iterator = answer.get("NextShardIterator")
                self.iterators[shard_id] = iterator
                if not records:
                    break
                self.handler({"Records": records}, None)
                handed += len(records)
        return handed


def outbox_stream(app) -> TableStream:
    """The outbox table's stream, feeding the app's own stream handler (`send_outbox`)."""
    return TableStream(models.table_name("outbox"), app.handler_map["send_outbox"])
