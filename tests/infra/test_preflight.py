"""`make preflight`: each check on botocore's Stubber (no AWS), each problem with what to do."""

from __future__ import annotations

import pytest
from botocore.exceptions import NoCredentialsError

from infra.deploy import preflight
from tests.infra.test_deploy import CERTIFICATE, STACK, offline_deployer, stack, stubbed

HOST = "castlemeadtrowbridge.lantern.example.org"
CDN = "d111111abcdef8.cloudfront.net"


@pytest.fixture
def target():
    from infra import build

    return build.validate("castlemeadtrowbridge")


def resolver(table: dict[str, str]):
    """A DNS resolver knowing only `table` (name → the canonical name its CNAME leads to)."""

    def resolve(name: str):
        if name not in table:
            raise OSError("not found")
        return table[name], [], ["192.0.2.1"]

    return resolve


class Account:
    """A Deployer whose every client is stubbed, with a healthy account's answers unless told otherwise."""

    def __init__(self, target, *, sandbox=False, concurrency=1000, certificate=True, cloudfront=True, deployed=False):
        self.aws = offline_deployer(target)
        sts = stubbed(self.aws, "sts")
        sts.add_response(
            "get_caller_identity",
            {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/it", "UserId": "AIDA"},
        )
        front = stubbed(self.aws, "cloudfront", "us-east-1")
        if cloudfront:
            front.add_response(
                "list_distributions",
                {"DistributionList": {"Marker": "", "MaxItems": 1, "IsTruncated": False, "Quantity": 0}},
            )
        else:
            front.add_client_error("list_distributions", "AccessDenied", "no", http_status_code=403)
        acm = stubbed(self.aws, "acm", "us-east-1")
        found = [{"CertificateArn": CERTIFICATE, "DomainName": HOST}] if certificate else []
        acm.add_response("list_certificates", {"CertificateSummaryList": found}, {"CertificateStatuses": ["ISSUED"]})
        if not certificate:
            pending = [{"CertificateArn": CERTIFICATE, "DomainName": HOST}]
            acm.add_response(
                "list_certificates",
                {"CertificateSummaryList": pending},
                {"CertificateStatuses": ["PENDING_VALIDATION"]},
            )
        ses = stubbed(self.aws, "sesv2")
        ses.add_response("get_account", {"ProductionAccessEnabled": not sandbox, "SendingEnabled": True})
        identity = {
            "IdentityType": "DOMAIN",
            "VerifiedForSendingStatus": False,
            "DkimAttributes": {"Tokens": ["t1", "t2"]},
        }
        for _ in range(3):  # exists? then the status (exists? and read)
            ses.add_response("get_email_identity", identity)
        lam = stubbed(self.aws, "lambda")
        lam.add_response("get_account_settings", {"AccountLimit": {"ConcurrentExecutions": concurrency}})
        cfn = stubbed(self.aws, "cloudformation")
        if deployed:
            cfn.add_response(
                "describe_stacks", stack("UPDATE_COMPLETE", {"DistributionDomainName": CDN}), {"StackName": STACK}
            )
        else:
            cfn.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")


def levels(findings) -> dict[str, str]:
    return {f.check: f.level for f in findings}


def message(findings, check: str) -> str:
    return next(f.message for f in findings if f.check == check)


def test_a_ready_account_passes_and_dns_records_still_to_publish_are_named(target, capsys):
    dkim = {"t1._domainkey.castlemeadtrowbridge.example.org": "t1.dkim.amazonses.com"}
    findings = preflight.preflight(Account(target, deployed=True).aws, resolver({HOST: CDN, **dkim}))
    assert levels(findings) == {
        "credentials": "OK",
        "CloudFront": "OK",
        "certificate": "OK",
        "SES": "OK",
        "sending domain": "WARN",
        "Lambda": "OK",
        "DNS": "OK",
    }
    domain = message(findings, "sending domain")
    assert "t2._domainkey.castlemeadtrowbridge.example.org  CNAME  t2.dkim.amazonses.com" in domain
    assert "t1._domainkey" not in domain  # already published
    assert message(findings, "credentials").startswith("arn:aws:iam::123456789012:user/it in account 123456789012")
    assert preflight.report(findings) is True
    assert "preflight: 6 OK, 1 WARN, 0 FAIL" in capsys.readouterr().out


def test_the_ses_sandbox_and_a_small_lambda_quota_say_exactly_what_to_request(target):
    findings = preflight.preflight(Account(target, sandbox=True, concurrency=10).aws, resolver({}))
    assert levels(findings)["SES"] == "WARN" and levels(findings)["Lambda"] == "WARN"
    ses = message(findings, "SES")
    assert "sandbox in eu-west-2" in ses and "put-account-details --region eu-west-2 --production-access-enabled" in ses
    assert "--website-url https://castlemeadtrowbridge.lantern.example.org" in ses
    quota = message(findings, "Lambda")
    assert "at most 10 functions at once" in quota
    assert "--quota-code L-B99A9384 --desired-value 1000" in quota
    assert preflight.report(findings) is True  # warnings: the deploy can go ahead


def test_a_certificate_waiting_for_validation_and_cloudfront_refused_fail(target):
    findings = preflight.preflight(Account(target, certificate=False, cloudfront=False).aws, resolver({}))
    assert levels(findings)["certificate"] == "FAIL" and levels(findings)["CloudFront"] == "FAIL"
    assert "waiting for DNS validation" in message(findings, "certificate")
    assert "account must be verified" in message(findings, "CloudFront")
    assert preflight.report(findings) is False


def test_a_given_certificate_must_cover_the_school(target):
    aws = offline_deployer(target)
    acm = stubbed(aws, "acm", "us-east-1")
    described = {"CertificateArn": CERTIFICATE, "DomainName": "other.example.org", "Status": "ISSUED"}
    acm.add_response("describe_certificate", {"Certificate": described}, {"CertificateArn": CERTIFICATE})
    found = preflight.certificate(aws, CERTIFICATE)
    assert found.level == "FAIL" and "not castlemeadtrowbridge.lantern.example.org" in found.message


def test_the_school_address_not_yet_pointing_at_the_cdn_is_named(target):
    account = Account(target, deployed=True)
    account.aws.whoami()
    found = preflight.school_address(account.aws, resolver({HOST: "old-host.example.net"}))
    assert found.level == "WARN" and f"publish {HOST} CNAME {CDN}" in found.message


def test_no_credentials_fail_first_and_stop_the_checks(target, monkeypatch):
    aws = offline_deployer(target)

    def refuse():
        raise NoCredentialsError

    monkeypatch.setattr(aws, "whoami", refuse)
    findings = preflight.preflight(aws, resolver({}))
    assert [(f.check, f.level) for f in findings] == [("credentials", "FAIL")]
    assert "AWS_PROFILE" in findings[0].message
