"""`make preflight SCHOOL=…`: can this AWS account run this school's stack? Read-only; also the first step of deploy.

Each check says OK, WARN (the deploy can go ahead, but something will not work until it is done) or FAIL (the
deploy would fail: it stops), and what to do. Nothing is created or changed.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

from infra.build import say
from infra.deploy.email import SANDBOX_REQUEST

OK, WARN, FAIL = "OK", "WARN", "FAIL"
# A new account's Lambda concurrency is often 10, shared by every function of every school in the account and
# region: six functions per school, and a burst of page loads, need more.
CONCURRENCY_WANTED = 100
CONCURRENCY_QUOTA_CODE = "L-B99A9384"  # Service Quotas: Lambda "Concurrent executions"


@dataclass(frozen=True)
class Finding:
    check: str
    level: str
    message: str

    def line(self) -> str:
        return f"  {self.level:<4} {self.check}: {self.message}"


Resolver = Callable[[str], tuple[str, list[str], list[str]]]  # socket.gethostbyname_ex


def preflight(aws, resolve: Resolver = socket.gethostbyname_ex, certificate_arn: str | None = None) -> list[Finding]:
    """Every check, in order; `aws` is a Deployer (tests give it stubbed or moto clients)."""
    target = aws.target
    findings = [credentials(aws)]
    if findings[0].level == FAIL:
        return findings
    findings += [
        cloudfront(aws),
        certificate(aws, certificate_arn),
        ses_account(aws),
        sending_domain(aws, resolve),
        lambda_concurrency(aws),
        school_address(aws, resolve),
    ]
    del target
    return findings


def report(findings: list[Finding]) -> bool:
    """Print the findings; True when nothing FAILs."""
    for finding in findings:
        say(finding.line())
    failed = [f for f in findings if f.level == FAIL]
    warned = [f for f in findings if f.level == WARN]
    say(f"  preflight: {len(findings) - len(failed) - len(warned)} OK, {len(warned)} WARN, {len(failed)} FAIL")
    return not failed


def _error_code(error) -> str:
    return error.response.get("Error", {}).get("Code", "")


def credentials(aws) -> Finding:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        arn = aws.whoami()
    except NoCredentialsError:
        return Finding(
            "credentials", FAIL, "no AWS credentials: `export AWS_PROFILE=…` (or `aws sso login`), then run it again"
        )
    except (ClientError, BotoCoreError) as error:
        return Finding("credentials", FAIL, f"AWS refused them ({error}): check the profile, or log in again")
    return Finding("credentials", OK, f"{arn} in account {aws.account}, region {aws.target.region} (the settings')")


def cloudfront(aws) -> Finding:
    from botocore.exceptions import ClientError

    try:
        aws.client("cloudfront", "us-east-1").list_distributions(MaxItems="1")
    except ClientError as error:
        return Finding(
            "CloudFront",
            FAIL,
            f"cannot use CloudFront ({_error_code(error)}): the deploying identity needs cloudfront:* on this "
            "stack's resources. If a first deploy says 'Your account must be verified', open a case with AWS Support "
            "(Account and billing → CloudFront account verification); new accounts sometimes need it.",
        )
    return Finding("CloudFront", OK, "usable (a brand-new account may still need AWS to verify it at first deploy)")


def certificate(aws, certificate_arn: str | None) -> Finding:
    from botocore.exceptions import ClientError

    host = aws.target.host
    acm = aws.client("acm", "us-east-1")
    if certificate_arn:
        try:
            described = acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
        except ClientError as error:
            return Finding("certificate", FAIL, f"{certificate_arn}: {_error_code(error)} (it must be in us-east-1)")
        from infra.deploy.base import covers

        names = described.get("SubjectAlternativeNames", [described["DomainName"]])
        if described.get("Status") != "ISSUED" or not covers(names, host):
            return Finding(
                "certificate",
                FAIL,
                f"{certificate_arn} is {described.get('Status')} for {', '.join(names)}, not {host}",
            )
        return Finding("certificate", OK, f"{certificate_arn} covers {host}")
    found = aws.certificate_for_host()
    if found:
        return Finding("certificate", OK, f"{found} (us-east-1) covers {host}")
    pending = [
        s["CertificateArn"]
        for page in acm.get_paginator("list_certificates").paginate(CertificateStatuses=["PENDING_VALIDATION"])
        for s in page["CertificateSummaryList"]
        if host in [s["DomainName"], *s.get("SubjectAlternativeNameSummaries", [])]
    ]
    if pending:
        return Finding(
            "certificate",
            FAIL,
            f"{pending[0]} for {host} is waiting for DNS validation: publish the CNAME that ACM shows for it "
            "(console: Certificate Manager, us-east-1), wait until it says Issued, then run this again",
        )
    return Finding(
        "certificate",
        FAIL,
        f"no issued certificate for {host} in us-east-1 (CloudFront reads only us-east-1): `aws acm "
        f"request-certificate --region us-east-1 --domain-name {host} --validation-method DNS`, publish the "
        "validation CNAME, wait until Issued",
    )


def ses_account(aws) -> Finding:
    from botocore.exceptions import ClientError

    target = aws.target
    try:
        account = aws.client("sesv2").get_account()
    except ClientError as error:
        return Finding("SES", FAIL, f"cannot read the SES account here ({_error_code(error)})")
    if not account.get("SendingEnabled", True):
        return Finding("SES", FAIL, f"sending is paused for this account in {target.region}: see the SES console")
    if not account.get("ProductionAccessEnabled"):
        return Finding("SES", WARN, SANDBOX_REQUEST.format(region=target.region, host=target.host))
    return Finding("SES", OK, f"production access in {target.region}")


def sending_domain(aws, resolve: Resolver) -> Finding:
    domain = aws.target.sender_domain
    if not aws.ses_identity_exists():
        return Finding("sending domain", OK, f"{domain}: the first deploy creates it; then publish the DKIM records")
    can_send, records = aws.email_status()
    if can_send:
        return Finding("sending domain", OK, f"{domain}: verified, DKIM on")
    published = [
        record.split()[0] for record in records if _resolves_to(resolve, record.split()[0], ".dkim.amazonses.com")
    ]
    missing = [record for record in records if record.split()[0] not in published]
    return Finding(
        "sending domain",
        WARN,
        f"{domain} is not verified yet; publish in its DNS: "
        + "; ".join(missing or records)
        + (" (all three are published: SES checks within 72 hours)" if not missing else ""),
    )


def lambda_concurrency(aws) -> Finding:
    from botocore.exceptions import ClientError

    try:
        limit = aws.client("lambda").get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    except ClientError as error:
        return Finding("Lambda", WARN, f"cannot read the concurrency quota ({_error_code(error)})")
    if limit < CONCURRENCY_WANTED:
        return Finding(
            "Lambda",
            WARN,
            f"this account runs at most {limit} functions at once in {aws.target.region}, shared by every school "
            f"here (6 functions each): a busy morning will be throttled. Ask for {CONCURRENCY_WANTED * 10}: `aws "
            f"service-quotas request-service-quota-increase --region {aws.target.region} --service-code lambda "
            f"--quota-code {CONCURRENCY_QUOTA_CODE} --desired-value {CONCURRENCY_WANTED * 10}`",
        )
    return Finding("Lambda", OK, f"up to {limit} concurrent executions in {aws.target.region}")


def school_address(aws, resolve: Resolver) -> Finding:
    host = aws.target.host
    stack = aws.stack()
    outputs = {o["OutputKey"]: o["OutputValue"] for o in (stack or {}).get("Outputs", [])}
    cdn = outputs.get("DistributionDomainName")
    if not cdn:
        return Finding("DNS", OK, f"{host}: after the first deploy, publish the CNAME it prints")
    if _resolves_to(resolve, host, cdn):
        return Finding("DNS", OK, f"{host} → {cdn}")
    return Finding("DNS", WARN, f"{host} does not point at the school's CDN yet: publish {host} CNAME {cdn}")


def _resolves_to(resolve: Resolver, name: str, target_suffix: str) -> bool:
    try:
        canonical, aliases, _ = resolve(name)
    except OSError:
        return False
    return any(n.rstrip(".").endswith(target_suffix.rstrip(".")) for n in [canonical, *aliases])
