"""The admin's roster import: its request models, apart from the others (chalicelib/web/requests.py) because they
need the import's own limits, and so load its package, which only the admin's roster routes should pay for."""

from chalicelib.roster_import.columns import KINDS, MAX_BYTES, MAX_REQUEST_BYTES
from chalicelib.web.requests import Ask, Flag, Form, OneOf, Text, yours

CHOOSE_CSV = "Choose a CSV file to import."


class RosterUpload(Form):
    """One roster CSV from the admin page: {"kind": "pupils"|"staff", "csv": "...", "full": bool}."""

    problem = "There is a problem with the import."
    max_bytes = MAX_REQUEST_BYTES  # the CSV as a JSON string: escaping can make it larger than the file
    empty_body = CHOOSE_CSV
    too_large = f"The file is too large: Lantern takes at most {MAX_BYTES // 1024 // 1024} MB in one file."

    kind: OneOf(KINDS, Ask("Kind", invalid="Choose whether the file lists pupils or staff."))
    csv: Text(Ask("CSV file", empty=CHOOSE_CSV, invalid=CHOOSE_CSV), MAX_REQUEST_BYTES, strip=False)
    full: Flag(Ask("Full roster", invalid="Say whether this is the full roster.")) = False


class RosterStep(Form):
    job_id: Text(yours("Import"), 36)
