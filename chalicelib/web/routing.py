"""The web layer: every route declares who may call it; everything else about a request is decided here.

Deny by default: a route registered through `Routes.route` must name `allow` (PUBLIC, SIGNED_IN or a set of
roles). The guard then, for every call: refuses cross-site writes (custom header + JSON only), resolves the
session cookie, checks the role, runs the view, and turns `LanternError` into `{"error", "fields"}` JSON.
No stack trace or internal detail ever reaches the client.

>>> routes = Routes(app)
>>> @routes.route("/me", allow=SIGNED_IN)
... def me(call): return {"name": call.user.name}
"""

from __future__ import annotations

import functools
import hmac
import os
import traceback
from collections.abc import Callable

from chalice import Chalice, Response

from chalicelib import models
from chalicelib.auth import sessions
from chalicelib.errors import ForbiddenError, LanternError, NotSignedInError
from chalicelib.log import logger
from chalicelib.models import Staff
from chalicelib.settings import ROLES
from chalicelib.validation import Text, read_body

PUBLIC = frozenset({"anonymous", *ROLES})
SIGNED_IN = frozenset(ROLES)
WRITE_HEADER = "x-lantern-request"
# Cross-site forms can send these, so routes accept them here and the guard refuses them with a clear message.
ACCEPTED_CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
UNEXPECTED = "Something went wrong on our side. Try again in a moment; if it keeps happening, tell the school office."

SESSION_COOKIE = "__Host-lantern-session"
# Plain-http local mode only (`make run` sets LANTERN_LOCAL_HTTP=1): browsers refuse `__Host-`/Secure over http.
LOCAL_SESSION_COOKIE = "lantern-local-session"


def _local_http() -> bool:
    return os.environ.get("LANTERN_LOCAL_HTTP") == "1"


def session_cookie_name() -> str:
    return LOCAL_SESSION_COOKIE if _local_http() else SESSION_COOKIE


def session_cookie(token: str, *, max_age: int) -> str:
    """The Set-Cookie value for a session token (an empty token with max_age=0 clears it)."""
    secure = "" if _local_http() else "; Secure"
    return f"{session_cookie_name()}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"


class Call:
    """What a view needs from one request: the caller, the body, where it came from; a view may set a cookie."""

    def __init__(self, request) -> None:
        self.request = request
        self.user: Staff | None = None
        self.token: str | None = None
        self.set_cookie: str | None = None

    @property
    def cookie_token(self) -> str | None:
        """The session cookie's token, signed in or not (the second factor's routes resolve it themselves)."""
        return _cookie_token(self.request)

    def body(self, fields: dict[str, Text]) -> dict[str, str]:
        return read_body(self.request.raw_body, fields)

    @property
    def source(self) -> dict[str, str]:
        """Where a request came from, for the audit. Behind CloudFront, API Gateway's source is CloudFront itself:
        the viewer's address arrives in CloudFront-Viewer-Address ("ip:port"), forwarded on /api/*. That header is
        believed only when the request proved it came through CloudFront (`from_cdn`): anyone can set it."""
        context = self.request.context or {}
        identity = context.get("identity") or {}
        viewer = (self.request.headers.get("cloudfront-viewer-address") or "") if from_cdn(self.request) else ""
        return {
            "ip": (viewer.rsplit(":", 1)[0] if viewer else identity.get("sourceIp") or "")[:64],
            "user_agent": (self.request.headers.get("user-agent") or "")[:300],
        }


ORIGIN_HEADER = "x-lantern-origin"


def origin_secret() -> str:
    """The secret CloudFront adds to every request it forwards to the API (the stack sets both); empty locally."""
    return os.environ.get("LANTERN_ORIGIN_SECRET", "")


def from_cdn(request) -> bool:
    secret = origin_secret()
    return bool(secret) and hmac.compare_digest((request.headers.get(ORIGIN_HEADER) or "").encode(), secret.encode())


def _cookie_token(request) -> str | None:
    """The session token from the Cookie header (our token is URL-safe base64: no quoting to undo)."""
    wanted = session_cookie_name()
    for pair in (request.headers.get("cookie") or "").split(";"):
        name, _, value = pair.strip().partition("=")
        if name == wanted and value:
            return value
    return None


def json_response(body: dict, status: int = 200) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json"})


def error_response(error: LanternError) -> Response:
    return json_response(error.body(), error.status)


class Routes:
    """Registers guarded routes on a Chalice app and remembers who may call each: `access[(path, method)]`."""

    def __init__(self, app: Chalice) -> None:
        self.app = app
        self.access: dict[tuple[str, str], frozenset[str]] = {}

    def route(self, path: str, *, allow: frozenset[str], methods: tuple[str, ...] = ("GET",)) -> Callable:
        unknown = set(allow) - PUBLIC
        if not allow or unknown:
            raise ValueError(f"route {path}: allow must name roles from {sorted(PUBLIC)}")

        def register(view: Callable) -> Callable:
            @functools.wraps(view)
            def guarded(**url_params):
                return self._handle(view, allow, url_params)

            for method in methods:
                self.access[(path, method)] = allow
            self.app.route(path, methods=list(methods), content_types=ACCEPTED_CONTENT_TYPES)(guarded)
            return view

        return register

    def _handle(self, view: Callable, allow: frozenset[str], url_params: dict) -> Response:
        request = self.app.current_request
        try:
            if origin_secret() and not from_cdn(request):  # API Gateway's own address, bypassing the CDN
                raise ForbiddenError("Use your school's Lantern address.")
            models.bind()
            call = Call(request=request)
            if request.method not in ("GET", "HEAD"):
                _refuse_cross_site(request)
            if allow != PUBLIC or _cookie_token(request):
                call = self._identify(call, allow, url_params)
            result = view(call, **url_params)
        except LanternError as error:
            return error_response(error)
        except Exception as error:  # noqa: BLE001 - the client must never see internals
            logger.error(
                "unhandled error",
                extra={"error_type": type(error).__name__, "frames": traceback.format_tb(error.__traceback__)},
            )
            return json_response({"error": UNEXPECTED}, 500)
        response = result if isinstance(result, Response) else json_response(result)
        if call.set_cookie:
            response.headers["Set-Cookie"] = call.set_cookie
        return response

    def _identify(self, call: Call, allow: frozenset[str], url_params: dict) -> Call:
        token = _cookie_token(call.request)
        try:
            _, user = sessions.resume(token)
        except NotSignedInError:
            if allow == PUBLIC:
                return call  # a stale cookie on a public route is simply ignored
            raise
        if user.role not in allow:
            from chalicelib import audit

            audit.record(_subject(call.request, url_params), user.staff_id, "refused: not for their role", call.source)
            raise ForbiddenError()
        call.user, call.token = user, token
        return call


def _subject(request, url_params: dict) -> str:
    """What a refused request was about, for the audit: the record named in its path, or the route itself."""
    if url_params.get("incident_id"):
        return f"incident#{url_params['incident_id'][:64]}"
    if url_params.get("pupil_id"):
        return f"pupil#{url_params['pupil_id'][:64]}"
    return f"route#{request.method} {request.context.get('resourcePath', '') if request.context else ''}"[:200]


def _refuse_cross_site(request) -> None:
    """A write must carry our custom header (a cross-site form cannot) and be JSON."""
    if request.headers.get(WRITE_HEADER) != "1":
        raise ForbiddenError("This request was refused because it did not come from a Lantern page. Reload the page.")
    content_type = (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise LanternError("Lantern only accepts JSON here.", status=415)
