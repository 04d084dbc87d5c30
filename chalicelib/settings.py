"""A school's settings: one TOML file per school, validated on load.

The static pages (built at deploy time) and the server's validation read the same
loaded `SchoolSettings`, so the form can never offer a choice the server refuses.

>>> school = load_school("infra/schools/themead.toml")
>>> school.name
'The Mead'
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

ROLES = ("staff", "leader", "dsl", "head", "admin")
ROLE_LABELS = {
    "staff": "Staff",
    "leader": "Leader (SLT/DHT)",
    "dsl": "DSL/DDSL",
    "head": "Head of School",
    "admin": "Administrator",
}
ROLES_WITH_SECOND_FACTOR = frozenset({"leader", "dsl", "head", "admin"})  # everyone who reads records, and admins
QUESTION_KINDS = ("choose-all", "text")

# Patterns stay text until a file is loaded: compiling them at import would slow every cold start.
_SLUG = r"[a-z][a-z0-9]{1,39}"
_CLOCK = r"([01]\d|2[0-3]):[0-5]\d"
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_QUESTION_ID = r"[a-z][a-z0-9_]{0,39}"
_URL = r"https?://[a-z0-9.-]+(:\d+)?"
_REGION = r"[a-z]{2}-[a-z]+-\d"


class SettingsError(ValueError):
    """A settings file is missing a key or holds a value Lantern cannot use."""


class Record(tuple):
    """A settings record: a tuple with named fields, as `collections.namedtuple` makes, declared as
    `class Term(Record, fields="name start end half_term", defaults=((),))` (each field's type in the docstring).

    namedtuple compiles a constructor for each class it makes (typing.NamedTuple also evaluates each annotation):
    paid on every cold start, as every request reads the settings. With one shared constructor the seven records
    cost about 0.2 ms instead of 0.6 (measured from the package)."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _field_defaults: dict = {}

    def __init_subclass__(cls, *, fields: str, defaults: tuple = ()) -> None:
        super().__init_subclass__()
        cls._fields = tuple(fields.split())
        cls._field_defaults = dict(zip(cls._fields[len(cls._fields) - len(defaults) :], defaults, strict=True))
        for index, name in enumerate(cls._fields):
            setattr(cls, name, property(itemgetter(index)))

    def __new__(cls, *args, **kwargs):
        rest = cls._fields[len(args) :]
        if len(args) > len(cls._fields) or not set(kwargs) <= set(rest):
            raise TypeError(f"{cls.__name__} takes the fields {', '.join(cls._fields)}, each once")
        missing = [name for name in rest if name not in kwargs and name not in cls._field_defaults]
        if missing:
            raise TypeError(f"{cls.__name__} is missing {', '.join(missing)}")
        return tuple.__new__(cls, (*args, *(kwargs.get(name, cls._field_defaults.get(name)) for name in rest)))

    def __getnewargs__(self) -> tuple:  # copy and pickle rebuild it from its values
        return tuple(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={v!r}' for n, v in zip(self._fields, self, strict=True))})"

    def _replace(self, **changes):
        return type(self)(**{**self._asdict(), **changes})

    def _asdict(self) -> dict:
        return dict(zip(self._fields, self, strict=True))


class Session(Record, fields="name start end"):
    """A session of the school day (settings `[[sessions]]`): name; start and end "HH:MM", school time."""

    __slots__ = ()


class Question(Record, fields="id label kind options", defaults=((),)):
    """A category's question: id, label, kind (one of QUESTION_KINDS), options (tuple of str, for choose-all)."""

    __slots__ = ()


class Category(
    Record, fields="name subcategories readable_by assign_by_default alert_by_default questions", defaults=((),)
):
    """A category: name; subcategories (tuple of str); readable_by (frozenset of roles); assign_by_default and
    alert_by_default (tuples of roles); questions (tuple of Question)."""

    __slots__ = ()


class Digest(Record, fields="enabled time unread_days", defaults=(True, "07:30", 3)):
    """The daily digest of open work for the DSL team and leaders (settings `[digest]`): enabled (bool); time
    ("HH:MM", school time, 24-hour); unread_days (int: an alert unread for longer than this is listed)."""

    __slots__ = ()


class Term(Record, fields="name start end half_term", defaults=((),)):
    """A school term (settings `[[terms]]`): name; start and end (YYYY-MM-DD, its first and last days); half_term,
    (first day, last day) of its half-term holiday, or ()."""

    __slots__ = ()


PUPIL_FLAGS = {
    "sen": "SEN (support or EHC plan)",
    "pupil_premium": "Pupil premium",
    "eal": "EAL",
    "looked_after": "Looked after",
    "cp_plan": "Child protection plan",
}


class PatternAlert(Record, fields="name count days flag categories", defaults=(0, 0, "", ())):
    """A rule that alerts the DSL team when an incident makes it fire (settings `[[pattern_alerts]]`): `count` or
    more concerns about one pupil within `days` (in `categories`, a tuple of category names, or any), or any concern
    about a pupil with `flag` (a key of PUPIL_FLAGS)."""

    __slots__ = ()


class SchoolSettings(
    Record,
    fields="slug name url time_zone aws_region sender_email head_of_school_title dsl_names sessions locations agencies"
    " categories source digest quality_prompts terms pattern_alerts",
    defaults=("", Digest(), True, (), ()),
):
    """A school's settings, as loaded and checked by `load_school`. All str but dsl_names, locations, agencies
    (tuples of str), sessions, categories, terms, pattern_alerts (tuples of their records) and digest (a Digest);
    quality_prompts (bool): the form's record-quality prompts (never blocking), which a school may turn off."""

    __slots__ = ()

    @property
    def zone(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.time_zone)

    def today(self, now=None):
        """The school's date now (or at `now`), in its own time zone."""
        from chalicelib.clock import utcnow

        return (now or utcnow()).astimezone(self.zone).date()

    def category(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)

    def with_url(self, url: str) -> SchoolSettings:
        """The same school served from another address (local mode)."""
        return self._replace(url=url.rstrip("/"))


class _Reader:
    """Reads typed values out of parsed TOML, naming file and key in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> SettingsError:
        return SettingsError(f"{self.source}: {key}: {problem}")

    def text(self, table: dict, key: str, where: str = "", *, pattern=None, hint="") -> str:
        name = f"{where}{key}"
        if key not in table:
            raise self.fail(name, "is missing")
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be non-empty text")
        if value != value.strip():
            raise self.fail(name, "has spaces at the start or end")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise self.fail(name, f"{value!r} is not valid{hint}")
        return value

    def texts(self, table: dict, key: str, where: str = "", *, allow_empty=False) -> tuple[str, ...]:
        name = f"{where}{key}"
        if key not in table:
            raise self.fail(name, "is missing")
        values = table[key]
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise self.fail(name, "must be a list of non-empty text")
        if not values and not allow_empty:
            raise self.fail(name, "must not be empty")
        stripped = [v for v in values if v != v.strip()]
        if stripped:
            raise self.fail(name, f"{stripped[0]!r} has spaces at the start or end")
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise self.fail(name, f"{duplicates[0]!r} is listed twice")
        return tuple(values)

    def tables(self, table: dict, key: str) -> list[dict]:
        values = table.get(key)
        if not isinstance(values, list) or not values or not all(isinstance(v, dict) for v in values):
            raise self.fail(key, f"must be one or more [[{key}]] tables")
        return values

    def no_unknown(self, table: dict, known: set[str], where: str = "") -> None:
        unknown = sorted(set(table) - known)
        if unknown:
            raise self.fail(f"{where}{unknown[0]}", "is not a setting Lantern knows (spelling?)")


def _flag(r: _Reader, data: dict, key: str, *, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise r.fail(key, "must be true or false")
    return value


def parse_school(data: dict, source: str) -> SchoolSettings:
    """Validate parsed TOML into `SchoolSettings`; raise `SettingsError` naming file, key and problem."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # imported on first load, not at cold start

    r = _Reader(source)
    r.no_unknown(
        data,
        {
            "slug",
            "name",
            "url",
            "time_zone",
            "aws_region",
            "sender_email",
            "head_of_school_title",
            "dsl_names",
            "sessions",
            "locations",
            "agencies",
            "categories",
            "digest",
            "terms",
            "pattern_alerts",
            "quality_prompts",
        },
    )
    time_zone = r.text(data, "time_zone")
    digest_table = data.get("digest", {})
    if not isinstance(digest_table, dict):
        raise r.fail("digest", "must be a [digest] table")
    r.no_unknown(digest_table, {"enabled", "time", "unread_days"}, "digest.")
    enabled = digest_table.get("enabled", True)
    unread_days = digest_table.get("unread_days", 3)
    if not isinstance(enabled, bool):
        raise r.fail("digest.enabled", "must be true or false")
    if isinstance(unread_days, bool) or not isinstance(unread_days, int) or not 1 <= unread_days <= 60:
        raise r.fail("digest.unread_days", "must be a whole number of days from 1 to 60")
    digest = Digest(
        enabled=enabled,
        time=r.text(digest_table, "time", "digest.", pattern=_CLOCK, hint=" (use 24-hour HH:MM)")
        if "time" in digest_table
        else Digest().time,
        unread_days=unread_days,
    )
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("time_zone", f"{time_zone!r} is not a known time zone") from None

    sessions = []
    for i, table in enumerate(r.tables(data, "sessions")):
        where = f"sessions[{i}]."
        r.no_unknown(table, {"name", "start", "end"}, where)
        session = Session(
            name=r.text(table, "name", where),
            start=r.text(table, "start", where, pattern=_CLOCK, hint=" (use 24-hour HH:MM)"),
            end=r.text(table, "end", where, pattern=_CLOCK, hint=" (use 24-hour HH:MM)"),
        )
        if session.end <= session.start:
            raise r.fail(f"{where}end", "must be after start")
        if sessions and session.start < sessions[-1].end:
            raise r.fail(f"{where}start", f"overlaps {sessions[-1].name!r}; list sessions in order")
        sessions.append(session)

    categories = []
    for i, table in enumerate(r.tables(data, "categories")):
        where = f"categories[{i}]."
        r.no_unknown(
            table,
            {"name", "subcategories", "readable_by", "assign_by_default", "alert_by_default", "questions"},
            where,
        )
        readable_by = r.texts(table, "readable_by", where)
        for role in readable_by:
            if role not in ROLES:
                raise r.fail(f"{where}readable_by", f"{role!r} is not a role ({', '.join(ROLES)})")
        if "admin" in readable_by or "staff" in readable_by:
            raise r.fail(f"{where}readable_by", "staff and admin never read whole categories")
        questions = []
        for j, q in enumerate(table.get("questions", [])):
            qwhere = f"{where}questions[{j}]."
            if not isinstance(q, dict):
                raise r.fail(qwhere.rstrip("."), "must be a [[categories.questions]] table")
            r.no_unknown(q, {"id", "label", "kind", "options"}, qwhere)
            kind = r.text(q, "kind", qwhere)
            if kind not in QUESTION_KINDS:
                raise r.fail(f"{qwhere}kind", f"{kind!r} is not one of {', '.join(QUESTION_KINDS)}")
            options = r.texts(q, "options", qwhere) if kind == "choose-all" else ()
            if kind == "text" and "options" in q:
                raise r.fail(f"{qwhere}options", "a text question has no options")
            questions.append(
                Question(
                    id=r.text(q, "id", qwhere, pattern=_QUESTION_ID, hint=" (lower case letters, digits, _)"),
                    label=r.text(q, "label", qwhere),
                    kind=kind,
                    options=options,
                )
            )
        ids = [q.id for q in questions]
        if len(set(ids)) != len(ids):
            raise r.fail(f"{where}questions", "two questions share an id")
        categories.append(
            Category(
                name=r.text(table, "name", where),
                subcategories=r.texts(table, "subcategories", where),
                readable_by=frozenset(readable_by),
                assign_by_default=r.texts(table, "assign_by_default", where, allow_empty=True),
                alert_by_default=r.texts(table, "alert_by_default", where, allow_empty=True),
                questions=tuple(questions),
            )
        )
    names = [c.name for c in categories]
    if len(set(names)) != len(names):
        raise r.fail("categories", "two categories share a name")

    url = r.text(data, "url", pattern=_URL, hint=" (scheme and host, no path)")
    if url.startswith("http://"):
        raise r.fail("url", "must use https")
    sessions_names = [s.name for s in sessions]
    if len(set(sessions_names)) != len(sessions_names):
        raise r.fail("sessions", "two sessions share a name")
    terms = _terms(r, data.get("terms", []))
    pattern_alerts = _pattern_alerts(r, data.get("pattern_alerts", []), names)
    return SchoolSettings(
        slug=r.text(data, "slug", pattern=_SLUG, hint=" (lower case letters and digits)"),
        name=r.text(data, "name"),
        url=url,
        time_zone=time_zone,
        aws_region=r.text(data, "aws_region", pattern=_REGION),
        sender_email=r.text(data, "sender_email", pattern=_EMAIL, hint=" (an email address)"),
        head_of_school_title=r.text(data, "head_of_school_title"),
        dsl_names=r.texts(data, "dsl_names"),
        sessions=tuple(sessions),
        locations=r.texts(data, "locations"),
        agencies=r.texts(data, "agencies"),
        categories=tuple(categories),
        source=source,
        digest=digest,
        terms=terms,
        pattern_alerts=pattern_alerts,
        quality_prompts=_flag(r, data, "quality_prompts", default=True),
    )


def _day(r: _Reader, table: dict, key: str, where: str):
    from datetime import date

    text = r.text(table, key, where, pattern=r"\d{4}-\d{2}-\d{2}", hint=" (use YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise r.fail(f"{where}{key}", f"{text!r} is not a date") from None


def _terms(r: _Reader, tables) -> tuple[Term, ...]:
    """Optional `[[terms]]`, in order: the reports' "this term" and "this half-term"."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise r.fail("terms", "must be [[terms]] tables")
    terms: list[Term] = []
    previous_end = None
    for i, table in enumerate(tables):
        where = f"terms[{i}]."
        r.no_unknown(table, {"name", "start", "end", "half_term"}, where)
        start, end = _day(r, table, "start", where), _day(r, table, "end", where)
        if end < start:
            raise r.fail(f"{where}end", "must not be before start")
        if previous_end is not None and start <= previous_end:
            raise r.fail(f"{where}start", "overlaps the term before; list terms in order")
        half_term: tuple[str, ...] = ()
        if "half_term" in table:
            pair = table["half_term"]
            if not isinstance(pair, list) or len(pair) != 2:
                raise r.fail(f"{where}half_term", "must be [first day, last day] of the holiday")
            days = [_day(r, {"day": value}, "day", f"{where}half_term.") for value in pair]
            if not start < days[0] <= days[1] < end:
                raise r.fail(f"{where}half_term", "must fall inside the term, first day first")
            half_term = (days[0].isoformat(), days[1].isoformat())
        terms.append(Term(r.text(table, "name", where), start.isoformat(), end.isoformat(), half_term))
        previous_end = end
    return tuple(terms)


def _pattern_alerts(r: _Reader, tables, category_names: list[str]) -> tuple[PatternAlert, ...]:
    """Optional `[[pattern_alerts]]`: each either `count` + `days` (+ `categories`), or `flag`."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise r.fail("pattern_alerts", "must be [[pattern_alerts]] tables")
    rules = []
    for i, table in enumerate(tables):
        where = f"pattern_alerts[{i}]."
        r.no_unknown(table, {"name", "count", "days", "flag", "categories"}, where)
        name = r.text(table, "name", where)
        categories = r.texts(table, "categories", where, allow_empty=True) if "categories" in table else ()
        for category in categories:
            if category not in category_names:
                raise r.fail(f"{where}categories", f"{category!r} is not one of the categories")
        if "flag" in table:
            if "count" in table or "days" in table:
                raise r.fail(where.rstrip("."), "give either flag, or count and days, not both")
            flag = r.text(table, "flag", where)
            if flag not in PUPIL_FLAGS:
                raise r.fail(f"{where}flag", f"{flag!r} is not one of {', '.join(PUPIL_FLAGS)}")
            rules.append(PatternAlert(name=name, flag=flag, categories=categories))
            continue
        numbers = {}
        for key, top in (("count", 50), ("days", 366)):
            value = table.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
                raise r.fail(f"{where}{key}", f"must be a whole number from 1 to {top}")
            numbers[key] = value
        rules.append(PatternAlert(name=name, count=numbers["count"], days=numbers["days"], categories=categories))
    return tuple(rules)


def load_school(path: str | os.PathLike) -> SchoolSettings:
    """Load and validate one school's settings file."""
    import tomllib  # imported on first load, not at cold start

    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    school = parse_school(data, str(path))
    if school.slug != path.stem:
        raise SettingsError(f"{path}: slug: {school.slug!r} must match the file name {path.stem!r}")
    return school


@lru_cache(maxsize=1)
def current_school() -> SchoolSettings:
    """The school this deployment serves: `LANTERN_SETTINGS` names its file; `LANTERN_PUBLIC_URL` overrides its URL.

    Read on first use, not at import, so importing the app reads nothing.
    """
    path = os.environ.get("LANTERN_SETTINGS")
    if not path:
        raise SettingsError("LANTERN_SETTINGS is not set: it must name the school's settings file")
    school = load_school(path)
    public_url = os.environ.get("LANTERN_PUBLIC_URL")
    return school.with_url(public_url) if public_url else school
