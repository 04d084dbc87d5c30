"""Emails through SES. Emails carry a link and who/what, never a pupil's name, an account of an incident or a
password; set-password links carry their token only in the URL fragment, which browsers never send to a server.
"""

from __future__ import annotations

import os
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
        # Plain-text emails, never HTML: escaping would garble them.
        autoescape=False,  # noqa: S701  # nosec B701
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
    """Send one email now. Only the outbox (chalicelib/outbox.py) and trust IT's own commands call this: a change
    writes its emails to the outbox in its own transaction instead."""
    subject, body = render(template, school=school, **context)
    message = {
        "Source": f"Lantern ({school.name}) <{school.sender_email}>",
        "Destination": {"ToAddresses": [to]},
        "Message": {
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
        },
    }
    # Deployed, the stack's configuration set brings bounces and complaints back (chalicelib/email_feedback.py).
    if configuration_set := os.environ.get("LANTERN_SES_CONFIGURATION_SET"):
        message["ConfigurationSetName"] = configuration_set
    aws.ses().send_email(**message)
    logger.info("email sent", extra={"template": template})


def plain(value) -> dict:
    """A stored email context (a PynamoDB map) as a plain dict."""
    return value.as_dict() if hasattr(value, "as_dict") else dict(value or {})


def incident_link(school: SchoolSettings, incident_id: str) -> str:
    return f"{school.url}/incident.html?id={incident_id}"
