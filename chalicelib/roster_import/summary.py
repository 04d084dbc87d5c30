"""What an import did, for the admin page, the command line and the log."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportSummary:
    """What an import did. `left` counts pupils who became leavers (pupils) or accounts deactivated (staff);
    `rejoined` pupils back on roll or accounts reactivated. With any error, nothing was written."""

    kind: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    left: int = 0
    rejoined: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new_staff: list = field(default_factory=list)  # Staff accounts created: each needs a set-password email

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self) -> str:
        if self.errors:
            count = len(self.errors)
            return f"{self.kind.capitalize()}: nothing was imported ({count} problem{'' if count == 1 else 's'})."
        left, rejoined = ("left", "back on roll") if self.kind == "pupils" else ("deactivated", "reactivated")
        return (
            f"{self.kind.capitalize()}: {self.rows:,} rows — {self.added:,} added, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.left:,} {left}, {self.rejoined:,} {rejoined}."
        )

    def as_dict(self) -> dict:
        """For the admin page. With errors it carries `error` too, as every refused request does."""
        body = {
            "kind": self.kind,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "left": self.left,
            "rejoined": self.rejoined,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "new_staff": [member.email for member in self.new_staff],
            "summary": self.text(),
        }
        if self.errors:
            body["error"] = "The file has problems, so nothing was imported. Correct them and import it again."
        return body

    @classmethod
    def from_dict(cls, body: dict) -> ImportSummary:
        names = ("kind", "rows", "added", "updated", "unchanged", "left", "rejoined", "errors", "warnings")
        return cls(**{name: body[name] for name in names if name in body})


def log(summary: ImportSummary) -> None:
    from chalicelib.log import logger

    logger.info(
        "roster imported",
        extra={
            "kind": summary.kind,
            "rows": summary.rows,
            "added": summary.added,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "left": summary.left,
            "rejoined": summary.rejoined,
        },
    )
