"""The roles are tight; are they tight enough to break the app? Every AWS call each function makes in the main
flows is recorded on moto, turned into the IAM action and resource AWS would authorise, and checked against the
policy of the role that function runs under in the packaged template:

- the API (every route shares APIHandlerRole): set password, sign in, add an incident with a file and a planner
  reminder, review, download, act with a follow-up date, My planner (add, move, delete), open work, mark an
  action done, change status, chronology (page and PDF), reports and their CSV export, alerts, sign out, add a
  passkey, the second step with a passkey and with a code, remove the passkey, set up the authenticator app, every
  other change, Find a pupil, an admin's reset, disable and "Emails work again": every route, which the test checks;
- the outbox's stream handler (SendOutboxRole), fed from the outbox table's stream as Lambda's event source
  mapping feeds it (the stream reads are authorised as that role too);
- the scheduled functions: the sweep (SweepOutboxRole), the reminder job (QueueDueRemindersRole) and the daily
  digest (SendDailyDigestRole), each called at a moment when it has work, and once through app.py as scheduled;
- SES's bounce feedback through app.py's email_feedback (EmailFeedbackRole), as SNS delivers it; emails are sent
  with the stack's configuration set, which SendEmail is authorised on too.

The tables are created from the template too, so the app's queries run against the template's keys and indexes.

What this cannot prove: IAM's real evaluation (this is fnmatch over the resolved ARNs), and KMS, whose calls
DynamoDB and S3 make on the caller's behalf (see docs/deploying.md)."""

from __future__ import annotations

import fnmatch
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import boto3
import pytest
import requests

from tests.infra.test_deploy import create_tables

ACCOUNT, REGION, SCHOOL = "123456789012", "eu-west-2", "themead"
ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
API, SENDER, SWEEP, REMINDERS, DIGEST, FEEDBACK = (
    "APIHandlerRole",
    "SendOutboxRole",
    "SweepOutboxRole",
    "QueueDueRemindersRole",
    "SendDailyDigestRole",
    "EmailFeedbackRole",
)
CONFIGURATION_SET = f"lantern-{SCHOOL}"


@dataclass
class Stack:
    """What the template's references resolve to here: the files bucket and the tables' streams."""

    bucket: str
    streams: dict[str, str] = field(default_factory=dict)  # table logical id → its stream's ARN


def resolve(value, stack: Stack) -> str:
    """A policy resource from the template as the ARN CloudFormation would make of it here."""
    names = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "SenderDomain": f"{SCHOOL}.example.org",
        "EmailConfigurationSet": CONFIGURATION_SET,
    }

    def arn_of(logical: str) -> str:
        if logical == "FilesBucket":
            return f"arn:aws:s3:::{stack.bucket}"
        if logical.endswith("Table"):
            kind = re.sub(r"(?<!^)([A-Z])", r"-\1", logical.removesuffix("Table")).lower()
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/lantern-{SCHOOL}-{kind}"
        if logical == "Key":
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/the-school-key"
        raise KeyError(logical)

    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        return stack.streams[logical] if attribute == "StreamArn" else arn_of(logical)
    text = value["Fn::Sub"]
    text = re.sub(r"\$\{(\w+)\.Arn\}", lambda m: arn_of(m.group(1)), text)
    return re.sub(r"\$\{([\w:]+)\}", lambda m: names[m.group(1)], text)


def allowed(policies: list[dict], action: str, resource: str, stack: Stack) -> bool:
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if action in actions and any(fnmatch.fnmatchcase(resource, resolve(r, stack)) for r in resources):
                return True
    return False


def table_arn(name: str, index: str | None = None) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}" + (f"/index/{index}" if index else "")


@dataclass
class Call:
    role: str
    service: str
    operation: str
    params: dict
    response: dict


def authorisations(call: Call, iterators: dict[str, str]) -> list[tuple[str, str]]:
    """(IAM action, resource) pairs AWS authorises for one API call. `iterators`: shard iterator → stream ARN."""
    service, operation, params = call.service, call.operation, call.params
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
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", table_arn(name)) for name in params["RequestItems"]]
        return [(f"dynamodb:{operation}", table_arn(params["TableName"], params.get("IndexName")))]
    if service == "dynamodbstreams":  # IAM names these dynamodb:*, on the stream
        stream = params.get("StreamArn") or iterators[params["ShardIterator"]]
        return [(f"dynamodb:{operation}", stream)]
    if service == "s3":
        action = {"HeadObject": "GetObject"}.get(operation, operation)
        return [(f"s3:{action}", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]
    if service == "ses":
        domain = re.search(r"@([^>\s]+)", params["Source"]).group(1)
        needed = [(f"ses:{operation}", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}")]
        if "ConfigurationSetName" in params:
            arn = f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{params['ConfigurationSetName']}"
            needed.append((f"ses:{operation}", arn))
        return needed
    return [(f"{service}:{operation}", "?")]


def keys_used(calls: list[Call], role: str, table: str) -> set[str]:
    """The partition keys (the `job` attribute) a role's calls named in one table."""

    def key_of(body: dict) -> str:
        item = body.get("Key") or body.get("Item") or {}
        return item.get("job", {}).get("S", "?")

    keys = set()
    for call in calls:
        if call.role != role or call.service != "dynamodb":
            continue
        params = call.params
        if params.get("TableName") == table:
            keys.add(key_of(params))
        for item in params.get("TransactItems", []):
            for body in item.values():
                if body["TableName"] == table:
                    keys.add(key_of(body))
        for name, request in params.get("RequestItems", {}).items():
            if name == table:
                keys.update(k["job"]["S"] for k in request.get("Keys", []))
    return keys


def needed_by_role(calls: list[Call]) -> dict[str, set[tuple[str, str]]]:
    iterators = {}
    for call in calls:  # which stream each shard iterator reads (GetRecords names only the iterator)
        if call.operation == "GetShardIterator":
            iterators[call.response["ShardIterator"]] = call.params["StreamArn"]
        if call.operation == "GetRecords" and call.response.get("NextShardIterator"):
            iterators[call.response["NextShardIterator"]] = iterators[call.params["ShardIterator"]]
    needed: dict[str, set[tuple[str, str]]] = {}
    for call in calls:
        needed.setdefault(call.role, set()).update(authorisations(call, iterators))
    return needed


class Recorder:
    """Every AWS call, with the role of the function making it; calls made as None are the test's own set-up."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.role: str | None = API

    @contextmanager
    def running_as(self, role: str | None):
        before, self.role = self.role, role
        try:
            yield
        finally:
            self.role = before


@contextmanager
def recording():
    import botocore.client

    recorder = Recorder()
    original = botocore.client.BaseClient._make_api_call

    def record(self, operation, params):
        response = original(self, operation, params)
        if recorder.role is not None:
            service = self.meta.service_model.service_name
            recorder.calls.append(Call(recorder.role, service, operation, params, response))
        return response

    botocore.client.BaseClient._make_api_call = record
    try:
        yield recorder
    finally:
        botocore.client.BaseClient._make_api_call = original


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
    boto3.client("ses").create_configuration_set(ConfigurationSet={"Name": CONFIGURATION_SET})
    monkeypatch.setenv("LANTERN_SES_CONFIGURATION_SET", CONFIGURATION_SET)  # as the stack sets it
    outbox = boto3.client("dynamodb").describe_table(TableName=f"lantern-{SCHOOL}-outbox")["Table"]
    return Stack(bucket=bucket, streams={"OutboxTable": outbox["LatestStreamArn"]})


def digest_time(school) -> datetime:
    """A school day at least four days on (alerts by then unread for longer than the school allows), just after
    the digest's time."""
    local_today = datetime.now(UTC).astimezone(school.zone).date()
    day = local_today + timedelta(days=4)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    at = datetime.combine(day, time.fromisoformat(school.digest.time), tzinfo=school.zone)
    return (at + timedelta(minutes=1)).astimezone(UTC)


def routes_of(app) -> list[tuple[str, str]]:
    return [(path, method) for path, entries in app.routes.items() for method in entries]


def record_routes_called(app, monkeypatch) -> set[tuple[str, str]]:
    """Wrap each route's view (for this test) to note (path, method) when it runs; the set fills as the flow goes."""
    called: set[tuple[str, str]] = set()
    for path, entries in app.routes.items():
        for method, entry in entries.items():

            def noted(*args, _view=entry.view_function, _route=(path, method), **kwargs):
                called.add(_route)
                return _view(*args, **kwargs)

            monkeypatch.setattr(entry, "view_function", noted)
    return called


def test_every_call_of_the_main_flows_is_allowed_by_the_role_that_makes_it(deployed_like, template, monkeypatch):
    from chalice.test import Client

    from app import app
    from chalicelib import digest, outbox, reminders
    from chalicelib.clock import utcnow
    from chalicelib.settings import current_school
    from tests.functional.incident_data import make_people, safeguarding
    from tests.helpers import Api, session_cookie_for
    from tools.local_stack import outbox_stream, sent_emails

    stack = deployed_like
    school = current_school()
    called = record_routes_called(app, monkeypatch)
    assert school.digest.enabled
    people = make_people()  # admin work, not the API's
    stream = outbox_stream(app)  # Lambda's event source mapping knows the stream; finding it is set-up
    now = utcnow()
    with Client(app, stage_name="api") as client, recording() as recorder:

        def deliver() -> list:
            """The outbox's stream handed to app.py's send_outbox, as Lambda's event source mapping does."""
            with recorder.running_as(SENDER):
                stream.poll()
            return sent_emails(REGION)

        def as_user(staff) -> Api:
            with recorder.running_as(None):
                return Api(client, session_cookie_for(staff))

        anonymous = Api(client)
        assert anonymous.post("/auth/forgot", {"email": people["teacher"].email}).status_code == 202
        token = re.search(r"#token=([A-Za-z0-9_-]+)", deliver()[-1].body).group(1)
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
            planner={"date": (now + timedelta(days=2)).date().isoformat(), "time": "09:00", "note": "Check in"},
        )
        added = teacher.post("/incidents", body)
        assert added.status_code == 201, added.data

        # The backstop: every email the stream has not handed on yet (the password-changed email, the alerts).
        with recorder.running_as(SWEEP):
            swept = outbox.sweep(school, now=utcnow() + timedelta(minutes=1))
        assert swept.get("sent", 0) >= 2, swept
        assert deliver()  # the stream now finds them sent: nothing twice

        dsl = as_user(people["dsl"])
        alerts = dsl.get("/alerts").data["alerts"]
        incident_id = alerts[0]["incident_id"]
        assert dsl.get(f"/incidents/{incident_id}").status_code == 200
        assert dsl.get(f"/incidents/{incident_id}/files/0").status_code == 200
        follow_up = (now.astimezone(school.zone) + timedelta(days=3)).date().isoformat()
        action = {
            "text": "Phone call.",
            "date": now.astimezone(school.zone).date().isoformat(),
            "tagged_ids": [people["teacher"].staff_id],
            "follow_up": follow_up,
        }
        acted = dsl.post(f"/incidents/{incident_id}/actions", action)
        assert acted.status_code == 200, acted.data

        # My planner: add one, move it, delete it.
        assert teacher.get("/planner").status_code == 200
        when = {"date": (now + timedelta(days=5)).date().isoformat(), "time": "10:00", "note": "Ring home"}
        mine = teacher.post("/planner", when)
        assert mine.status_code == 201, mine.data
        moved = teacher.post("/planner/change", {**when, "id": mine.data["reminder"]["id"], "time": "11:00"})
        assert moved.status_code == 200, moved.data
        deleted = teacher.post("/planner/delete", {"id": moved.data["reminder"]["id"]})
        assert deleted.status_code == 200, deleted.data

        # The reminder job: a first run sets its checkpoint; one four days on queues the planner reminder and
        # the action's follow-ups (for its author and the teacher).
        with recorder.running_as(REMINDERS):
            assert reminders.queue_due(school, now=utcnow()) == {}
            queued = reminders.queue_due(school, now=utcnow() + timedelta(days=4))
        assert queued == {"queued": 3}, queued

        # The digest, on a school day after its time: the open incident, unread alerts, the late follow-up.
        with recorder.running_as(DIGEST):
            assert digest.send_if_due(school, now=digest_time(school)) >= 1
        deliver()
        with recorder.running_as(SWEEP):  # whatever the stream found not yet due (they were queued "later")
            outbox.sweep(school, now=max(digest_time(school), utcnow() + timedelta(days=4)) + timedelta(minutes=5))
        with recorder.running_as(None):
            assert list(outbox.OutboxItem.waiting.query(outbox.PENDING)) == []  # every email went

        work = teacher.get("/alerts").data
        (open_action,) = work["actions"]
        done = teacher.post(f"/incidents/{incident_id}/actions/{open_action['action_id']}/done", {"note": "Rang."})
        assert done.status_code == 200, done.data
        status = {"status": "Closed", "decision": "No further action", "reason": "Resolved"}
        assert dsl.post(f"/incidents/{incident_id}/status", status).status_code == 200
        assert dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology").status_code == 200
        assert dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology/pdf").status_code == 200
        assert dsl.get("/reports?preset=year").status_code == 200  # Query on GSI by-month, BatchGet of names
        exported = dsl.get("/reports/incidents?preset=year&names=1&account=1")  # BatchGet of pupils, incidents
        assert exported.status_code == 200 and exported.data["rows"] >= 1, exported.data
        assert dsl.post("/alerts/read", {"incident_id": incident_id}).status_code == 200
        # Every other change a leader makes (each is one transaction of its own shape).
        for change, form in (
            ("concern-level", {"level": "high", "reason": "Injury seen"}),
            ("agencies", {"agencies": ["Police"]}),
            ("assign", {"assigned_ids": [people["head"].staff_id]}),
            (
                "recategorise",
                {"categories": ["Safeguarding"], "subcategories": {"Safeguarding": ["Neglect"]}, "reason": "Said"},
            ),
        ):
            made = dsl.post(f"/incidents/{incident_id}/{change}", form)
            assert made.status_code == 200, (change, made.data)
        assert anonymous.get("/health").status_code == 200
        roster = dsl.get("/roster").data
        assert dsl.get(f"/roster/{roster['roster']}.0").status_code == 200  # Find a pupil: the reference's id
        assert teacher.post("/auth/logout").status_code == 200

        # The second step: the DSL adds a passkey, then signs in with the password and the passkey, and once more
        # with the password and a code; then removes the passkey (chalicelib/auth/passkeys.py, second_factor.py).
        import pyotp

        from tests.functional.test_passkeys import SoftAuthenticator

        with recorder.running_as(None):
            from chalicelib.auth import passwords
            from chalicelib.models import Staff

            secret = pyotp.random_base32()
            people["dsl"].update(
                actions=[Staff.password_hash.set(passwords.hash_password(password)), Staff.totp_secret.set(secret)]
            )
        phone = SoftAuthenticator()
        creation = dsl.post("/account/passkeys/options").data["options"]
        assert dsl.post("/account/passkeys", phone.create(creation)).status_code == 201
        for second_step in ("passkey", "code"):
            pending = Api(client)
            signed_in = pending.post("/auth/login", {"email": people["dsl"].email, "password": password})
            pending.cookie = signed_in.headers["set-cookie"].split(";")[0]
            if second_step == "passkey":
                request = pending.post("/auth/passkey/options").data["options"]
                assert pending.post("/auth/passkey", phone.get(request)).status_code == 200
            else:
                assert pending.post("/auth/code", {"code": pyotp.TOTP(secret).now()}).status_code == 200
        passkey_id = dsl.get("/account/passkeys").data["passkeys"][0]["id"]
        assert dsl.post(f"/account/passkeys/{passkey_id}/remove", {}).status_code == 200
        # A first sign-in of a role that reads records: the authenticator app set up at the second step.
        with recorder.running_as(None):
            people["head"].update(actions=[Staff.password_hash.set(passwords.hash_password(password))])
        enrolling = Api(client)
        signed_in = enrolling.post("/auth/login", {"email": people["head"].email, "password": password})
        enrolling.cookie = signed_in.headers["set-cookie"].split(";")[0]
        secret = enrolling.get("/auth/enrol").data["secret"]
        enrolled = enrolling.post("/auth/enrol", {"code": pyotp.TOTP(secret).now()})
        assert enrolled.status_code == 200, enrolled.data

        # The admin page's roster import: pupils as a job (planned, then stepped), a staff file at once. The roster
        # index exists from the first import (here: the pupils above were seeded, so it is built as trust IT's
        # `make import REBUILD_INDEX=1` would, with the operator's rights).
        with recorder.running_as(None):
            from chalicelib.roster_import import index

            index.rebuild()
        admin = as_user(people["admin"])
        pupils_csv = (ROOT / "tests" / "data" / "pupils_sims.csv").read_text()
        job = admin.post("/admin/roster", {"kind": "pupils", "csv": pupils_csv, "full": True})
        assert job.status_code == 202, job.data
        progress = job.data
        while progress["state"] == "running":
            stepped = admin.post("/admin/roster/step", {"job_id": progress["job_id"]})
            assert stepped.status_code == 200, stepped.data
            progress = stepped.data
        assert progress["summary"]["added"] == 6 and progress["summary"]["left"] >= 1, progress
        assert admin.get("/admin/roster").data["job"]["state"] == "done"
        staff_csv = "Email,Name,Role,Job Title\nnew.teacher@themead.example.org,New Teacher,staff,Class Teacher\n"
        assert admin.post("/admin/roster", {"kind": "staff", "csv": staff_csv}).status_code == 200

        # SES says an email bounced for good: the account is marked and the admins told (email_feedback, as SNS
        # delivers it); the admin page lists it and the admin says emails work again.
        bounced = (
            '{"eventType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": '
            f'[{{"emailAddress": "{people["ta"].email}"}}]}}}}'
        )
        notification = {"Records": [{"Sns": {"Message": bounced, "Subject": None, "MessageAttributes": {}}}]}
        with recorder.running_as(FEEDBACK):
            client.lambda_.invoke("email_feedback", notification)
        assert admin.get("/admin/staff").status_code == 200
        for action in ("reset-second-factor", "disable"):  # a lost phone, a leaver
            done = admin.post(f"/admin/staff/{people['dht'].staff_id}/{action}", {})
            assert done.status_code == 200, (action, done.data)
        works = admin.post(f"/admin/staff/{people['ta'].staff_id}/email-works", {})
        assert works.status_code == 200, works.data

        # Each scheduled function once more, as its schedule starts it (through app.py, now).
        scheduled = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        for name, role in (("sweep_outbox", SWEEP), ("queue_due_reminders", REMINDERS), ("send_daily_digest", DIGEST)):
            with recorder.running_as(role):
                client.lambda_.invoke(name, scheduled)
        deliver()

    # Every route was called (so every route's calls were checked against the API's role).
    assert sorted(set(routes_of(app)) - called) == []
    needed = needed_by_role(recorder.calls)
    jobs_keys = keys_used(recorder.calls, API, f"lantern-{SCHOOL}-jobs")
    # The browser's presigned POST is authorised as the role that signed it: PutObject, with the tagging field.
    upload = f"arn:aws:s3:::{stack.bucket}/uploads/{people['teacher'].staff_id}/{start.data['upload_id']}"
    needed[API] |= {("s3:PutObject", upload), ("s3:PutObjectTagging", upload)}
    assert set(needed) == {API, SENDER, SWEEP, REMINDERS, DIGEST, FEEDBACK}
    resources = template["Resources"]
    refused = sorted(
        (role, action, resource)
        for role, pairs in needed.items()
        for action, resource in pairs
        if not allowed(resources[role]["Properties"]["Policies"], action, resource, stack)
    )
    assert refused == []

    # the flows really went through these paths, and no role needs a Scan or a whole-table transaction grant
    actions = {role: {action for action, _ in pairs} for role, pairs in needed.items()}
    for role_actions in actions.values():
        assert {"dynamodb:TransactWriteItems", "dynamodb:Scan"}.isdisjoint(role_actions)
    for role, expected in {
        API: {"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem"},
        SENDER: {"dynamodb:GetRecords", "dynamodb:GetItem", "dynamodb:UpdateItem", "ses:SendEmail"},
        SWEEP: {"dynamodb:Query", "dynamodb:UpdateItem", "ses:SendEmail"},
        REMINDERS: {"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem"},
        DIGEST: {"dynamodb:Query", "dynamodb:PutItem"},
        FEEDBACK: {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"},
    }.items():
        assert expected <= actions[role], role
    assert {"s3:GetObject"} <= actions[API]
    # only the senders send: every other function writes to the outbox
    assert [role for role, role_actions in actions.items() if "ses:SendEmail" in role_actions] in (
        [SENDER, SWEEP],
        [SWEEP, SENDER],
    )

    # and the checker is not vacuous: what each role must not do is refused
    def may(role: str, action: str, resource: str) -> bool:
        return allowed(resources[role]["Properties"]["Policies"], action, resource, stack)

    def table(kind: str) -> str:
        return table_arn(f"lantern-{SCHOOL}-{kind}")

    sender_identity = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{SCHOOL}.example.org"
    assert not may(API, "dynamodb:Scan", table("staff"))
    assert not may(API, "dynamodb:DeleteItem", table("audit"))
    assert not may(API, "dynamodb:GetItem", table_arn("lantern-rivermead-staff"))
    assert not may(API, "s3:GetObject", f"arn:aws:s3:::{stack.bucket}/other/key")
    assert not may(API, "ses:SendEmail", sender_identity)  # the API only adds emails to the outbox
    assert not may(API, "dynamodb:GetItem", table("outbox"))
    # the jobs table: only the roster import's own items (IAM's dynamodb:LeadingKeys, which `allowed` does not
    # model, so every key the API used there is checked here), never the scheduled jobs' checkpoints
    assert jobs_keys and all(key.startswith("roster-") for key in jobs_keys), jobs_keys
    assert not may(SENDER, "dynamodb:PutItem", table("outbox"))
    assert not may(SENDER, "dynamodb:GetItem", table("incidents"))
    assert not may(SENDER, "dynamodb:GetRecords", stack.streams["OutboxTable"].replace("-outbox/", "-staff/"))
    assert not may(SWEEP, "dynamodb:Query", table_arn(f"lantern-{SCHOOL}-staff", "directory"))
    assert not may(REMINDERS, "ses:SendEmail", sender_identity)
    assert not may(REMINDERS, "dynamodb:DeleteItem", table("planner"))
    assert not may(DIGEST, "ses:SendEmail", sender_identity)
    assert not may(DIGEST, "dynamodb:GetItem", table("incidents"))  # the digest reads only what the index holds
    assert not may(DIGEST, "dynamodb:Query", table("alerts"))
    assert not may(FEEDBACK, "ses:SendEmail", sender_identity)  # it tells the admins through the outbox
    assert not may(FEEDBACK, "dynamodb:DeleteItem", table("staff"))
    assert not may(FEEDBACK, "dynamodb:GetItem", table("incidents"))
    configuration_set = f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{CONFIGURATION_SET}"
    assert may(SENDER, "ses:SendEmail", configuration_set) and not may(API, "ses:SendEmail", configuration_set)
