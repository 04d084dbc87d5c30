"""Errors a person can act on, raised by domain code, which knows neither HTTP nor the pages.

Each has a message for the person and, for a form, one message per field, keyed by the name of what was sent (a
request model's field, or a dotted path into one: "planner.date", "subcategories.Behaviour"). The web layer
(chalicelib/web/routing.py) answers each kind with its HTTP status and puts the fields on the page's field ids.
"""

from __future__ import annotations


class LanternError(Exception):
    """A request Lantern refuses, with a message for the person and, for forms, one per field."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInputError(LanternError):
    """What was sent is not something Lantern can take: the fields say what to change."""


class TooLargeError(InvalidInputError):
    """What was sent is larger than Lantern takes at once."""


class NotSignedInError(LanternError):
    """No session, an ended one, or a sign-in that was refused."""

    def __init__(self, message: str = "Your session has ended. Log in again to carry on.") -> None:
        super().__init__(message)


class SecondFactorNeededError(NotSignedInError):
    """A pending sign-in (password done) on a route that needs the second factor too: the page moves on to the
    step named in `step` ("code" or "enrol")."""

    def __init__(self, step: str) -> None:
        super().__init__("Enter the code from your authenticator app to carry on.")
        self.step = step


class ForbiddenError(LanternError):
    """The caller may not do this, or read this record."""

    def __init__(self, message: str = "You do not have access to this.") -> None:
        super().__init__(message)


class NotFoundError(LanternError):
    """There is no such thing (for this caller)."""


class ConflictError(LanternError):
    """Something changed meanwhile (a colleague, another tab, a job still running): reload or wait."""


class RepeatMismatchError(LanternError):
    """A repeat of something already done (the same idempotency key) that carries different details."""


class UnavailableError(LanternError):
    """A service Lantern needs did not answer: nothing was saved, and trying again may work."""
