"""The web layer: every route declares who may call it and what it reads; everything else about a request is
decided here.

Deny by default: a route registered through `Routes.route` must name `allow` (PUBLIC, SIGNED_IN or a set of
roles). It names the request model of its body (`body=`, a model of chalicelib/web/requests.py by name) and of its
query string (`query=`); a route that names none takes no body (nothing, or `{}`) and no query parameter. The
guard then, for every call: refuses cross-site writes (custom header + JSON only), resolves the session cookie,
checks the role, reads the body and the query through their models (`call.form`, `call.query`), runs the view,
and turns `LanternError` into `{"error", "fields"}` JSON: the status from the error's kind (`STATUSES`), the fields
on the page's field ids (the model's `on_page`). No stack trace or internal detail ever reaches the client.

>>> routes = Routes(app)
>>> @routes.route("/auth/forgot", methods=("POST",), allow=PUBLIC, body="PasswordLinkRequest")
... def forgot(call): return send_link(call.form.email)
"""

from __future__ import annotations

import functools
import hmac
import importlib
import os
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Chalice, Response

from chalicelib import models
from chalicelib.auth import sessions
from chalicelib.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    LanternError,
    NotFoundError,
    NotSignedInError,
    RepeatMismatchError,
    SecondFactorNeededError,
    TooLargeError,
    UnavailableError,
)
from chalicelib.log import logger
from chalicelib.models import Staff
from chalicelib.settings import ROLES

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


PROBLEM = "There is a problem with what was entered."


class NotJSONError(InvalidInputError):
    """A write that is not JSON (a cross-site form can send form types; Lantern's pages send JSON)."""


# The HTTP status of each kind of error: the error's nearest kind in this table (a domain's own error classes
# subclass these kinds). Domain code raises kinds, never statuses.
STATUSES: dict[type[LanternError], int] = {
    LanternError: 400,
    InvalidInputError: 400,
    TooLargeError: 413,
    NotJSONError: 415,
    NotSignedInError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    RepeatMismatchError: 422,
    UnavailableError: 503,
}


def status_of(error: LanternError) -> int:
    return next(STATUSES[kind] for kind in type(error).__mro__ if kind in STATUSES)


REQUEST_MODELS = "chalicelib.web.requests"


def request_models():
    """chalicelib/web/requests.py, imported on first use: pydantic stays off a cold start that reads no body."""
    return importlib.import_module(REQUEST_MODELS)


def model_named(name: str):
    """The request model of this name: "SignIn" in chalicelib/web/requests.py, "roster_requests.RosterUpload" in
    chalicelib/web/roster_requests.py (a model whose limits come from a package only its routes should load)."""
    module_name, _, model_name = name.rpartition(".")
    module = importlib.import_module(f"chalicelib.web.{module_name}") if module_name else request_models()
    model = getattr(module, model_name, None)
    if not (isinstance(model, type) and issubclass(model, request_models().Form)):
        raise LookupError(f"{name} is not a request model")
    return model


class Reads:
    """What a route reads. `body`: a request model's name, or {value: name} chosen by the value of the path's
    parameter `body_by` (a value not listed reads no model, and the view answers it), or None: no body (nothing,
    or `{}`). `query`: a request model's name, or None: no query parameter. (A plain class: a namedtuple compiles
    its constructor on every cold start.)"""

    __slots__ = ("body", "body_by", "query")

    def __init__(self, body: str | Mapping[str, str] | None, body_by: str | None, query: str | None) -> None:
        self.body, self.body_by, self.query = body, body_by, query


class Call:
    """What a view needs from one request: the caller, the body and query as their models read them (`form`,
    `query`), where it came from; a view may set a cookie."""

    def __init__(self, request) -> None:
        self.request = request
        self.user: Staff | None = None
        self.token: str | None = None
        self.set_cookie: str | None = None
        self.form: Any = None  # the body, as its request model read it
        self.query: Any = None  # the query string, as its request model read it
        self.model: type | None = None  # the model that read the body or query: its `on_page` places problems

    def read(self, reads: Reads, url_params: dict) -> None:
        """Read the query string and the body through the route's request models, or refuse what it does not take."""
        # Loaded here, not at import: a cold start whose first request sends nothing (GET /me) never needs it.
        from chalicelib.validation import NOT_EXPECTED, read_json_object

        params = self.request.query_params or {}
        if reads.query:
            self.model = model_named(reads.query)
            self.query = request_models().read_query(self.model, {name: params[name] for name in params})
        elif params:
            raise InvalidInputError(PROBLEM, dict.fromkeys(params, NOT_EXPECTED))
        if self.request.method in ("GET", "HEAD"):
            return
        body = reads.body
        if isinstance(body, Mapping):
            body = body.get(url_params.get(reads.body_by or "", ""))
            if body is None:
                return  # not a value the route knows: the view answers it (with a 404)
        if body:
            self.model = model_named(body)
            self.form = request_models().read_body(self.model, self.request.raw_body)
        elif self.request.raw_body not in (None, b"", ""):
            sent = read_json_object(self.request.raw_body)
            if sent:
                raise InvalidInputError(PROBLEM, dict.fromkeys(sent, NOT_EXPECTED))

    @property
    def cookie_token(self) -> str | None:
        """The session cookie's token, signed in or not (the second factor's routes resolve it themselves)."""
        return _cookie_token(self.request)

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


def error_response(error: LanternError, model: type | None = None) -> Response:
    """`{"error": message, "fields": {page field id: message}}` with the status of the error's kind."""
    body: dict = {"error": error.message}
    if error.fields:
        body["fields"] = page_ids(getattr(model, "on_page", None) or {}, error.fields)
    if isinstance(error, SecondFactorNeededError):
        body["next"] = error.step
    return json_response(body, status_of(error))


def page_ids(on_page: Mapping[str, str], fields: Mapping[str, str]) -> dict[str, str]:
    """Problems keyed by the names of what was sent (a request model's fields, or dotted paths into them: the
    domain's names), keyed instead by the page's field ids: `on_page` (a request model's), where a name it does not
    list keeps its own, and a pattern "answers.*" names each key of an object ("question-{}"). The first problem
    of each field is kept.

    >>> page_ids({"pupil_id": "pupil", "answers.*": "question-{}"}, {"pupil_id": "Choose", "answers.mood": "No"})
    {'pupil': 'Choose', 'question-mood': 'No'}
    """
    placed: dict[str, str] = {}
    for name, message in fields.items():
        placed.setdefault(_page_id(on_page, name), message)
    return placed


def _page_id(on_page: Mapping[str, str], name: str) -> str:
    parts = name.split(".")
    for size in range(len(parts), 0, -1):
        head = ".".join(parts[:size])
        if head in on_page:
            return on_page[head]
        pattern = ".".join([*parts[: size - 1], "*"])
        if pattern in on_page:
            return on_page[pattern].format(parts[size - 1])
    return name


class Routes:
    """Registers guarded routes on a Chalice app and remembers who may call each, `access[(path, method)]`, and
    what each reads, `reads[(path, method)]`."""

    def __init__(self, app: Chalice) -> None:
        self.app = app
        self.access: dict[tuple[str, str], frozenset[str]] = {}
        self.reads: dict[tuple[str, str], Reads] = {}

    def route(
        self,
        path: str,
        *,
        allow: frozenset[str],
        methods: tuple[str, ...] = ("GET",),
        body: str | Mapping[str, str] | None = None,
        query: str | None = None,
    ) -> Callable:
        unknown = set(allow) - PUBLIC
        if not allow or unknown:
            raise ValueError(f"route {path}: allow must name roles from {sorted(PUBLIC)}")
        if body is not None and set(methods) & {"GET", "HEAD"}:
            raise ValueError(f"route {path}: a GET has no body; read its query string (query=)")
        parameters = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        if isinstance(body, Mapping) and not parameters:
            raise ValueError(f"route {path}: a body chosen by a path parameter needs one")
        reads = Reads(body=body, body_by=parameters[-1] if isinstance(body, Mapping) else None, query=query)

        def register(view: Callable) -> Callable:
            @functools.wraps(view)
            def guarded(**url_params):
                return self._handle(view, allow, reads, url_params)

            for method in methods:
                self.access[(path, method)] = allow
                self.reads[(path, method)] = reads
            self.app.route(path, methods=list(methods), content_types=ACCEPTED_CONTENT_TYPES)(guarded)
            return view

        return register

    @staticmethod
    def job(handler: Callable) -> Callable:
        """A scheduled or event function (under `app.schedule`, `app.on_sns_message`, …): the school's tables are
        named before it runs, as they are before every request. Each function of the stack is its own process, so
        the API's naming never reaches them; without this they would look for tables called `outbox` or `jobs`."""

        @functools.wraps(handler)
        def bound(event):
            models.bind()
            return handler(event)

        return bound

    def _handle(self, view: Callable, allow: frozenset[str], reads: Reads, url_params: dict) -> Response:
        request = self.app.current_request
        call = None
        try:
            if origin_secret() and not from_cdn(request):  # API Gateway's own address, bypassing the CDN
                raise ForbiddenError("Use your school's Lantern address.")
            models.bind()
            call = Call(request=request)
            if request.method not in ("GET", "HEAD"):
                _refuse_cross_site(request)
            if allow != PUBLIC or _cookie_token(request):
                call = self._identify(call, allow, url_params)
            call.read(reads, url_params)
            result = view(call, **url_params)
        except LanternError as error:
            return error_response(error, call.model if call is not None else None)
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
        raise NotJSONError("Lantern only accepts JSON here.")
