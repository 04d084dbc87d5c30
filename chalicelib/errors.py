"""Errors a person can act on. Each becomes `{"error": ..., "fields": {...}}` with a 4xx status."""

from __future__ import annotations


class LanternError(Exception):
    """A request Lantern refuses, with a message for the person and, for forms, one per field."""

    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def body(self) -> dict:
        body: dict = {"error": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class InvalidInputError(LanternError):
    status = 400


class NotSignedInError(LanternError):
    status = 401

    def __init__(self, message: str = "Your session has ended. Log in again to carry on.") -> None:
        super().__init__(message)


class ForbiddenError(LanternError):
    status = 403

    def __init__(self, message: str = "You do not have access to this.") -> None:
        super().__init__(message)


class SecondFactorNeededError(NotSignedInError):
    """A pending sign-in (password done) on a route that needs the second factor too: the page moves on to the
    step named in `next` ("code" or "enrol")."""

    def __init__(self, step: str) -> None:
        super().__init__("Enter the code from your authenticator app to carry on.")
        self.step = step

    def body(self) -> dict:
        return {**super().body(), "next": self.step}
