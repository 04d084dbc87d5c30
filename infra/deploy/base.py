"""What every AWS step shares: the error a deploy stops with, and one client per service and region."""

from __future__ import annotations

from infra.build import Target


class DeployError(RuntimeError):
    """A deploy stopped; the message says what happened and what to do."""


class Session:
    """One client per service and region (tests put stubbed or moto clients in), and who is calling."""

    def __init__(self, target: Target, session=None) -> None:
        import boto3

        self.target = target
        self.session = session or boto3.session.Session(region_name=target.region)
        self.clients: dict[tuple[str, str], object] = {}
        self.account = ""

    def client(self, service: str, region: str | None = None):
        region = region or self.target.region
        if (service, region) not in self.clients:
            from botocore.config import Config

            config = Config(signature_version="s3v4", s3={"addressing_style": "virtual"}) if service == "s3" else None
            self.clients[(service, region)] = self.session.client(service, region_name=region, config=config)
        return self.clients[(service, region)]

    def whoami(self) -> str:
        identity = self.client("sts").get_caller_identity()
        self.account = identity["Account"]
        return identity["Arn"]

    def find_certificate(self) -> str:
        """An issued ACM certificate in us-east-1 covering the school's host (CloudFront reads only us-east-1)."""
        found = self.certificate_for_host()
        if found is None:
            raise DeployError(
                f"No issued ACM certificate in us-east-1 covers {self.target.host}. Request one there (DNS "
                "validation), wait until it is Issued, then deploy again; or pass CERTIFICATE_ARN=…"
            )
        return found

    def certificate_for_host(self) -> str | None:
        acm = self.client("acm", "us-east-1")
        for page in acm.get_paginator("list_certificates").paginate(CertificateStatuses=["ISSUED"]):
            for summary in page["CertificateSummaryList"]:
                names = [summary["DomainName"], *summary.get("SubjectAlternativeNameSummaries", [])]
                if covers(names, self.target.host):
                    return summary["CertificateArn"]
        return None


def covers(names: list[str], host: str) -> bool:
    """Does a certificate for `names` cover `host` (exactly, or by a one-label wildcard)?"""
    for name in names:
        name = name.lower()
        if name == host or (name.startswith("*.") and host.split(".", 1)[-1] == name[2:] and "." in host):
            return True
    return False
