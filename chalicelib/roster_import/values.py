"""One cell's value, checked: each function returns (value, problem or None). No I/O."""

from __future__ import annotations

import re
from datetime import date

from chalicelib.roster_import.columns import (
    _UPN_LETTERS,
    _UPN_PATTERN,
    EMAIL_LENGTH,
    FALSE_WORDS,
    SEN_VALUES,
    TRUE_WORDS,
    _key,
)
from chalicelib.settings import ROLE_LABELS, ROLES
from chalicelib.validation import EMAIL_PATTERN


def upn_check_letter(twelve: str) -> str:
    """The check letter for the 12 characters after it (11 digits and a digit, or a letter for a temporary UPN)."""
    values = [int(ch) if ch.isdigit() else _UPN_LETTERS.index(ch) for ch in twelve]
    return _UPN_LETTERS[sum(value * weight for weight, value in enumerate(values, start=2)) % 23]


def is_valid_upn(upn: str) -> bool:
    """A check letter, 11 digits and a digit (or, for a temporary UPN, a letter), with the right check letter."""
    return bool(re.fullmatch(_UPN_PATTERN, upn)) and upn_check_letter(upn[1:]) == upn[0]


def _upn(value: str) -> tuple[str, str | None]:
    upn = re.sub(r"\s", "", value).upper()
    if not upn:
        return "", "is blank"
    if not re.fullmatch(_UPN_PATTERN, upn):
        return upn, f"{upn} is not a UPN: a letter then 12 digits (or 11 digits and a letter for a temporary UPN)"
    expected = upn_check_letter(upn[1:])
    if expected != upn[0]:
        return upn, f"{upn} has the wrong check letter (for these digits it is {expected}): check it in the MIS"
    return upn, None


def _text(value: str, limit: int, *, required: bool = True) -> tuple[str, str | None]:
    value = " ".join(value.split()) if "\n" not in value and "\r" not in value else value.strip()
    if not value:
        return "", "is blank" if required else None
    if "\n" in value or "\r" in value:
        return value, "must be on one line"
    if "\ufffd" in value:
        return value, "holds a character that could not be read: save the file as “CSV UTF-8” and import it again"
    if any(ord(ch) < 32 for ch in value):
        return value, "holds a control character"
    if len(value) > limit:
        return value, f"is longer than {limit} characters"
    return value, None


def _date_of_birth(value: str, today: date) -> tuple[str, str | None]:
    text = re.sub(r"\s+0?0:00(:00)?$", "", value.strip())  # Excel sometimes adds a midnight time
    if not text:
        return "", "is blank"
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        parts = int(match[3]), int(match[2]), int(match[1])
    elif match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        parts = int(match[1]), int(match[2]), int(match[3])
    else:
        return text, f"{text} is not a date: use DD/MM/YYYY or YYYY-MM-DD"
    try:
        day = date(*parts)
    except ValueError:
        return text, f"{text} is not a real date"
    if day > today:
        return text, f"{text} is in the future"
    age = today.year - day.year - ((today.month, today.day) < (day.month, day.day))
    if age < 1 or age > 25:
        return text, f"{text} would make the pupil {age} years old: check it (pupils are 1 to 25)"
    return day.isoformat(), None


def _year_group(value: str) -> tuple[str, str | None]:
    key = _key(value)
    if key in ("r", "rec", "reception", "yr", "yearr"):
        return "Reception", None
    if key in ("n", "n1", "n2", "nur", "nursery", "yn", "yearn"):
        return "Nursery", None
    match = re.fullmatch(r"(?:year|yr|y|nc|ncyear)?(\d{1,2})", key)
    if match and 1 <= int(match[1]) <= 13:
        return f"Year {int(match[1])}", None
    if not key:
        return "", "is blank"
    return value, f"{value.strip()} is not a year group: use N, R or 1 to 13 (also Year 3, Y3, Reception, Nursery)"


def _sen(value: str) -> tuple[str, str | None]:
    found = SEN_VALUES.get(_key(value))
    if found is None:
        return value, f"{value.strip()} is not a SEN status: use N (None), K (SEN support) or E (EHC plan)"
    return found, None


def _boolean(value: str) -> tuple[bool, str | None]:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True, None
    if word in FALSE_WORDS:
        return False, None
    return False, f"{value.strip()} is not yes or no: use Y or N (also Yes/No, True/False, T/F, 1/0; blank is No)"


def _email(value: str) -> tuple[str, str | None]:
    email = value.strip().lower()
    if not email:
        return "", "is blank"
    if len(email) > EMAIL_LENGTH or not re.fullmatch(EMAIL_PATTERN, email):
        return email, f"{email} is not an email address"
    return email, None


_ROLE_WORDS = {
    **{role: role for role in ROLES},
    **{_key(label): role for role, label in ROLE_LABELS.items()},
    "ddsl": "dsl",
}


def _role(value: str) -> tuple[str, str | None]:
    role = _ROLE_WORDS.get(_key(value))
    if role is None:
        if not value.strip():
            return "", f"is blank: enter {', '.join(ROLES[:-1])} or {ROLES[-1]}"
        return value, f"{value.strip()} is not a role: use {', '.join(ROLES[:-1])} or {ROLES[-1]}"
    return role, None
