"""The roster files' layout: limits, accepted words and the columns Lantern reads, with their MIS aliases
(docs/roster-csv.md). No I/O."""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_BYTES = 2 * 1024 * 1024  # of CSV text, UTF-8
MAX_ROWS = 5000
# The JSON body of an upload holds the CSV as a string: escaping (\n, \", \uXXXX) can make it larger than the file.
MAX_REQUEST_BYTES = 5 * 1024 * 1024
MAX_ERRORS = 500  # a file that is wrong on every line gets the first 500 and a count of the rest
NAME_LENGTH = 100
CLASS_LENGTH = 50
EMAIL_LENGTH = 254
KINDS = ("pupils", "staff")
IMPORT_ACTOR = "roster-import"  # the audit actor when no signed-in admin ran the import (the command line)

YEAR_GROUPS = ("Nursery", "Reception", *(f"Year {n}" for n in range(1, 14)))
SEN_VALUES = {
    "": "None",
    "n": "None",
    "none": "None",
    "k": "SEN support",
    "sensupport": "SEN support",
    "e": "EHC plan",
    "ehcp": "EHC plan",
    "ehcplan": "EHC plan",
}
TRUE_WORDS = frozenset({"y", "yes", "true", "t", "1"})
FALSE_WORDS = frozenset({"", "n", "no", "false", "f", "0"})
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "revd", "lady", "lord"})

# UPN check letter (DfE): characters 2-13 weighted 2..13, sum mod 23 indexes this alphabet (no I, O or S). A temporary
# UPN ends in a letter instead of its 13th digit; that letter counts as its index in the same alphabet.
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_PATTERN = r"[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]"


class Column(NamedTuple):
    """A field Lantern reads. `aliases` are normalised header names (`_key`), the most specific first: when a file
    has several (SIMS's "Forename" and "Legal Forename"), the first in this order is used and the others ignored."""

    field: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False


PUPIL_COLUMNS = (
    Column("upn", "UPN", ("upn", "uniquepupilnumber"), required=True),
    Column(
        "first_name",
        "Legal Forename",
        ("legalforename", "legalfirstname", "forename", "firstname", "givenname"),
        required=True,
    ),
    Column(
        "preferred_name",
        "Preferred Forename",
        ("preferredforename", "preferredfirstname", "preferredname", "knownas", "chosenname"),
    ),
    Column("last_name", "Legal Surname", ("legalsurname", "legallastname", "surname", "lastname"), required=True),
    Column("date_of_birth", "Date of Birth", ("dateofbirth", "dob", "birthdate"), required=True),
    Column("year_group", "Year Group", ("yeargroup", "ncyear", "year", "curriculumyear"), required=True),
    Column(
        "class_name",
        "Reg Group",
        ("reggroup", "registrationgroup", "class", "classname", "form", "formgroup", "tutorgroup"),
        required=True,
    ),
    Column("sen", "SEN Status", ("senstatus", "sen", "senprovision")),
    Column("pupil_premium", "Pupil Premium", ("pupilpremium", "pp", "pupilpremiumindicator")),
    Column("eal", "EAL", ("eal", "englishasanadditionallanguage")),
    Column("looked_after", "Looked After", ("lookedafter", "cla", "lac", "incare", "childlookedafter")),
    Column("cp_plan", "CP Plan", ("cpplan", "childprotectionplan", "cp")),
    Column("former_upn", "Former UPN", ("formerupn", "formerupns", "previousupn")),
)

STAFF_COLUMNS = (
    Column("email", "Email", ("email", "emailaddress", "workemail", "schoolemail"), required=True),
    Column("name", "Name", ("name", "fullname", "staffname")),
    Column("forename", "Forename", ("preferredforename", "preferredname", "knownas", "forename", "firstname")),
    Column("surname", "Surname", ("surname", "lastname", "legalsurname")),
    Column("role", "Role", ("role", "lanternrole"), required=True),
    Column("title", "Job Title", ("jobtitle", "title", "position", "post")),
)


def _key(header: str) -> str:
    """A header name reduced to lower-case letters and digits: "Date of Birth", "date_of_birth", "DOB" → dateofbirth."""
    return re.sub(r"[^a-z0-9]", "", header.lower())
