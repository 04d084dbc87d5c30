"""The second factor: every role that reads records (leader, DSL, Head, admin) signs in with an authenticator
app's code after the password; staff who only report keep password sign-in. Codes work once, recovery codes
once each; a pending sign-in can do nothing but the second step; an admin can reset it or disable an account."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from app import routes
from chalicelib.auth import second_factor, sessions
from chalicelib.clock import utcnow
from chalicelib.models import AuditEntry, Staff
from tests.helpers import Api, make_staff, session_cookie_for

PASSWORD = "kettle orchard lantern swim"


def cookie_from(response) -> str:
    return response.headers["Set-Cookie"].split(";", 1)[0]


def sign_in(api: Api, email: str) -> dict:
    response = api.post("/auth/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.data
    api.cookie = cookie_from(response)
    return response.data


def enrol(api: Api, email: str) -> tuple[pyotp.TOTP, list[str], str]:
    assert sign_in(api, email) == {"next": "enrol"}
    set_up = api.get("/auth/enrol").data
    assert set_up["qr_svg"].startswith("<svg") and set_up["uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(set_up["secret"])
    assert api.get("/auth/enrol").data["secret"] == set_up["secret"]  # the same secret until confirmed
    first_code = totp.now()
    done = api.post("/auth/enrol", {"code": first_code})
    assert done.status_code == 200, done.data
    return totp, done.data["recovery_codes"], first_code


@pytest.mark.parametrize("role", ["leader", "dsl", "head", "admin"])
def test_roles_that_read_records_enrol_then_use_a_code(client, school, role):
    staff = make_staff(role, password=PASSWORD)
    api = Api(client)
    totp, recovery, used = enrol(api, staff.email)
    assert len(recovery) == 10 and len(set(recovery)) == 10
    assert api.get("/me").status_code == 200
    assert all(code not in str(Staff.get(staff.staff_id).recovery_hashes) for code in recovery)  # hashed

    api.post("/auth/logout")
    assert sign_in(api, staff.email) == {"next": "code"}
    assert api.get("/me").data == {"error": "Enter the code from your authenticator app to carry on.", "next": "code"}
    reused = api.post("/auth/code", {"code": used})  # the enrolment code: used once already
    assert reused.status_code == 400 and "code" in reused.data["fields"]
    later = totp.at(utcnow() + timedelta(seconds=30))  # the next step's code (a phone a little ahead)
    assert api.post("/auth/code", {"code": later}).status_code == 200
    assert api.get("/me").status_code == 200


def test_staff_who_only_report_keep_password_sign_in(client, school):
    staff = make_staff("staff", password=PASSWORD)
    api = Api(client)
    assert sign_in(api, staff.email)["user"]["role"] == "staff"
    assert api.get("/me").status_code == 200


def test_a_recovery_code_works_once(client, school):
    staff = make_staff("dsl", password=PASSWORD)
    api = Api(client)
    _, recovery, _ = enrol(api, staff.email)
    api.post("/auth/logout")
    sign_in(api, staff.email)
    assert api.post("/auth/code", {"code": recovery[3].upper()}).status_code == 200
    api.post("/auth/logout")
    sign_in(api, staff.email)
    assert api.post("/auth/code", {"code": recovery[3]}).status_code == 400
    assert len(Staff.get(staff.staff_id).recovery_hashes) == 9


def test_a_pending_sign_in_reaches_no_other_route(client, school):
    staff = make_staff("head", password=PASSWORD)
    api = Api(client)
    sign_in(api, staff.email)
    second_step = {"/auth/enrol", "/auth/code", "/auth/login", "/auth/logout", "/auth/forgot", "/auth/set-password"}
    checked = 0
    for (path, method), allow in routes.access.items():
        if path in second_step or "anonymous" in allow:  # public routes need no session at all
            continue
        url = path.replace("{incident_id}", "0" * 8 + "-0000-0000-0000-" + "0" * 12).replace("{", "").replace("}", "")
        response = api.call(method, url, {} if method == "POST" else None)
        assert response.status_code == 401, (method, path, response.status_code)
        checked += 1
    assert checked > 20


def test_codes_are_limited_like_passwords(client, school):
    staff = make_staff("dsl", password=PASSWORD)
    api = Api(client)
    totp, _, _ = enrol(api, staff.email)
    api.post("/auth/logout")
    sign_in(api, staff.email)
    for _ in range(second_factor.MAX_CODE_ATTEMPTS):
        assert api.post("/auth/code", {"code": "000000"}).status_code == 400
    locked = api.post("/auth/code", {"code": totp.at(utcnow() + timedelta(seconds=30))})
    assert locked.status_code == 400 and "15 minutes" in locked.data["error"]


def test_an_admin_resets_a_second_factor_and_disables_an_account_each_audited(client, school):
    admin = Api(client, session_cookie_for(make_staff("admin", email="it@themead.example.org")))
    dsl = make_staff("dsl", password=PASSWORD)
    api = Api(client)
    enrol(api, dsl.email)
    assert api.get("/me").status_code == 200

    listed = {row["email"]: row for row in admin.get("/admin/staff").data["staff"]}
    assert listed[dsl.email]["second_factor"] is True
    reset = admin.post(f"/admin/staff/{dsl.staff_id}/reset-second-factor", {})
    assert reset.status_code == 200 and reset.data["staff"]["second_factor"] is False
    assert api.get("/me").status_code == 401  # its sessions ended
    assert sign_in(api, dsl.email) == {"next": "enrol"}

    disabled = admin.post(f"/admin/staff/{dsl.staff_id}/disable", {})
    assert disabled.status_code == 200 and disabled.data["staff"]["active"] is False
    assert api.post("/auth/login", {"email": dsl.email, "password": PASSWORD}).status_code == 401
    actions = [e.action for e in AuditEntry.query(f"staff#{dsl.staff_id}") if e.entry != "~head"]
    assert sorted(actions) == ["disabled the account", "reset the second factor", "set up an authenticator app"]
    assert admin.post("/admin/staff/not-an-id/disable", {}).status_code == 404
    teacher = Api(client, session_cookie_for(make_staff("staff")))
    assert teacher.post(f"/admin/staff/{dsl.staff_id}/disable", {}).status_code == 403


def test_a_pending_sign_in_runs_out_after_ten_minutes(school):
    staff = make_staff("leader", password=PASSWORD)
    token = second_factor.start_pending(Staff.get(staff.staff_id))
    with pytest.raises(Exception, match="run out"):
        sessions.resume(token, utcnow() + timedelta(minutes=11), stage="enrol")


def test_logging_out_ends_a_pending_sign_in(client, school):
    from chalicelib.models import LoginSession

    staff = make_staff("dsl", password=PASSWORD)
    api = Api(client)
    sign_in(api, staff.email)
    assert LoginSession.count() == 1
    assert api.post("/auth/logout").status_code == 200
    assert LoginSession.count() == 0
