"""Staff set a password by email and sign in, as the school's guidance describes; and what attackers try."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest

from chalicelib.auth import accounts, sessions, throttle
from chalicelib.clock import utcnow
from chalicelib.models import LoginSession, PasswordLink, SignInThrottle, Staff
from tests.helpers import make_staff, sent_emails, session_cookie_for

GOOD_PASSWORD = "kettle orchard lantern swim"


def link_token(email) -> str:
    match = re.search(r"/set-password\.html#token=([A-Za-z0-9_-]+)", email.body)
    assert match, "the email holds a set-password link"
    return match.group(1)


def cookie_from(response) -> str:
    return response.headers["Set-Cookie"].split(";")[0]


def test_first_time_set_password_then_sign_in_then_log_out(api, school):
    staff = make_staff("dsl", password=None, email="hannah.lewis@themead.example.org")

    forgot = api.post("/auth/forgot", {"email": "Hannah.Lewis@themead.example.org "})
    assert forgot.status_code == 202
    (email,) = sent_emails()
    assert email.destinations["ToAddresses"] == ["hannah.lewis@themead.example.org"]
    assert "The Mead" in email.subject
    token = link_token(email)
    assert f"{school.url}/set-password.html#token=" in email.body  # built from settings, token only in the fragment
    assert PasswordLink.get(sessions.token_hash(token))  # only the hash is stored
    with pytest.raises(PasswordLink.DoesNotExist):
        PasswordLink.get(token)

    done = api.post("/auth/set-password", {"token": token, "password": GOOD_PASSWORD})
    assert done.status_code == 200, done.data
    notice = sent_emails()[-1]
    assert "password was changed" in notice.subject

    login = api.post("/auth/login", {"email": "hannah.lewis@themead.example.org", "password": GOOD_PASSWORD})
    assert login.status_code == 200, login.data
    assert login.data == {"next": "enrol"}  # a DSL reads records: the authenticator app comes next
    cookie_header = login.headers["Set-Cookie"]
    assert cookie_header.startswith("__Host-lantern-session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in cookie_header
    assert "Domain" not in cookie_header

    api.cookie = cookie_from(login)
    assert api.get("/me").status_code == 401  # not until the second factor is done
    secret = api.get("/auth/enrol").data["secret"]
    assert api.post("/auth/enrol", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    me = api.get("/me")
    assert me.status_code == 200
    assert me.data == {
        "user": {"name": staff.name, "email": staff.email, "role": "dsl", "role_label": "DSL/DDSL"},
        "school": {"name": "The Mead", "slug": "themead"},
    }

    out = api.post("/auth/logout")
    assert out.status_code == 200
    assert "Max-Age=0" in out.headers["Set-Cookie"]
    assert api.get("/me").status_code == 401  # deleted server-side, not just in the browser


def test_the_link_works_once(api, school):
    make_staff("staff", password=None)
    api.post("/auth/forgot", {"email": "staff.person@themead.example.org"})
    token = link_token(sent_emails()[-1])
    assert api.post("/auth/set-password", {"token": token, "password": GOOD_PASSWORD}).status_code == 200
    again = api.post("/auth/set-password", {"token": token, "password": "another fine long phrase"})
    assert again.status_code == 400
    assert "expired or has already been used" in again.data["error"]
    assert "token" in again.data["fields"]


def test_the_link_expires_after_an_hour(api, school):
    staff = make_staff("staff", password=None)
    accounts.send_password_link(school, staff, now=utcnow() - timedelta(minutes=61))
    token = link_token(sent_emails()[-1])
    refused = api.post("/auth/set-password", {"token": token, "password": GOOD_PASSWORD})
    assert refused.status_code == 400
    assert Staff.get(staff.staff_id).password_hash is None


def test_an_invented_token_is_refused(api, school):
    refused = api.post("/auth/set-password", {"token": "x" * 43, "password": GOOD_PASSWORD})
    assert refused.status_code == 400
    assert refused.data["fields"]["token"]


def test_a_refused_password_keeps_the_link_usable(api, school):
    make_staff("staff", password=None)
    api.post("/auth/forgot", {"email": "staff.person@themead.example.org"})
    token = link_token(sent_emails()[-1])
    for weak, reason in [
        ("short one", "at least 12 characters"),
        ("password1234", "most common passwords"),
        ("I love The Mead school", "school's name"),
        ("staff.person rocks!", "email address"),
        ("abababababababab", "easy to guess"),
    ]:
        refused = api.post("/auth/set-password", {"token": token, "password": weak})
        assert refused.status_code == 400
        assert reason in refused.data["fields"]["password"], weak
    assert api.post("/auth/set-password", {"token": token, "password": GOOD_PASSWORD}).status_code == 200


def test_same_answer_for_known_and_unknown_emails(api, school):
    make_staff("staff", password=None)
    timings = {}
    answers = {}
    for email in ("staff.person@themead.example.org", "nobody@themead.example.org"):
        started = time.monotonic()
        response = api.post("/auth/forgot", {"email": email})
        timings[email] = time.monotonic() - started
        answers[email] = (response.status_code, response.data)
    known, unknown = answers.values()
    assert known == unknown
    assert len(sent_emails()) == 1
    assert min(timings.values()) >= accounts.FORGOT_RESPONSE_SECONDS  # both padded to the same floor


def test_inactive_accounts_get_no_link_and_cannot_sign_in(api, school):
    staff = make_staff("staff", password="a long harbour morning")
    staff.update(actions=[Staff.active.set(False)])
    api.post("/auth/forgot", {"email": staff.email})
    assert sent_emails() == []
    assert api.post("/auth/login", {"email": staff.email, "password": "a long harbour morning"}).status_code == 401


def test_setting_a_password_ends_other_sessions(api, school):
    staff = make_staff("leader", password="a long harbour morning")
    other_device = session_cookie_for(staff)
    api.post("/auth/forgot", {"email": staff.email})
    api.post("/auth/set-password", {"token": link_token(sent_emails()[-1]), "password": GOOD_PASSWORD})
    api.cookie = other_device
    assert api.get("/me").status_code == 401


def test_wrong_password_and_unknown_email_get_the_same_message(api, school):
    make_staff("staff", password="a long harbour morning")
    wrong = api.post("/auth/login", {"email": "staff.person@themead.example.org", "password": "not the password"})
    unknown = api.post("/auth/login", {"email": "ghost@themead.example.org", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.data == unknown.data == {"error": accounts.SIGN_IN_REFUSED}
    assert "Set-Cookie" not in wrong.headers


def test_ten_failures_lock_the_account_for_fifteen_minutes(api, school):
    staff = make_staff("staff", password="a long harbour morning")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert api.post("/auth/login", {"email": staff.email, "password": "guess guess guess"}).status_code == 401
    locked = api.post("/auth/login", {"email": staff.email, "password": "a long harbour morning"})
    assert locked.status_code == 401
    assert locked.data == {"error": accounts.SIGN_IN_REFUSED}  # the same message: nothing to learn

    # After the window, the right password works again and the count starts afresh.
    later = utcnow() + accounts.LOCKOUT_WINDOW + timedelta(seconds=1)
    signed_in = accounts.sign_in(staff.email, "a long harbour morning", now=later)
    assert signed_in.staff.staff_id == staff.staff_id


def test_fifty_parallel_guesses_take_at_most_ten_slots_and_the_lock_holds(api, school, monkeypatch):
    """The count is taken before each (slow) password check, so guesses sent at once cannot outrun it."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.auth import passwords

    staff = make_staff("staff", password="a long harbour morning")
    checked = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda *a: checked.append(1) or real_verify(*a))

    def guess(n: int) -> bool:
        try:
            accounts.sign_in(staff.email, f"guess number {n}", source_ip="203.0.113.9")
        except accounts.SignInRefusedError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert not any(pool.map(guess, range(50)))
    slots = SignInThrottle.get(throttle.email_key(staff.email), consistent_read=True)
    assert slots.attempts == accounts.MAX_FAILED_LOGINS  # 50 tries, 10 counted: the rest were refused unchecked
    assert len(checked) == 50  # every answer took the same work (timing tells nothing)
    with pytest.raises(accounts.SignInRefusedError):
        accounts.sign_in(staff.email, "a long harbour morning")  # the right password now: still locked
    unknown = [guess for guess in range(12)]
    for n in unknown:  # an unknown email locks the same way, so a lock-out reveals nothing
        with pytest.raises(accounts.SignInRefusedError):
            accounts.sign_in("nobody@themead.example.org", f"guess {n}")
    ghost = SignInThrottle.get(throttle.email_key("nobody@themead.example.org"), consistent_read=True)
    assert ghost.attempts == accounts.MAX_FAILED_LOGINS


def test_a_source_address_is_limited_across_accounts_and_a_success_gives_its_slot_back(api, school, monkeypatch):
    monkeypatch.setattr(accounts, "MAX_PER_ADDRESS", 12)
    staff = [make_staff("staff", email=f"s{n}@themead.example.org", password=f"the right words {n}") for n in range(3)]
    accounts.sign_in(staff[0].email, "the right words 0", source_ip="198.51.100.7")
    assert SignInThrottle.get("ip#198.51.100.7", consistent_read=True).attempts == 0
    for n in range(15):
        with pytest.raises(accounts.SignInRefusedError):
            accounts.sign_in(staff[n % 3].email, "wrong wrong wrong", source_ip="198.51.100.7")
    assert SignInThrottle.get("ip#198.51.100.7", consistent_read=True).attempts == 12
    with pytest.raises(accounts.SignInRefusedError):  # the right password, from the address that guessed: no
        accounts.sign_in(staff[2].email, "the right words 2", source_ip="198.51.100.7")
    assert accounts.sign_in(staff[2].email, "the right words 2", source_ip="192.0.2.1")  # from elsewhere: yes


def test_sessions_end_after_30_idle_minutes_and_12_hours(school):
    staff = make_staff("staff", password=None)
    start = utcnow()
    token = sessions.start(staff.staff_id, now=start)
    sessions.resume(token, now=start + timedelta(minutes=29))
    with pytest.raises(Exception, match="session has ended"):
        sessions.resume(token, now=start + timedelta(minutes=29) + sessions.IDLE_LIMIT + timedelta(seconds=1))
    with pytest.raises(LoginSession.DoesNotExist):
        LoginSession.get(sessions.token_hash(token))  # an ended session is deleted

    busy = sessions.start(staff.staff_id, now=start)
    moment = start
    while moment < start + sessions.ABSOLUTE_LIMIT - timedelta(minutes=20):
        moment += timedelta(minutes=20)
        sessions.resume(busy, now=moment)  # active all day...
    with pytest.raises(Exception, match="session has ended"):
        sessions.resume(busy, now=start + sessions.ABSOLUTE_LIMIT + timedelta(minutes=1))  # ...but not past 12 hours


def test_session_token_is_stored_only_as_a_hash(api, school):
    staff = make_staff("staff", password="a long harbour morning")
    login = api.post("/auth/login", {"email": staff.email, "password": "a long harbour morning"})
    token = cookie_from(login).split("=", 1)[1]
    assert len(token) >= 43  # 256 bits
    stored = [item.token_hash for item in LoginSession.by_staff.query(staff.staff_id)]
    assert stored == [sessions.token_hash(token)]
    assert token not in stored


def test_local_http_mode_uses_a_clearly_local_cookie(api, school, monkeypatch):
    monkeypatch.setenv("LANTERN_LOCAL_HTTP", "1")
    staff = make_staff("staff", password="a long harbour morning")
    login = api.post("/auth/login", {"email": staff.email, "password": "a long harbour morning"})
    header = login.headers["Set-Cookie"]
    assert header.startswith("lantern-local-session=")
    assert "Secure" not in header and "HttpOnly" in header and "SameSite=Strict" in header


def test_a_newer_link_replaces_the_older_and_a_used_link_ends_them_all(api, school):
    staff = make_staff("staff", password=None)
    accounts.send_password_link(school, staff)
    older = link_token(sent_emails()[-1])
    accounts.send_password_link(school, Staff.get(staff.staff_id))
    newer = link_token(sent_emails()[-1])
    stale = api.post("/auth/set-password", {"token": older, "password": GOOD_PASSWORD})
    assert stale.status_code == 400 and stale.data["error"] == accounts.LINK_UNUSABLE
    accounts.send_password_link(school, Staff.get(staff.staff_id))
    newest = link_token(sent_emails()[-1])
    assert api.post("/auth/set-password", {"token": newest, "password": GOOD_PASSWORD}).status_code == 200
    for token in (newer, newest):
        again = api.post("/auth/set-password", {"token": token, "password": GOOD_PASSWORD + " again"})
        assert again.status_code == 400


def test_sessions_from_before_a_password_change_end_even_if_ending_them_failed(api, school, monkeypatch):
    staff = make_staff("staff", password=None)
    api.cookie = session_cookie_for(staff)
    assert api.get("/me").status_code == 200
    monkeypatch.setattr(sessions, "end_all", lambda staff_id: 0)  # as if the clean-up was cut short
    accounts.send_password_link(school, staff)
    assert (
        api.post("/auth/set-password", {"token": link_token(sent_emails()[-1]), "password": GOOD_PASSWORD}).status_code
        == 200
    )
    assert api.get("/me").status_code == 401
