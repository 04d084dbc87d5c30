"""Lantern's API: a table of contents. Each route names who may call it and the request models of its body and query
(chalicelib/web/requests.py, by name: loaded on first use), calls one service with what they read, returns.

Each route imports its service when it is first called, so a cold start (every function of the stack imports this
file) loads only what its first request runs: the outbox sender never loads passkeys or the incident form. A plain
import statement is safe when two threads of the local server reach it at once (importlib's LazyLoader is not).

Served under /api (API Gateway stage `api`; the local server strips the prefix the same way).
"""

from chalice import Chalice

from chalicelib import __version__
from chalicelib.errors import NotFoundError
from chalicelib.security_headers import API_HEADERS
from chalicelib.settings import ROLE_LABELS, ROLES_WITH_SECOND_FACTOR, current_school
from chalicelib.web.routing import PUBLIC, SIGNED_IN, Routes, json_response, session_cookie

app = Chalice(app_name="lantern", configure_logs=False)
routes = Routes(app)
REPORTERS = frozenset({"staff", "leader", "dsl", "head"})  # everyone but admin adds incidents and gets alerts
LEADERSHIP = frozenset({"leader", "dsl", "head"})  # chronologies; what each may read is decided in access.py
ADMIN = frozenset({"admin"})  # staff, pupils and settings
SECOND_FACTOR = ROLES_WITH_SECOND_FACTOR  # add passkeys to their own account


@app.middleware("http")
def security_headers(event, get_response):
    response = get_response(event)
    response.headers.update(API_HEADERS)
    return response


@routes.route("/health", allow=PUBLIC)
def health(call):
    school = current_school()
    return {"status": "ok", "version": __version__, "school": school.slug}


@routes.route("/me", allow=SIGNED_IN)
def me(call):
    school = current_school()
    user = call.user
    return {
        "user": {"name": user.name, "email": user.email, "role": user.role, "role_label": ROLE_LABELS[user.role]},
        "school": {"name": school.name, "slug": school.slug},
    }


@routes.route("/auth/login", methods=("POST",), allow=PUBLIC, body="SignIn")
def login(call):
    from chalicelib.auth import accounts, sessions

    # Roles that read records answer {"next": "code"} (or "enrol"): the second factor is still to do.
    signed_in = accounts.sign_in(call.form.email, call.form.password, source_ip=call.source["ip"])
    call.set_cookie = session_cookie(signed_in.token, max_age=int(sessions.ABSOLUTE_LIMIT.total_seconds()))
    if signed_in.next:  # the second factor is still to do: the pending session can do only that
        return {"next": signed_in.next}
    return {"user": _user(signed_in.staff)}


def _user(staff) -> dict:
    return {"name": staff.name, "role": staff.role, "role_label": ROLE_LABELS[staff.role]}


@routes.route("/auth/enrol", allow=PUBLIC)
def start_enrolment(call):
    """A pending sign-in's authenticator set-up: the secret as text and QR code."""
    from chalicelib.auth import second_factor

    return second_factor.enrolment(current_school().name, call.cookie_token)


@routes.route("/auth/enrol", methods=("POST",), allow=PUBLIC, body="Code")
def confirm_enrolment(call):
    from chalicelib.auth import second_factor

    staff, codes = second_factor.enrol(call.cookie_token, call.form.code, source=call.source)
    return {"recovery_codes": codes, "user": _user(staff)}


@routes.route("/auth/code", methods=("POST",), allow=PUBLIC, body="Code")
def enter_code(call):
    from chalicelib.auth import second_factor

    return {"user": _user(second_factor.complete(call.cookie_token, call.form.code, source=call.source))}


@routes.route("/auth/passkey/options", methods=("POST",), allow=PUBLIC)
def passkey_challenge(call):
    """A pending sign-in's passkey challenge, or {"options": null} when the account has no passkey."""
    from chalicelib.auth import passkeys

    return passkeys.sign_in_options(current_school(), call.cookie_token)


@routes.route("/auth/passkey", methods=("POST",), allow=PUBLIC, body="PasskeySignIn")
def use_passkey(call):
    """The second step with a passkey instead of a code: the same full session, audited the same way."""
    from chalicelib.auth import passkeys

    return {"user": _user(passkeys.sign_in(current_school(), call.cookie_token, call.form, call.source))}


@routes.route("/account/passkeys", allow=SECOND_FACTOR)
def my_passkeys(call):
    from chalicelib.auth import passkeys

    return passkeys.listing(call.user)


@routes.route("/account/passkeys/options", methods=("POST",), allow=SECOND_FACTOR)
def passkey_registration_challenge(call):
    from chalicelib.auth import passkeys

    return passkeys.registration_options(current_school(), call.token)


@routes.route("/account/passkeys", methods=("POST",), allow=SECOND_FACTOR, body="NewPasskey")
def add_passkey(call):
    from chalicelib.auth import passkeys

    return json_response(passkeys.register(current_school(), call.token, call.form, call.source), 201)


@routes.route("/account/passkeys/{passkey_id}/remove", methods=("POST",), allow=SECOND_FACTOR)
def remove_passkey(call, passkey_id):
    from chalicelib.auth import passkeys

    return passkeys.remove(call.user, passkey_id, call.source)


@routes.route("/auth/logout", methods=("POST",), allow=PUBLIC)
def logout(call):
    from chalicelib.auth import sessions

    sessions.end(call.cookie_token)  # a pending sign-in (code still to come) ends too
    call.set_cookie = session_cookie("", max_age=0)
    return {"message": "You have logged out."}


@routes.route("/auth/forgot", methods=("POST",), allow=PUBLIC, body="PasswordLinkRequest")
def forgot_password(call):
    from chalicelib.auth import accounts

    accounts.request_password_link(current_school(), call.form.email)
    return json_response(
        {"message": "If this email belongs to a Lantern account, a link to set your password is on its way."}, 202
    )


@routes.route("/auth/set-password", methods=("POST",), allow=PUBLIC, body="NewPassword")
def set_password(call):
    from chalicelib.auth import accounts

    staff = accounts.set_password(current_school(), call.form.token, call.form.password)
    # The page logs in with the email this link was for: the holder of the emailed link knows it already.
    return {"message": "Your password has been set. You can now log in.", "email": staff.email}


@routes.route("/roster", allow=REPORTERS)
def roster(call):
    """The Student, Linked Student/s, Alert and Assign to lists, fetched once per form (pupils by reference, no ids)."""
    from chalicelib import people

    staff = [people.public_entry(m) for m in people.alertable(people.directory())]
    return {**people.roster_answer(), "staff": staff}


@routes.route("/roster/{ref}", allow=LEADERSHIP)
def roster_pupil(call, ref):
    """Find a pupil: the id of the pupil a roster reference names, for the address of their chronology."""
    from chalicelib import people

    pupil_id = people.pupil_ids([ref])[ref]
    if pupil_id is None:
        raise NotFoundError("This pupil could not be found. Reload the page and search again.")
    return {"id": pupil_id}


@routes.route("/uploads", methods=("POST",), allow=REPORTERS, body="NewUpload")
def start_upload(call):
    from chalicelib import files

    form = call.form
    return json_response(files.start_upload(call.user.staff_id, form.name, form.type, form.size), 201)


@routes.route("/incidents", methods=("POST",), allow=REPORTERS, body="NewIncident")
def add_incident(call):
    from chalicelib.incidents import service as incidents

    receipt = incidents.add_incident(
        current_school(), call.user, call.form, lambda_context=app.lambda_context, source=call.source
    )
    return json_response(receipt, 201)


@routes.route("/alerts", allow=REPORTERS, query="AlertsQuery")
def my_alerts(call):
    """Every unread alert and open action however old, reminders now due, and a page of read alerts."""
    from chalicelib import alerts

    return alerts.my_alerts(current_school(), call.user.staff_id, cursor=call.query.cursor or None)


@routes.route("/alerts/read", methods=("POST",), allow=REPORTERS, body="AlertRead")
def mark_alert_read(call):
    from chalicelib import alerts

    return {"changed": alerts.mark_read(call.user.staff_id, call.form.incident_id)}


@routes.route("/incidents/{incident_id}", allow=REPORTERS)
def review_incident(call, incident_id):
    from chalicelib.incidents import review

    return review.review(current_school(), call.user, incident_id, call.source)


@routes.route("/incidents/{incident_id}/files/{index}", allow=REPORTERS)
def download_file(call, incident_id, index):
    from chalicelib.incidents import review

    return review.file_link(current_school(), call.user, incident_id, index, call.source)


@routes.route(
    "/incidents/{incident_id}/actions/{action_id}/done", methods=("POST",), allow=REPORTERS, body="ActionDone"
)
def complete_action(call, incident_id, action_id):
    """Mark an action done, with a short note: those it was given to, or the leadership team."""
    from chalicelib.incidents import changes

    return changes.complete_action(current_school(), call.user, incident_id, action_id, call.form, call.source)


CHANGES = {  # the change (the path's last part): its service in chalicelib/incidents/changes.py and its form's model
    "actions": ("add_action", "NewAction"),
    "recategorise": ("recategorise", "Recategorisation"),
    "concern-level": ("set_concern_level", "ConcernLevel"),
    "assign": ("assign", "Assignment"),
    "status": ("set_status", "StatusChange"),
    "agencies": ("set_agencies", "AgenciesChange"),
}


@routes.route(
    "/incidents/{incident_id}/{change}",
    methods=("POST",),
    allow=LEADERSHIP,
    body={change: model for change, (_, model) in CHANGES.items()},
)
def change_incident(call, incident_id, change):
    """Add an action, re-categorise, set the concern level, assign, change status or agencies."""
    from chalicelib.incidents import changes

    if change not in CHANGES:
        raise NotFoundError("There is no such change.")
    apply = getattr(changes, CHANGES[change][0])
    return apply(current_school(), call.user, incident_id, call.form, call.source)


def _chronology_filters(query) -> dict:
    return {
        "category": query.category or None,
        "date_from": query.from_ or None,
        "date_to": query.to or None,
        "order": query.order or None,
    }


@routes.route("/pupils/{pupil_id}/chronology", allow=LEADERSHIP, query="ChronologyQuery")
def pupil_chronology(call, pupil_id):
    from chalicelib import chronology

    return chronology.chronology(
        current_school(),
        call.user,
        pupil_id,
        call.source,
        **_chronology_filters(call.query),
        cursor=call.query.cursor or None,
    )


@routes.route("/pupils/{pupil_id}/chronology/pdf", allow=LEADERSHIP, query="ChronologyFilters")
def pupil_chronology_pdf(call, pupil_id):
    """The whole chronology for the same filters as a PDF (base64 in JSON), for the pupil's file; audited."""
    from chalicelib import chronology_pdf  # loaded only when a PDF is asked for (fpdf2 is heavy)

    filters = _chronology_filters(call.query)
    return chronology_pdf.download(current_school(), call.user, pupil_id, call.source, **filters)


@routes.route("/reports", allow=LEADERSHIP, query="ReportQuery")
def school_reports(call):
    """Every chart of the reports page for a period and filters, counting only what the caller may read."""
    from chalicelib.reports import service as reports  # only leaders open reports: off the cold start

    return reports.report(current_school(), call.user, call.query, call.source)


@routes.route("/reports/incidents", allow=LEADERSHIP, query="ExportQuery")
def export_incidents(call):
    """The filtered incidents as CSV (in JSON); pupils' names and accounts only when asked for. Audited."""
    from chalicelib.reports import service as reports

    return reports.export_incidents(current_school(), call.user, call.query, call.source)


@routes.route("/planner", allow=REPORTERS)
def my_planner(call):
    from chalicelib import planner

    return planner.my_planner(current_school(), call.user)


@routes.route("/planner", methods=("POST",), allow=REPORTERS, body="NewReminder")
def add_reminder(call):
    from chalicelib import planner

    return json_response(planner.add(current_school(), call.user, call.form, call.source), 201)


@routes.route("/planner/change", methods=("POST",), allow=REPORTERS, body="ReminderChange")
def change_reminder(call):
    from chalicelib import planner

    return planner.change(current_school(), call.user, call.form, call.source)


@routes.route("/planner/delete", methods=("POST",), allow=REPORTERS, body="ReminderDelete")
def delete_reminder(call):
    from chalicelib import planner

    return planner.delete(call.user, call.form)


@routes.route("/admin/staff", allow=ADMIN)
def staff_accounts(call):
    """Active staff accounts, with whether each has set up the second factor."""
    from chalicelib import people

    return {"staff": [people.admin_row(m) for m in people.accounts(people.directory())]}


@routes.route("/admin/staff/{staff_id}/reset-second-factor", methods=("POST",), allow=ADMIN)
def reset_second_factor(call, staff_id):
    from chalicelib.auth import admin

    return admin.reset_second_factor(staff_id, call.user, call.source)


@routes.route("/admin/staff/{staff_id}/disable", methods=("POST",), allow=ADMIN)
def disable_account(call, staff_id):
    from chalicelib.auth import admin

    return admin.disable_account(staff_id, call.user, call.source)


@routes.route("/admin/staff/{staff_id}/email-works", methods=("POST",), allow=ADMIN)
def email_works_again(call, staff_id):
    """After a bounce or complaint has been dealt with: Lantern emails the account again (audited)."""
    from chalicelib.auth import admin

    return admin.email_works_again(staff_id, call.user, call.source)


@routes.route("/admin/roster", methods=("POST",), allow=ADMIN, body="roster_requests.RosterUpload")
def import_roster(call):
    """Import one roster CSV from the admin page: {"kind": "pupils"|"staff", "csv": "...", "full": bool}.

    Staff are imported at once (200). Pupils become a job (202, with its exact summary), which the page runs with
    /admin/roster/step, showing progress: a 5,000-pupil file never meets API Gateway's 29-second limit. A file with
    any problem imports nothing (400). The import code is loaded only here, not on the cold start."""
    from chalicelib import roster_import
    from chalicelib.roster_import import pupils as pupil_import

    upload = call.form
    if upload.kind == "pupils":
        parsed = roster_import.parse_pupils(upload.csv)
        job = pupil_import.start(parsed, full=upload.full, actor_id=call.user.staff_id, source=call.source)
        if job["summary"]["errors"]:
            return json_response(job["summary"], 400)
        return json_response(job, 202 if job["state"] == "running" else 200)
    summary = roster_import.import_roster(
        upload.kind,
        upload.csv,
        full=upload.full,
        actor_id=call.user.staff_id,
        source=call.source,
        link_from=current_school(),  # each new account with its set-password email, in one transaction
    )
    return json_response(summary.as_dict(), 400 if summary.errors else 200)


@routes.route("/admin/roster/step", methods=("POST",), allow=ADMIN, body="roster_requests.RosterStep")
def import_roster_step(call):
    """Apply the next part of the pupils import job {"job_id": …} for up to 15 seconds; its progress."""
    from chalicelib.roster_import import pupils as pupil_import

    return pupil_import.step(call.form.job_id, seconds=pupil_import.STEP_SECONDS)


@routes.route("/admin/roster", allow=ADMIN)
def roster_import_progress(call):
    """The latest pupils import's progress (so a reloaded page can continue it), or {"job": null}."""
    from chalicelib.roster_import import pupils as pupil_import

    return {"job": pupil_import.current()}


# --- Follow-up that nothing slips through: the outbox and the scheduled jobs ------------------------------------
# The stream's ARN is a placeholder here: the merge template (infra/template.py) puts the outbox table's stream in.
OUTBOX_STREAM = "arn:aws:dynamodb:eu-west-2:000000000000:table/lantern-outbox/stream/placeholder"


@app.on_dynamodb_record(stream_arn=OUTBOX_STREAM, batch_size=10, starting_position="TRIM_HORIZON", name="send_outbox")
@routes.job
def send_outbox(event):
    """Send each email as soon as its outbox item is written (the DynamoDB stream of the outbox table)."""
    from chalicelib import outbox

    return outbox.handle_stream(current_school(), event.to_dict())


# The topic's ARN is a placeholder here too: infra/stack.yaml subscribes the function to the stack's own topic.
EMAIL_FEEDBACK_TOPIC = "arn:aws:sns:eu-west-2:000000000000:lantern-email-feedback"


@app.on_sns_message(topic=EMAIL_FEEDBACK_TOPIC, name="email_feedback")
@routes.job
def email_feedback(event):
    """SES's bounces and complaints (the configuration set's SNS topic): stop emailing the address, tell admins."""
    from chalicelib import email_feedback as feedback

    feedback.handle(current_school(), event.message)


@app.schedule("rate(1 minute)", name="queue_due_reminders")
@routes.job
def queue_due_reminders(event):
    """Hand every planner reminder now due (and any missed while this was down) to the outbox, once."""
    from chalicelib import reminders

    reminders.queue_due(current_school())


@app.schedule("rate(2 minutes)", name="sweep_outbox")
@routes.job
def sweep_outbox(event):
    """The backstop: retry emails whose sending failed or was cut short; park those that keep failing."""
    from chalicelib import outbox

    outbox.sweep(current_school())


@app.schedule("rate(5 minutes)", name="send_daily_digest")
@routes.job
def send_daily_digest(event):
    """Once a school day, at the school's chosen time: the DSL team's and leaders' digest of open work."""
    from chalicelib import digest

    digest.send_if_due(current_school())
