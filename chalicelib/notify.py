"""Emails through SES. Emails carry a link and who/what, never a pupil's name, an account of an incident or a
password; set-password links carry their token only in the URL fragment, which browsers never send to a server.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalicelib import aws
from chalicelib.log import logger
from chalicelib.settings import SchoolSettings

EMAIL_TEMPLATES = Path(__file__).resolve().parent / "emails"


@cache
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(EMAIL_TEMPLATES),
        autoescape=False,  # noqa: S701 - plain-text emails, never HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(template: str, **context) -> tuple[str, str]:
    """(subject, body) of an email; the template's first line is `Subject: ...`."""
    text = _environment().get_template(f"{template}.txt").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"email template {template} must start with a Subject: line")
    return first.removeprefix("Subject: ").strip(), body.lstrip("\n")


def send_email(school: SchoolSettings, to: str, template: str, **context) -> None:
    subject, body = render(template, school=school, **context)
    aws.ses().send_email(
        Source=f"Lantern ({school.name}) <{school.sender_email}>",
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
        },
    )
    logger.info("email sent", extra={"template": template})


def alert_by_email(school: SchoolSettings, recipients: list[tuple], template: str, incident_id: str, **context) -> None:
    """Email each (member, reason) about an incident: who, what category, a link; never a pupil's name or account.

    A failed email is logged, not raised: the change is saved and the alert is on their dashboard too.
    """
    link = f"{school.url}/incident.html?id={incident_id}"
    for member, reason in recipients:
        try:
            send_email(school, member.email, template, name=member.name, reason=reason, link=link, **context)
        except Exception as error:  # noqa: BLE001 - see above
            logger.error("alert email failed", extra={"incident_id": incident_id, "error": type(error).__name__})
