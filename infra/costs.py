"""What one school's stack costs a month at AWS list prices: a model with every assumption written down.

    python -m infra.costs          # the table in docs/deploying.md

Prices are on-demand list prices for eu-west-2 (London) as the author knows them (late 2025; DynamoDB after its
November 2024 price cut), without any free tier: check them against aws.amazon.com/pricing before quoting.
Request counts per action are the ones measured by bench/add_incident.py and bench/review.py on moto.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- prices (USD, eu-west-2) ---------------------------------------------------------------------------------------
PRICE = {
    "dynamodb_wru": 0.7425 / 1e6,  # on-demand write request unit
    "dynamodb_rru": 0.1485 / 1e6,  # on-demand read request unit
    "dynamodb_gb_month": 0.29715,  # storage, Standard table class
    "pitr_gb_month": 0.2376,  # continuous backups, on the table's size
    "lambda_gb_second": 0.0000166667,  # x86
    "lambda_request": 0.20 / 1e6,
    "api_gateway_request": 3.70 / 1e6,  # REST API, first 333 million
    "cloudfront_request": 0.012 / 10_000,  # HTTPS, Europe
    "cloudfront_gb": 0.085,  # data out to the internet, Europe, first 10 TB
    "s3_gb_month": 0.024,
    "s3_put": 0.0053 / 1000,
    "s3_get": 0.00042 / 1000,
    "ses_email": 0.10 / 1000,
    "kms_key_month": 1.00,  # and $1 a month more for each of its first two yearly rotations (since 2024)
    "kms_rotation_month": 1.00,
    "kms_request": 0.03 / 10_000,
    "logs_ingest_gb": 0.57,
    "logs_gb_month": 0.0315,
    "alarm_metric_month": 0.10,  # a standard-resolution alarm, per metric it evaluates (metric math: each metric)
    "custom_metric_month": 0.30,  # a metric of our own (EmailsParked, from a log metric filter)
}

# --- how a school uses Lantern ----------------------------------------------------------------------------------
SCHOOL_DAYS = 190
INCIDENTS_PER_PUPIL_YEAR = 3  # concerns of every category; a busy secondary may see more: costs scale linearly
PEOPLE_ALERTED = 4  # alerted and assigned, the Head of School included: alert items and emails per incident
PUPILS_PER_INCIDENT = 1.2  # the pupil and sometimes a linked one: chronology entries
REVIEWS_PER_INCIDENT = 4  # each person alerted opens the review page once
CHANGES_PER_INCIDENT = 2  # actions, re-categorising, status: one transaction each
CHRONOLOGY_VIEWS_PER_INCIDENT = 1
SHARE_WITH_A_FILE = 0.2  # incidents with an uploaded file
FILE_MB = 1.5
SIGN_INS_PER_STAFF_DAY = 1  # sessions last up to 12 hours
DASHBOARDS_PER_STAFF_DAY = 2  # "my alerts"
PAGE_LOADS_PER_STAFF_DAY = 4
CDN_REQUESTS_PER_PAGE = 10  # the page revalidated, its CSS/JS/icons mostly from the browser's cache (1 h)
CDN_KB_PER_PAGE = 80
LAMBDA_GB = 0.5  # 512 MB
LAMBDA_SECONDS = 0.3  # a warm API request, on average (cold starts included)
SIGN_IN_SECONDS = 1.0  # argon2id
LOG_KB_PER_REQUEST = 1.5
KMS_REQUESTS_MONTH = 20_000  # DynamoDB, S3 (bucket key), Lambda and Logs asking for data keys; generous
INCIDENT_KB_STORED = 12  # incident, chronology, alerts, events, audit entries
ACCESS_LOG_KB = 0.4  # one CloudFront or S3 access-log line, kept 400 days
LOG_RETENTION_MONTHS = 400 / 30.4  # every log group keeps 400 days: the stored logs are ~13 months of them
KEY_ROTATIONS_PAID = 2  # the steady state from the third year (year 1: $1, year 2: $2, then $3 a month)

# --- DynamoDB units per action (from the benches: every request also reads the session and the account) ------
SESSION = {"rru": 2}  # GetItem x2, consistent
UNITS = {
    # 1 TransactWriteItems (incident 3 KB, chronology, alerts, planner, pupil checks: x2 for transactions),
    # idempotency PutItem + UpdateItem (with the stored receipt), 1 Query (staff directory).
    "create": {"wru": 2 * (3 + PUPILS_PER_INCIDENT * 2 + PEOPLE_ALERTED) + 1 + 3, "rru": 1 + SESSION["rru"]},
    "review": {"wru": 1, "rru": 3 + 3 * 2 + 2},  # BatchGetItem 1, GetItem 3, PutItem 1 (audit), Query 3
    "change": {"wru": 2 * (1 + 3 + PUPILS_PER_INCIDENT * 2 + 1) + 1, "rru": 3 + 2 + SESSION["rru"]},
    "chronology": {"wru": 1, "rru": 3 + 4},  # GetItem 3, PutItem 1 (audit), Query 1 (a page, up to 16 KB)
    "alerts": {"rru": 2 + 2},  # GetItem 2, Query 1
    "sign_in": {"wru": 1, "rru": 1 + 1 + 2},  # Query by-email, GetItem, PutItem session; then GET /me
    "page_api": {"rru": 2},  # the session check of a page's own API call
}


def page_loads_month(staff_days: float) -> float:
    return staff_days * PAGE_LOADS_PER_STAFF_DAY


@dataclass(frozen=True)
class School:
    pupils: int
    staff: int

    @property
    def incidents_year(self) -> float:
        return self.pupils * INCIDENTS_PER_PUPIL_YEAR


def monthly(school: School, usage: float = 1.0) -> dict[str, float]:
    """Average month (a school year / 12) by service, in USD; `usage` multiplies every use of the app."""
    incidents = school.incidents_year / 12 * usage
    staff_days = school.staff * SCHOOL_DAYS / 12 * usage
    counts = {
        "create": incidents,
        "review": incidents * REVIEWS_PER_INCIDENT,
        "change": incidents * CHANGES_PER_INCIDENT,
        "chronology": incidents * CHRONOLOGY_VIEWS_PER_INCIDENT,
        "alerts": staff_days * DASHBOARDS_PER_STAFF_DAY,
        "sign_in": staff_days * SIGN_INS_PER_STAFF_DAY,
        "page_api": staff_days * PAGE_LOADS_PER_STAFF_DAY,
    }
    uploads = incidents * SHARE_WITH_A_FILE
    requests = sum(counts.values()) + counts["sign_in"] + uploads  # sign in is two calls; uploads start a POST
    wru = sum(UNITS[action].get("wru", 0) * n for action, n in counts.items())
    rru = sum(UNITS[action].get("rru", 0) * n for action, n in counts.items())
    stored_gb = incidents * 36 * INCIDENT_KB_STORED / 1e6  # three years of records, mid-life
    files_gb = incidents * 36 * SHARE_WITH_A_FILE * FILE_MB / 1000
    access_logs_gb = page_loads_month(staff_days) * CDN_REQUESTS_PER_PAGE * ACCESS_LOG_KB * 13 / 1e6
    page_loads = page_loads_month(staff_days)
    gb_seconds = (requests - counts["sign_in"]) * LAMBDA_GB * LAMBDA_SECONDS
    gb_seconds += counts["sign_in"] * LAMBDA_GB * SIGN_IN_SECONDS
    emails = incidents * (PEOPLE_ALERTED + CHANGES_PER_INCIDENT * 0.5)
    return {
        "DynamoDB requests": wru * PRICE["dynamodb_wru"] + rru * PRICE["dynamodb_rru"],
        "DynamoDB storage + PITR": stored_gb * (PRICE["dynamodb_gb_month"] + PRICE["pitr_gb_month"]),
        "Lambda": gb_seconds * PRICE["lambda_gb_second"] + requests * PRICE["lambda_request"],
        "API Gateway": requests * PRICE["api_gateway_request"],
        "CloudFront": page_loads * CDN_REQUESTS_PER_PAGE * PRICE["cloudfront_request"]
        + page_loads * CDN_KB_PER_PAGE / 1e6 * PRICE["cloudfront_gb"],
        "S3 (files, site, logs)": (files_gb * 1.1 + access_logs_gb) * PRICE["s3_gb_month"]
        + uploads * (PRICE["s3_put"] + 3 * PRICE["s3_get"])
        + page_loads * CDN_REQUESTS_PER_PAGE * 0.05 * PRICE["s3_get"],
        "SES": emails * PRICE["ses_email"],
        "KMS (key, rotations, requests)": PRICE["kms_key_month"]
        + KEY_ROTATIONS_PAID * PRICE["kms_rotation_month"]
        + KMS_REQUESTS_MONTH * PRICE["kms_request"],
        "CloudWatch Logs": requests * LOG_KB_PER_REQUEST / 1e6 * PRICE["logs_ingest_gb"]
        + requests * LOG_KB_PER_REQUEST / 1e6 * LOG_RETENTION_MONTHS * PRICE["logs_gb_month"],
        "CloudWatch alarms": alarm_metrics() * PRICE["alarm_metric_month"] + PRICE["custom_metric_month"],
    }


def alarm_metrics() -> int:
    """How many metrics the stack's alarms evaluate (infra/stack.yaml): each is billed. Usage does not change it."""
    from infra import template

    count = 0
    for resource in template.load_yaml(template.STACK_YAML)["Resources"].values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            metrics = resource["Properties"].get("Metrics")
            count += sum(1 for m in metrics if "MetricStat" in m) if metrics else 1
    return count


SIZES = {300: School(pupils=300, staff=40), 1000: School(pupils=1000, staff=110), 2000: School(pupils=2000, staff=200)}


def table() -> str:
    costs = {size: monthly(school) for size, school in SIZES.items()}
    services = list(next(iter(costs.values())))
    header = (
        "| per month (USD) | " + " | ".join(f"{size:,} pupils ({SIZES[size].staff} staff)" for size in SIZES) + " |"
    )
    lines = [header, "|---|" + "---:|" * len(SIZES)]
    for service in services:
        lines.append(f"| {service} | " + " | ".join(f"{costs[size][service]:.2f}" for size in SIZES) + " |")
    lines.append("| **total** | " + " | ".join(f"**{sum(costs[size].values()):.2f}**" for size in SIZES) + " |")
    busy = {size: sum(monthly(school, usage=10).values()) for size, school in SIZES.items()}
    lines.append("| total if every use were 10x | " + " | ".join(f"{busy[size]:.2f}" for size in SIZES) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
