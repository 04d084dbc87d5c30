"""Bad input gets a clear 4xx JSON answer; cross-site writes are refused; nothing internal leaks."""

from __future__ import annotations

import pytest

from chalicelib.models import Staff
from tests.helpers import make_staff, sent_emails


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "could not be read"),
        ("[1, 2]", "could not be read"),
        ('"just text"', "could not be read"),
        ("", "empty"),
    ],
)
def test_malformed_bodies(api, raw, message):
    response = api.post("/auth/login", raw=raw)
    assert response.status_code == 400
    assert message in response.data["error"]


def test_missing_wrong_type_overlong_and_unknown_fields_are_named(api):
    response = api.post("/auth/login", {"email": 42, "password": "", "remember": True})
    assert response.status_code == 400
    assert response.data["fields"] == {
        "email": "Email address must be text.",
        "password": "Enter your password.",
        "remember": "This is not a field Lantern expects.",
    }
    long = api.post("/auth/forgot", {"email": "a" * 250 + "@x.org"})
    assert long.status_code == 400 and "254 characters or fewer" in long.data["fields"]["email"]
    bad = api.post("/auth/forgot", {"email": "not-an-email"})
    assert bad.status_code == 400 and "correct format" in bad.data["fields"]["email"]


def test_an_oversized_body_is_refused(api):
    response = api.post("/auth/login", raw='{"email": "' + "a" * 300_000 + '"}')
    assert response.status_code == 413


def test_a_cross_site_form_post_is_refused(api, school):
    staff = make_staff("staff", password=None)
    # A form on another site can send urlencoded data with cookies, but cannot add a custom header.
    forged = api.call(
        "POST",
        "/auth/forgot",
        raw=f"email={staff.email}",
        headers={"content-type": "application/x-www-form-urlencoded", "x-lantern-request": ""},
    )
    assert forged.status_code == 403
    assert "did not come from a Lantern page" in forged.data["error"]
    as_json_without_header = api.call("POST", "/auth/forgot", {"email": staff.email}, headers={"x-lantern-request": ""})
    assert as_json_without_header.status_code == 403
    not_json = api.call("POST", "/auth/forgot", raw=f"email={staff.email}", headers={"content-type": "text/plain"})
    assert not_json.status_code == 415
    assert sent_emails() == []


def test_an_unexpected_failure_says_nothing_internal(api, school, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail about pupil Ama Boateng")

    monkeypatch.setattr("chalicelib.auth.accounts.find_by_email", broken)
    response = api.post("/auth/forgot", {"email": "someone@themead.example.org"})
    assert response.status_code == 500
    assert "secret" not in response.body.decode() and "Traceback" not in response.body.decode()
    assert response.data["error"].startswith("Something went wrong on our side")


def test_a_failed_set_password_writes_nothing(api, school, monkeypatch):
    """The link is used up and the password stored in one transaction, or neither happens."""
    import re

    from chalicelib.auth import sessions
    from chalicelib.models import PasswordLink

    staff = make_staff("staff", password=None)
    api.post("/auth/forgot", {"email": staff.email})
    token = re.search(r"#token=([\w-]+)", sent_emails()[-1].body).group(1)
    staff.delete()  # the account goes (an admin removed it) between the email and the click
    response = api.post("/auth/set-password", {"token": token, "password": "kettle orchard lantern swim"})
    assert response.status_code == 400
    assert PasswordLink.get(sessions.token_hash(token))  # not used up
    with pytest.raises(Staff.DoesNotExist):
        Staff.get(staff.staff_id)  # and not re-created by an update


def test_logs_hold_no_email_token_or_password(api, school, caplog):
    staff = make_staff("staff", password=None)
    api.post("/auth/forgot", {"email": staff.email})
    import re

    token = re.search(r"#token=([\w-]+)", sent_emails()[-1].body).group(1)
    api.post("/auth/set-password", {"token": token, "password": "kettle orchard lantern swim"})
    api.post("/auth/login", {"email": staff.email, "password": "kettle orchard lantern swim"})
    api.post("/auth/login", {"email": staff.email, "password": "wrong wrong wrong"})
    printed = "\n".join(str(vars(record)) for record in caplog.records)  # message and every extra field
    assert "signed in" in printed  # the logs are there...
    for secret in (staff.email, token, "kettle orchard", "wrong wrong"):
        assert secret not in printed  # ...without what must never be in them
