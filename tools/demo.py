"""Invented demo data for Lantern: staff and pupils for the trust's three schools.

Everything here is made up: names are drawn at random from pools of common
first names and surnames, e-mail addresses use the reserved ``example.org``
domain, and UPNs use an invented DfE establishment number. No real person is
described.

Pure standard library and deterministic: every call with the same arguments
returns the same data, because each function seeds its own
``random.Random(f"lantern-demo-{slug}")``. Nothing happens at import time.

Public API::

    demo_staff(slug) -> list[dict]
    demo_pupils(slug, count=300) -> list[dict]
    upn_check_letter(twelve) -> str
    is_valid_upn(upn) -> bool
"""

from __future__ import annotations

import datetime as _dt
import random
import re
import uuid

__all__ = [
    "SCHOOLS",
    "ROLES",
    "YEAR_GROUPS",
    "CLASS_NAMES",
    "LA_CODE",
    "ESTABLISHMENT_NUMBERS",
    "ACADEMIC_YEAR_START",
    "SEN_VALUES",
    "demo_staff",
    "demo_pupils",
    "upn_check_letter",
    "is_valid_upn",
    "year_group_dob_window",
]

SCHOOLS: dict[str, str] = {
    "themead": "The Mead",
    "castlemeadtrowbridge": "Castle Mead Trowbridge",
    "rivermead": "River Mead",
}

ROLES: tuple[str, ...] = ("staff", "leader", "dsl", "head", "admin")

YEAR_GROUPS: tuple[str, ...] = (
    "Reception",
    "Year 1",
    "Year 2",
    "Year 3",
    "Year 4",
    "Year 5",
    "Year 6",
)

# Two classes per year group, in YEAR_GROUPS order (Reception first).
CLASS_NAMES: dict[str, tuple[str, ...]] = {
    # Trees
    "themead": (
        "Hazel",
        "Rowan",
        "Birch",
        "Willow",
        "Ash",
        "Holly",
        "Beech",
        "Maple",
        "Elm",
        "Larch",
        "Chestnut",
        "Cedar",
        "Oak",
        "Sycamore",
    ),
    # Birds
    "castlemeadtrowbridge": (
        "Robin",
        "Wren",
        "Finch",
        "Swallow",
        "Swift",
        "Skylark",
        "Puffin",
        "Heron",
        "Kestrel",
        "Owl",
        "Kingfisher",
        "Buzzard",
        "Falcon",
        "Osprey",
    ),
    # Rivers (mostly Wiltshire's)
    "rivermead": (
        "Biss",
        "Frome",
        "Marden",
        "Nadder",
        "Wylye",
        "Bourne",
        "Ebble",
        "Kennet",
        "Til",
        "Avon",
        "Thames",
        "Wye",
        "Severn",
        "Tamar",
    ),
}

LA_CODE = "865"  # Wiltshire

# Invented DfE establishment numbers (4 digits), unique per school.
ESTABLISHMENT_NUMBERS: dict[str, str] = {
    "themead": "2001",
    "castlemeadtrowbridge": "2002",
    "rivermead": "2003",
}

# The academic year the demo data describes: 2026/27.
ACADEMIC_YEAR_START = 2026

SEN_VALUES: tuple[str, ...] = ("None", "SEN support", "EHC plan")

# Target rates for pupil flags (applied as exact quotas, rounded).
_RATE_SEN_SUPPORT = 0.13
_RATE_EHC_PLAN = 0.03
_RATE_PUPIL_PREMIUM = 0.25
_RATE_EAL = 0.20
_RATE_LOOKED_AFTER = 0.015
_RATE_CP_PLAN = 0.015

# --------------------------------------------------------------------------
# UPN check letter (DfE "Unique Pupil Numbers" guidance)
# --------------------------------------------------------------------------

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O, S
_UPN_RE = re.compile(r"^[A-Z][0-9]{12}$")


def upn_check_letter(twelve: str) -> str:
    """Check letter for the 12 digits that follow it in a UPN.

    Character n of the full UPN (n = 2..13) is multiplied by n; the sum
    modulo 23 indexes ``ABCDEFGHJKLMNPQRTUVWXYZ``.
    """
    if not isinstance(twelve, str) or len(twelve) != 12 or not twelve.isdigit() or not twelve.isascii():
        raise ValueError("expected exactly 12 ASCII digits")
    total = sum(int(ch) * weight for weight, ch in enumerate(twelve, start=2))
    return _UPN_LETTERS[total % 23]


def is_valid_upn(upn: str) -> bool:
    """True if ``upn`` is a check letter plus 12 digits with a correct check letter."""
    if not isinstance(upn, str) or not _UPN_RE.match(upn):
        return False
    return upn_check_letter(upn[1:]) == upn[0]


def year_group_dob_window(year_group: str) -> tuple[_dt.date, _dt.date]:
    """Inclusive (earliest, latest) date of birth for a year group in 2026/27.

    Reception: 1 Sep 2021 to 31 Aug 2022; each later year group a year earlier.
    """
    offset = YEAR_GROUPS.index(year_group)  # ValueError for unknown names
    start_year = ACADEMIC_YEAR_START - 5 - offset
    return _dt.date(start_year, 9, 1), _dt.date(start_year + 1, 8, 31)


# --------------------------------------------------------------------------
# Name pools (common names; combinations are random, so no real person)
# --------------------------------------------------------------------------

# Adults, for staff: invented full names (common first name + common
# surname). Each school draws from its own third of the list (entries k, k+3,
# k+6, ... for the school's position k in SCHOOLS), so no name repeats across
# the trust; first names and surnames are all distinct.
_STAFF_NAMES: tuple[str, ...] = (
    "Joanna Carter",
    "Priya Shah",
    "Tomasz Nowak",
    "Gareth Evans",
    "Aisha Begum",
    "Helen Walsh",
    "Rachel Thompson",
    "Mark Davies",
    "Sarah Mitchell",
    "Claire Robinson",
    "David Okafor",
    "Emma Hughes",
    "Fiona MacLeod",
    "Kirsty Barnes",
    "Nicola Price",
    "Lucy Bennett",
    "Jamal Ahmed",
    "Sian Morgan",
    "Rebecca Hill",
    "Paul Jenkins",
    "Andrew Clarke",
    "Hannah Lewis",
    "Katie Ward",
    "Daniel Fletcher",
    "Michelle Grant",
    "Stuart Harding",
    "Agnieszka Kowalczyk",
    "Grace Mensah",
    "Rhian Lloyd",
    "Chloe Reid",
    "Simon Osborne",
    "Laura Pearce",
    "Samina Hussain",
    "Deborah Chapman",
    "Neil Brennan",
    "Victoria Sutton",
    "Ian Doyle",
    "Hayley Whitfield",
    "Harpreet Kaur",
    "Angela Campbell",
    "Jennifer Moss",
    "Ruth Abbott",
    "Kerry Dawson",
    "Louise Perry",
    "Natalie Francis",
    "Gemma Rowe",
    "Sunita Patel",
    "Olu Adebayo",
)

# Staff positions in the stable output order.
_STAFF_POSITIONS: tuple[tuple[str, str], ...] = (
    ("head", "Head of School"),
    ("dsl", "Designated Safeguarding Lead"),
    ("dsl", "Deputy Designated Safeguarding Lead"),
    ("dsl", "Deputy Designated Safeguarding Lead"),
    ("leader", "Deputy Head Teacher"),
    ("leader", "SENCo"),
    ("admin", "Office Manager"),
    ("staff", "Class Teacher"),
    ("staff", "Class Teacher"),
    ("staff", "Class Teacher"),
    ("staff", "Class Teacher"),
    ("staff", "Teaching Assistant"),
    ("staff", "Teaching Assistant"),
    ("staff", "Midday Supervisor"),
    ("staff", "Sports Coach"),
)

# Children, grouped loosely by background so that first name and surname
# usually go together plausibly; some pupils take a first name from the
# general pool regardless (mixed and anglicised naming is common).
# Each entry: (weight, first names, surnames). Surnames are ones that are not
# gendered (so no "Begum", "Kaur", "-ska"), since pupils have family names.
_PUPIL_GROUPS: tuple[tuple[float, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        0.68,
        (
            "Olivia",
            "Amelia",
            "Isla",
            "Ava",
            "Ivy",
            "Lily",
            "Isabella",
            "Rosie",
            "Sophia",
            "Freya",
            "Poppy",
            "Evie",
            "Ella",
            "Willow",
            "Florence",
            "Matilda",
            "Charlotte",
            "Harper",
            "Daisy",
            "Phoebe",
            "Elizabeth",
            "Eleanor",
            "Harriet",
            "Erin",
            "Niamh",
            "Seren",
            "Ffion",
            "Eilidh",
            "Imogen",
            "Georgia",
            "Megan",
            "Katherine",
            "Oliver",
            "George",
            "Noah",
            "Arthur",
            "Leo",
            "Harry",
            "Oscar",
            "Archie",
            "Henry",
            "Theodore",
            "Freddie",
            "Jack",
            "Charlie",
            "Alfred",
            "Thomas",
            "William",
            "Jacob",
            "Samuel",
            "Joshua",
            "Finley",
            "Reggie",
            "Louie",
            "Isaac",
            "Mason",
            "Dylan",
            "Rhys",
            "Callum",
            "Jude",
            "Alexander",
            "Benjamin",
            "Joseph",
            "Matthew",
            "Edward",
            "Rory",
            "Owen",
            "Toby",
        ),
        (
            "Smith",
            "Jones",
            "Williams",
            "Taylor",
            "Brown",
            "Davies",
            "Evans",
            "Wilson",
            "Thomas",
            "Johnson",
            "Roberts",
            "Robinson",
            "Thompson",
            "Wright",
            "Walker",
            "White",
            "Edwards",
            "Hughes",
            "Green",
            "Hall",
            "Lewis",
            "Harris",
            "Clarke",
            "Jackson",
            "Wood",
            "Turner",
            "Martin",
            "Cooper",
            "Hill",
            "Ward",
            "Morris",
            "Moore",
            "King",
            "Baker",
            "Harrison",
            "Morgan",
            "Allen",
            "James",
            "Scott",
            "Phillips",
            "Watson",
            "Parker",
            "Price",
            "Bennett",
            "Young",
            "Griffiths",
            "Mitchell",
            "Kelly",
            "Cook",
            "Carter",
            "Richardson",
            "Bailey",
            "Collins",
            "Bell",
            "Shaw",
            "Murphy",
            "Cox",
            "Marshall",
            "Simpson",
            "Ellis",
            "Foster",
            "Chapman",
            "Powell",
            "Webb",
            "Rogers",
            "Gray",
            "O'Brien",
            "MacDonald",
            "Stewart",
            "Murray",
            "Fraser",
            "Hunt",
            "Lloyd",
            "Pritchard",
            "Sutton",
            "Fletcher",
            "Hayward",
            "Whitehouse",
            "Brooks",
            "Pearce",
            "Mills",
            "Fox",
        ),
    ),
    (
        0.12,
        (
            "Muhammad",
            "Ibrahim",
            "Yusuf",
            "Ayaan",
            "Zain",
            "Arjun",
            "Rohan",
            "Aarav",
            "Hamza",
            "Ismail",
            "Aisha",
            "Fatima",
            "Maryam",
            "Hafsa",
            "Amira",
            "Priya",
            "Anaya",
            "Zoya",
            "Inaya",
            "Simran",
            "Aleena",
            "Safa",
        ),
        (
            "Patel",
            "Khan",
            "Ali",
            "Hussain",
            "Ahmed",
            "Shah",
            "Sharma",
            "Iqbal",
            "Rahman",
            "Chowdhury",
            "Mistry",
            "Malik",
            "Akhtar",
            "Gill",
        ),
    ),
    (
        0.08,
        (
            "Jakub",
            "Filip",
            "Mateusz",
            "Oskar",
            "Szymon",
            "Antoni",
            "Zofia",
            "Hanna",
            "Lena",
            "Maja",
            "Julia",
            "Alicja",
            "Andrei",
            "Ioana",
        ),
        (
            "Nowak",
            "Mazur",
            "Kaczmarek",
            "Wozniak",
            "Popescu",
            "Ionescu",
            "Horvat",
            "Novak",
            "Dudek",
            "Sikora",
        ),
    ),
    (
        0.08,
        (
            "Kofi",
            "Kwame",
            "Tobi",
            "Emmanuel",
            "David",
            "Daniel",
            "Elijah",
            "Jayden",
            "Malachi",
            "Ama",
            "Abena",
            "Chioma",
            "Adaeze",
            "Tiwa",
            "Precious",
            "Blessing",
            "Grace",
            "Nia",
            "Zuri",
        ),
        (
            "Okafor",
            "Mensah",
            "Adeyemi",
            "Okoro",
            "Osei",
            "Boateng",
            "Campbell",
            "Francis",
            "Asante",
            "Owusu",
            "Bakare",
            "Grant",
        ),
    ),
    (
        0.04,
        ("Lucas", "Ethan", "Ryan", "Jun", "Kai", "Chloe", "Emily", "Mei", "Jasmine", "Ruby"),
        ("Chen", "Wong", "Li", "Nguyen", "Tran", "Zhang", "Lin", "Yang"),
    ),
)

# Short forms some children go by.
_SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "Alfred": ("Alfie",),
    "Thomas": ("Tom", "Tommy"),
    "William": ("Will", "Billy"),
    "Samuel": ("Sam", "Sammy"),
    "Oliver": ("Ollie",),
    "Benjamin": ("Ben", "Benji"),
    "Alexander": ("Alex", "Xander"),
    "Charlotte": ("Lottie", "Charlie"),
    "Elizabeth": ("Libby", "Lizzie", "Beth"),
    "Isabella": ("Bella", "Izzy"),
    "Matilda": ("Tilly",),
    "Florence": ("Flo", "Florrie"),
    "Theodore": ("Teddy", "Theo"),
    "Jacob": ("Jake",),
    "Joseph": ("Joe", "Joey"),
    "Daniel": ("Danny", "Dan"),
    "Harriet": ("Hattie",),
    "Katherine": ("Katie", "Kate"),
    "Eleanor": ("Ellie", "Nell"),
    "Edward": ("Eddie", "Ted"),
    "Matthew": ("Matt",),
    "Joshua": ("Josh",),
    "Emmanuel": ("Manny",),
    "Muhammad": ("Mo",),
    "Ibrahim": ("Ibby",),
    "Jakub": ("Kuba",),
    "Mateusz": ("Matt",),
    "Georgia": ("Georgie",),
    "Imogen": ("Immy",),
}
_SHORT_FORM_RATE = 0.4
_MIXED_FIRST_NAME_RATE = 0.15


# --------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------


def _check_slug(slug: str) -> None:
    if slug not in SCHOOLS:
        raise ValueError(f"unknown school slug {slug!r}; expected one of {sorted(SCHOOLS)}")


def _email_part(name: str) -> str:
    return re.sub(r"[^a-z-]", "", name.lower())


def demo_staff(slug: str) -> list[dict]:
    """Invented staff for one school, in a stable order.

    Each: {"name": "Joanna Carter", "email": "joanna.carter@themead.example.org",
    "role": one of ROLES, "title": e.g. "Designated Safeguarding Lead"}.
    Order: head, dsl (lead), dsl (deputy), dsl (deputy), leader (Deputy Head
    Teacher), leader (SENCo), admin, then 8 staff.
    """
    _check_slug(slug)
    rng = random.Random(f"lantern-demo-{slug}")  # noqa: S311 - repeatable invented data, not secrets
    domain = f"{slug}.example.org"
    school_index = list(SCHOOLS).index(slug)
    pool = list(_STAFF_NAMES[school_index :: len(SCHOOLS)])
    names = rng.sample(pool, len(_STAFF_POSITIONS))
    staff: list[dict] = []
    for (role, title), name in zip(_STAFF_POSITIONS, names, strict=True):
        first, last = name.split(" ", 1)
        email = f"{_email_part(first)}.{_email_part(last)}@{domain}"
        staff.append({"name": name, "email": email, "role": role, "title": title})
    return staff


def _pick_name(rng: random.Random) -> tuple[str, str]:
    weights = [g[0] for g in _PUPIL_GROUPS]
    group = rng.choices(_PUPIL_GROUPS, weights=weights)[0]
    last = rng.choice(group[2])
    if rng.random() < _MIXED_FIRST_NAME_RATE:
        first = rng.choice(_PUPIL_GROUPS[0][1])
    else:
        first = rng.choice(group[1])
    return first, last


def _quota(count: int, rate: float, minimum: int = 0) -> int:
    if count == 0:
        return 0
    return min(count, max(minimum, round(count * rate)))


def demo_pupils(slug: str, count: int = 300) -> list[dict]:
    """Invented pupils for one school, ordered by year group, class, surname, first name.

    Each: {"pupil_id" (deterministic UUID4 string), "upn", "first_name",
    "preferred_name" (usually first_name, sometimes a short form such as
    "Alfie" for "Alfred"), "last_name", "date_of_birth" ("YYYY-MM-DD"),
    "year_group" (one of YEAR_GROUPS), "class_name", "sen" (one of
    SEN_VALUES), "pupil_premium", "eal", "looked_after", "cp_plan" (bools)}.

    Pupils are spread evenly over the 14 classes. Flags are exact quotas of
    the rates SEN support 13%, EHC plan 3%, pupil premium 25%, EAL 20%,
    looked after 1.5% and CP plan 1.5% (the last two at least 1 pupil each
    when count > 0).
    """
    _check_slug(slug)
    if not isinstance(count, int) or count < 0:
        raise ValueError("count must be a non-negative integer")
    classes = CLASS_NAMES[slug]
    n_classes = len(classes)
    if count > len(YEAR_GROUPS) * 999:
        raise ValueError("count too large for 3-digit UPN serials")

    rng = random.Random(f"lantern-demo-{slug}")  # noqa: S311 - repeatable invented data, not secrets
    establishment = ESTABLISHMENT_NUMBERS[slug]

    pupils: list[dict] = []
    used_names: set[tuple[str, str]] = set()
    for i in range(count):
        class_index = i % n_classes
        year_index = class_index // 2
        year_group = YEAR_GROUPS[year_index]
        while True:
            first, last = _pick_name(rng)
            if (first, last) not in used_names:
                break
        used_names.add((first, last))
        preferred = first
        if first in _SHORT_FORMS and rng.random() < _SHORT_FORM_RATE:
            preferred = rng.choice(_SHORT_FORMS[first])
        earliest, latest = year_group_dob_window(year_group)
        dob = earliest + _dt.timedelta(days=rng.randrange((latest - earliest).days + 1))
        # UPN allocated on first entry to school (Reception year), or a
        # little later for some in-year admissions.
        entry_year = ACADEMIC_YEAR_START - year_index
        alloc_year = entry_year if rng.random() < 0.85 else rng.randint(entry_year, ACADEMIC_YEAR_START)
        pupil_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        pupils.append(
            {
                "pupil_id": pupil_id,
                "upn": None,  # filled below
                "first_name": first,
                "preferred_name": preferred,
                "last_name": last,
                "date_of_birth": dob.isoformat(),
                "year_group": year_group,
                "class_name": classes[class_index],
                "sen": "None",
                "pupil_premium": False,
                "eal": False,
                "looked_after": False,
                "cp_plan": False,
                "_alloc_year": alloc_year,
            }
        )

    # UPN serials: unique within (LA, establishment, allocation year).
    by_year: dict[int, list[dict]] = {}
    for p in pupils:
        by_year.setdefault(p["_alloc_year"], []).append(p)
    for alloc_year in sorted(by_year):
        group = by_year[alloc_year]
        serials = sorted(rng.sample(range(1, 1000), len(group)))
        for p, serial in zip(group, serials, strict=True):
            twelve = f"{LA_CODE}{establishment}{alloc_year % 100:02d}{serial:03d}"
            p["upn"] = upn_check_letter(twelve) + twelve
    for p in pupils:
        del p["_alloc_year"]

    # Flags as exact quotas, chosen independently at random.
    indices = list(range(count))
    sen = rng.sample(indices, _quota(count, _RATE_SEN_SUPPORT + _RATE_EHC_PLAN))
    n_ehc = _quota(count, _RATE_EHC_PLAN)
    for j, idx in enumerate(sen):
        pupils[idx]["sen"] = "EHC plan" if j < n_ehc else "SEN support"
    for idx in rng.sample(indices, _quota(count, _RATE_PUPIL_PREMIUM)):
        pupils[idx]["pupil_premium"] = True
    for idx in rng.sample(indices, _quota(count, _RATE_EAL)):
        pupils[idx]["eal"] = True
    for idx in rng.sample(indices, _quota(count, _RATE_LOOKED_AFTER, minimum=1)):
        pupils[idx]["looked_after"] = True
        # Looked-after children are eligible for pupil premium plus.
        pupils[idx]["pupil_premium"] = True
    for idx in rng.sample(indices, _quota(count, _RATE_CP_PLAN, minimum=1)):
        pupils[idx]["cp_plan"] = True

    class_order = {name: k for k, name in enumerate(classes)}
    pupils.sort(key=lambda p: (class_order[p["class_name"]], p["last_name"], p["first_name"]))
    return pupils
