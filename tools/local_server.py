"""`make run`: Lantern for one school on one port, on its real stack (moto's server standing in for AWS).

    python -m tools.local_server --school themead --port 8000

/api/*       the Chalice app (prefix stripped, as API Gateway's `api` stage does)
/dev/outbox  every email sent, readable locally (this server only: the deployed app has no such route)
/*           the built static site
Scheduled functions of the app run on a timer; the outbox table's stream feeds the app's stream handler.
"""

from __future__ import annotations

import argparse
import errno
import html
import json
import mimetypes
import re
import signal
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer, ThreadedHTTPServer

from chalicelib.security_headers import API_HEADERS, security_headers
from tools import build_site, local_stack, seed

ROOT = Path(__file__).resolve().parent.parent
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")
_URL = re.compile(r"https?://[^\s<>\"]+")


class LanternRequestHandler(ChaliceRequestHandler):
    """Routes /api/* to the app, /dev/outbox to the local outbox, everything else to the built site."""

    site_root: Path = ROOT / "build" / "site"
    region: str = "eu-west-2"
    upload_origin: str = ""  # moto's server: the browser POSTs uploads straight to "S3"

    def _generic_handle(self) -> None:
        path = urlsplit(self.path).path
        if path == "/api" or path.startswith("/api/"):
            self.path = self.path[len("/api") :] or "/"
            return super()._generic_handle()
        if self.command not in ("GET", "HEAD"):
            return self._send_page(405, "Method not allowed", "<p>Only GET here.</p>")
        if path == "/dev/outbox" or path.startswith("/dev/outbox/"):
            return self._outbox(path)
        return self._static(path)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _send_http_response(self, code: int, headers, body) -> None:
        """Every API answer carries the security headers, Chalice's own too (an unknown route's 403, a CORS
        preflight), as CloudFront's response headers policy adds them to every answer when deployed."""
        super()._send_http_response(code, {**API_HEADERS, **headers}, body)

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # request lines would hold paths; the app logs what it needs

    def _static(self, path: str) -> None:
        relative = unquote(path).lstrip("/") or "index.html"
        root = self.site_root.resolve()
        target = (root / relative).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return self._send_page(404, "Page not found", '<p><a href="/index.html">Go to Lantern</a></p>')
        body = target.read_bytes()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith(("json", "javascript", "+xml")):
            content_type += "; charset=utf-8"
        self._send(200, body, content_type, {"Cache-Control": "no-cache"})

    def _outbox(self, path: str) -> None:
        messages = local_stack.sent_emails(self.region)
        message_id = path.removeprefix("/dev/outbox").strip("/")
        if message_id:
            message = next((m for m in messages if m.id == message_id), None)
            if message is None:
                return self._send_page(404, "No such email", '<p><a href="/dev/outbox">Back to the outbox</a></p>')
            to = ", ".join(message.destinations.get("ToAddresses", []))
            body = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(message.body))
            content = (
                f'<p><a href="/dev/outbox">Back to the outbox</a></p><dl class="app-summary">'
                f"<dt>To</dt><dd>{html.escape(to)}</dd><dt>From</dt><dd>{html.escape(message.source)}</dd>"
                f"<dt>Subject</dt><dd>{html.escape(message.subject)}</dd></dl>"
                f'<pre class="app-email">{body}</pre>'
            )
            return self._send_page(200, html.escape(message.subject), content)
        rows = "".join(
            f"<tr><td>{html.escape(', '.join(m.destinations.get('ToAddresses', [])))}</td>"
            f'<td><a href="/dev/outbox/{html.escape(m.id)}">{html.escape(m.subject)}</a></td></tr>'
            for m in reversed(messages)
        )
        table = (
            f'<table class="app-table"><thead><tr><th>To</th><th>Subject</th></tr></thead><tbody>{rows}</tbody></table>'
            if rows
            else "<p>No emails have been sent yet.</p>"
        )
        notice = "<p>Local mode only: every email Lantern sends appears here, newest first. Reload to see new ones.</p>"
        self._send_page(200, "Outbox", notice + table)

    @property
    def stylesheet(self) -> str:
        return build_site.built_name(self.site_root, "css/lantern.css")

    def _send_page(self, status: int, title: str, content: str) -> None:
        page = (
            '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{title} – Lantern (local)</title><link rel="stylesheet" href="{self.stylesheet}"></head>'
            f'<body><main class="app-main" id="main"><h1>{title}</h1>{content}</main></body></html>'
        )
        self._send(status, page.encode("utf-8"), "text/html; charset=utf-8", {"Cache-Control": "no-store"})

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**security_headers(self.upload_origin), **extra}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_seconds(expression: str) -> int:
    """Seconds between runs for a `rate(...)` schedule; local mode runs only rate schedules."""
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"local mode runs rate(...) schedules only, not {expression!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def scheduled_functions(app: Chalice) -> list[tuple[str, int]]:
    """(name, seconds between runs) of every scheduled function of the app."""
    from chalice.app import ScheduledEventConfig, ScheduleExpression

    return [
        (
            source.name,
            schedule_seconds(expression.to_string() if isinstance(expression, ScheduleExpression) else expression),
        )
        for source in app.event_sources
        if isinstance(source, ScheduledEventConfig)
        for expression in [source.schedule_expression]
    ]


RUN_AFTER_THE_MINUTE_S = 1.0


def seconds_to_next_run(period: int, wall_clock: float) -> float:
    """Seconds from `wall_clock` (Unix time) to the first run of a function that runs every `period` seconds: a
    second after the clock's next whole multiple of the period (so a rate(1 minute) job runs at hh:mm:01, just
    after a reminder due at hh:mm falls due; EventBridge's phase is arbitrary, this one is predictable)."""
    return period - wall_clock % period + RUN_AFTER_THE_MINUTE_S


class Scheduler(threading.Thread):
    """Runs each scheduled function of the app every so often, as EventBridge would, until stopped."""

    def __init__(self, app: Chalice, region: str = "eu-west-2", tick: float = 1.0) -> None:
        super().__init__(daemon=True, name="lantern-scheduler")
        self.app = app
        self.region = region
        self.tick = tick
        self.stopping = threading.Event()
        self.runs: dict[str, int] = {}

    def run(self) -> None:
        every = dict(scheduled_functions(self.app))
        due = {name: self.next_run(seconds) for name, seconds in every.items()}
        while not self.stopping.wait(self.tick):
            now = time.monotonic()
            for name, when in due.items():
                if now >= when:
                    self.invoke(name)
                    due[name] = self.next_run(every[name])  # a run that overran skips to the next slot

    @staticmethod
    def next_run(period: int) -> float:
        """The monotonic time of the next run, on the clock's whole multiples of `period` (seconds_to_next_run)."""
        return time.monotonic() + seconds_to_next_run(period, time.time())

    def invoke(self, name: str) -> None:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": local_stack.ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [],
            "detail": {},
        }
        try:
            self.app.handler_map[name](event, None)
        except Exception as error:  # noqa: BLE001 - one failing run must not stop the timer
            print(f"scheduled function {name} failed: {type(error).__name__}", file=sys.stderr)
        self.runs[name] = self.runs.get(name, 0) + 1

    def stop(self) -> None:
        self.stopping.set()


class StreamPoller(threading.Thread):
    """Feeds the outbox table's stream to the app's stream handler every `tick` seconds, as Lambda would."""

    def __init__(self, app: Chalice, tick: float = 0.5) -> None:
        super().__init__(daemon=True, name="lantern-outbox-stream")
        self.stream = local_stack.outbox_stream(app)
        self.tick = tick
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.tick):
            try:
                self.stream.poll()
            except Exception as error:  # noqa: BLE001 - keep polling, as Lambda retries a failed batch
                print(f"outbox stream handler failed: {type(error).__name__}", file=sys.stderr)

    def stop(self) -> None:
        self.stopping.set()


def serve(app: Chalice, site_root: Path, region: str, port: int, upload_origin: str) -> LocalDevServer:
    """A one-port server for the app and the site; call `.serve_forever()` (or run it in a thread)."""
    app.__class__ = type("LocalLantern", (LocalChalice, app.__class__), {})  # per-thread current_request
    handler = type(
        "Handler",
        (LanternRequestHandler,),
        {"site_root": site_root, "region": region, "upload_origin": upload_origin},
    )
    config = Config(chalice_stage="api", config_from_disk={"api_gateway_stage": "api"})
    return LocalDevServer(app, config, "127.0.0.1", port, handler_cls=handler, server_cls=ThreadedHTTPServer)


def start(slug: str, port: int, site_root: Path) -> dict:
    """Start everything for one school: local AWS, tables, demo data, built site, app server, scheduler."""
    settings_path = build_site.school_file(slug)
    school = build_site.load_school(settings_path)
    local_aws = local_stack.start_local_aws(school.aws_region)
    url = f"http://127.0.0.1:{port}"
    school = local_stack.configure_school(str(settings_path), url, f"lantern-{slug}-")
    local_stack.create_resources(school)
    staff = seed.seed_demo(slug)
    site_root = build_site.build(school, site_root)

    from app import app

    server = serve(app, site_root, school.aws_region, port, local_aws.endpoint)
    scheduler = Scheduler(app, school.aws_region)
    scheduler.start()
    stream = StreamPoller(app)
    stream.start()
    return {
        "school": school,
        "url": url,
        "staff": staff,
        "server": server,
        "aws": local_aws,
        "scheduler": scheduler,
        "stream": stream,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Run Lantern locally for one school.")
    parser.add_argument("--school", default="themead")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--site", type=Path, default=ROOT / "build" / "site", help="where to build the static site")
    parser.add_argument("--state", type=Path, help="where to tell `make user` how to reach this stack")
    args = parser.parse_args()
    state = args.state or local_stack.state_file(args.school)
    try:
        running = start(args.school, args.port, args.site)
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        sys.exit(f"Could not start on port {args.port}: {error.strerror}. Try: make run PORT=8001")
    school, url = running["school"], running["url"]
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"endpoint": running["aws"].endpoint, "region": school.aws_region, "url": url}))
    print(f"\nLantern is running for {school.name} at {url}\n")
    print("Demo accounts (no passwords yet):")
    for person in running["staff"]:
        print(f"  {person.role:<7} {person.email}")
    print(
        f"\nTo sign in: open {url}, choose 'Forgotten your password or using Lantern for the first time?',\n"
        f"enter one of the emails above, then open the email at {url}/dev/outbox and follow its link.\n"
        "Leaders, DSLs, the Head and admins then need their authenticator code: make totp EMAIL=<their email>\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    server = running["server"]
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        running["scheduler"].stop()
        running["stream"].stop()
        server.server.server_close()
        running["aws"].stop()
        state.unlink(missing_ok=True)
        print("Lantern stopped.")


if __name__ == "__main__":
    main()
