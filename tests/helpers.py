"""Helpers for tests: call the API as a page does, make accounts, read the outbox."""

from __future__ import annotations

import json

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


def make_staff(role: str, *, password: str | None = "a long harbour morning", email: str | None = None, title: str = ""):
    from chalicelib.auth import accounts, passwords
    from chalicelib.models import Staff

    staff = accounts.create_staff(email=email or f"{role}.person@themead.example.org", name=f"Test {role}", role=role, title=title)
    if password:
        staff.update(actions=[Staff.password_hash.set(passwords.hash_password(password))])
    return staff


def session_cookie_for(staff) -> str:
    from chalicelib.auth import sessions
    from chalicelib.web.routing import session_cookie_name

    return f"{session_cookie_name()}={sessions.start(staff.staff_id)}"


def sent_emails():
    from tools.local_stack import sent_emails as emails

    return emails("eu-west-2")
