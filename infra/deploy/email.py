"""Email: the school's SES sending identity (DKIM records to publish) and whether SES is out of the sandbox."""

from __future__ import annotations

SANDBOX_REQUEST = (
    "SES is in the sandbox in {region}: it delivers only to verified addresses, so the app's set-password and alert "
    "emails to staff fail. Request production access (SES console → Account dashboard → Request production access, "
    "or `aws sesv2 put-account-details --region {region} --production-access-enabled --mail-type TRANSACTIONAL "
    '--website-url https://{host} --use-case-description "Safeguarding alerts and sign-in links for school '
    "staff, only to the school's own staff accounts\" --additional-contact-email-addresses <your address>`). AWS "
    "answers within a day."
)


class EmailSteps:
    """Mixed into Deployer: needs self.client, self.target."""

    def ses_identity_exists(self) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client("sesv2").get_email_identity(EmailIdentity=self.target.sender_domain)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NotFoundException", "404"):
                return False
            raise
        return True

    def email_status(self) -> tuple[bool, list[str]]:
        """(can send, DNS records to publish) for the sending domain."""
        if not self.ses_identity_exists():
            return False, [f"(no SES identity for {self.target.sender_domain} in {self.target.region}: create it)"]
        identity = self.client("sesv2").get_email_identity(EmailIdentity=self.target.sender_domain)
        domain = self.target.sender_domain
        tokens = identity.get("DkimAttributes", {}).get("Tokens", [])
        records = [f"{token}._domainkey.{domain}  CNAME  {token}.dkim.amazonses.com" for token in tokens]
        verified = identity.get("VerifiedForSendingStatus") or identity.get("VerificationStatus") == "SUCCESS"
        return bool(verified), records

    def production_access(self) -> bool | None:
        """Is SES out of the sandbox here? None when it cannot be told."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return bool(self.client("sesv2").get_account().get("ProductionAccessEnabled"))
        except (ClientError, BotoCoreError):
            return None
