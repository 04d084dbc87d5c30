"""Helpers for tests: call the API as a page does, make accounts, read the outbox."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from requests.structures import CaseInsensitiveDict


class Api:
    """Calls the app as a browser page would: JSON, the write header, the session cookie."""

    def __init__(self, client, cookie: str | None = None) -> None:
        self.client = client
        self.cookie = cookie

    def call(self, method: str, path: str, body=None, *, headers=None, raw: bytes | str | None = None):
        sent = {"content-type": "application/json", "x-lantern-request": "1"}
        if self.cookie:
            sent["cookie"] = self.cookie
        sent.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.client.http.request(method, path, body=payload, headers=sent)
        response.data = json.loads(response.body) if response.body else {}
        response.headers = CaseInsensitiveDict(response.headers)
        return response

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs):
        return self.call("POST", path, body, **kwargs)


def make_staff(role: str, *, password: str | None = None, email: str | None = None, title: str = ""):
    from chalicelib.auth import accounts, passwords
    from chalicelib.models import Staff

    staff = accounts.create_staff(
        email=email or f"{role}.person@themead.example.org", name=f"Test {role}", role=role, title=title
    )
    if password:
        staff.update(actions=[Staff.password_hash.set(passwords.hash_password(password))])
    return staff


def session_cookie_for(staff) -> str:
    from chalicelib.auth import sessions
    from chalicelib.web.routing import session_cookie_name

    return f"{session_cookie_name()}={sessions.start(staff.staff_id)}"


_streams: dict = {}


def deliver_outbox() -> int:
    """Hand every outbox item written so far to the app's stream handler, as the deployed stream would."""
    from app import app
    from tools.local_stack import outbox_stream

    stream = outbox_stream(app)
    stream = _streams.setdefault(stream.arn, stream)  # tables are made anew each test: one reader per stream
    return stream.poll()


def sent_emails():
    """Every email sent so far, after the outbox's stream has been handled (oldest first)."""
    from tools.local_stack import sent_emails as emails

    deliver_outbox()
    return emails("eu-west-2")


ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def local_server(log_dir: Path, school: str = "themead"):
    """Start Lantern exactly as `make run` does (its own process, its own moto), yield its URL, process and log."""
    from tools.local_stack import free_port

    port = free_port()
    log = log_dir / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tools.local_server",
                "--school",
                school,
                "--port",
                str(port),
                "--site",
                log_dir / "site",
                "--state",
                log_dir / "state.json",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl-C to stop" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the local server did not start in 60 s"
            time.sleep(0.2)
        yield {"url": f"http://127.0.0.1:{port}", "process": process, "log": log}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def demo_email(banner: str, role: str) -> str:
    """The first demo account of `role` from the `make run` banner."""
    return re.search(rf"^  {role} +(\S+)$", banner, re.M).group(1)


def latest_link_from_outbox(url: str, to: str, timeout: float = 30) -> str:
    """Wait for an email to `to` in the local outbox page (the outbox sends a moment after the change) and return
    the link the newest one holds."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        outbox = requests.get(f"{url}/dev/outbox", timeout=10).text
        for row in re.finditer(r'<tr><td>([^<]*)</td><td><a href="(/dev/outbox/[^"]+)">', outbox):
            if row.group(1) == to:
                message = requests.get(f"{url}{row.group(2)}", timeout=10).text
                return re.search(r'href="(http://127\.0\.0\.1:\d+/[^"]+)"', message).group(1)
        assert time.monotonic() < deadline, f"no email to {to} in the outbox after {timeout} s"
        time.sleep(0.2)  # polling the page the user would reload


def totp_code(email: str, offset: int = 0) -> str:
    """The authenticator code of a demo account (tools/seed.py enrols them with a fixed secret) for the time step
    `offset` steps from now: a code works once, so a second sign-in within 30 seconds takes the next step's."""
    import time as clock

    import pyotp

    from tools.seed import demo_secret

    return pyotp.TOTP(demo_secret(email)).at(clock.time() + 30 * offset)


def inject_aws_fault(
    patch, fail_at: int | None, *, lost_answer: bool = False, services: tuple[str, ...] = ("dynamodb", "s3", "ses")
) -> list[str]:
    """Count the AWS calls of `services` ("dynamodb:PutItem", in order); make call number `fail_at` fail as a dropped
    connection would: before it reaches AWS, or with `lost_answer` after AWS did it (the answer lost on the way
    back, which is what makes a retry dangerous). `patch` is a pytest MonkeyPatch whose context ends it."""
    import botocore.client
    import botocore.exceptions

    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def make_api_call(client, operation, params):
        service = client.meta.service_model.service_name
        if service not in services:
            return real(client, operation, params)
        calls.append(f"{service}:{operation}")
        failing = fail_at is not None and len(calls) == fail_at
        if failing and not lost_answer:
            raise botocore.exceptions.EndpointConnectionError(endpoint_url=f"http://{service}")
        answer = real(client, operation, params)
        if failing:
            raise botocore.exceptions.ReadTimeoutError(endpoint_url=f"http://{service}")
        return answer

    patch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    return calls
