"""The school's first admin account, created with the operator's credentials and emailed through the outbox."""

from __future__ import annotations

import os

from infra.build import Target
from infra.deploy.base import DeployError


class AdminSteps:
    """Mixed into Deployer: needs self.target."""

    def first_admin(
        self, admin_email: str | None, admin_name: str | None, can_send: bool, sandbox: bool = False
    ) -> str:
        """Create the school's first admin and email their link, unless an admin exists. Returns what happened.

        In the SES sandbox no link is sent from here: it would reach the admin (sent with the operator's rights, to
        an address the operator may have verified) while every email the app sends itself fails, which misleads."""
        from chalicelib.auth import accounts
        from chalicelib.errors import LanternError
        from chalicelib.models import Staff
        from chalicelib.settings import current_school

        use_school(self.target)
        admins = [m for m in Staff.in_directory.query("active") if m.role == "admin"]
        if admins:
            return f"the school already has {len(admins)} admin account(s); none created"
        if not admin_email or not admin_name:
            raise DeployError(
                'The school has no admin account yet: deploy again with ADMIN_EMAIL=… ADMIN_NAME="…" '
                "(the person who will add staff and pupils)."
            )
        try:
            staff = accounts.create_staff(
                email=admin_email, name=admin_name, role="admin", title="Lantern administrator"
            )
        except LanternError as error:
            raise DeployError(error.message) from None
        if sandbox:
            return (
                f"created the admin account {staff.email}; no email sent: SES is in the sandbox here, where the "
                "app's own emails (set-password links, alerts) reach nobody unverified. Once production access is "
                "granted they choose 'Forgotten your password or using Lantern for the first time?' on the log in page."
            )
        if not can_send:
            return (
                f"created the admin account {staff.email}; no email yet: SES has not verified "
                f"{self.target.sender_domain}. Once it has, they choose 'Forgotten your password or using Lantern "
                "for the first time?' on the log in page."
            )
        refused = None
        try:
            accounts.send_password_link(current_school(), staff)  # into the outbox, which the stack sends from
            refused = self.send_now(staff.staff_id)
        except Exception as error:  # noqa: BLE001 - the account exists; say how to finish
            refused = f"{type(error).__name__}: {error}"
        if refused:
            return (
                f"created the admin account {staff.email}, but SES refused the email ({refused}). In the SES "
                "sandbox the recipient must be verified too. They can ask for a link from 'Forgotten your password "
                "or using Lantern for the first time?' once SES can send."
            )
        return f"created the admin account {staff.email} and emailed their set-password link (valid 60 minutes)"

    def send_now(self, staff_id: str) -> str | None:
        """Send the outbox's pending emails to `staff_id` now, as the stack's sender does, so that a refusal is
        reported here (the stack's sender may get there first: the claim lets only one of them send). Returns
        SES's refusal, or None."""
        from chalicelib import outbox
        from chalicelib.models import OutboxItem
        from chalicelib.settings import current_school

        for entry in OutboxItem.waiting.query(outbox.PENDING):
            if entry.staff_id == staff_id and outbox.deliver(current_school(), entry) == "retry":
                return OutboxItem.get(entry.outbox_id, consistent_read=True).last_error or "error"
        return None


def use_school(target: Target) -> None:
    """Point chalicelib at the deployed school's tables and settings, in this process."""
    from chalicelib import aws, models
    from chalicelib.settings import current_school

    os.environ.update(LANTERN_SETTINGS=str(target.settings_file), LANTERN_TABLE_PREFIX=target.table_prefix)
    os.environ.pop("LANTERN_PUBLIC_URL", None)
    current_school.cache_clear()
    aws.reset()
    models.bind(target.table_prefix)
    for model in models.MODELS.values():
        model._connection = None
