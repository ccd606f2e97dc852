"""The CI gates and subject ids, kept apart from the report model so reading options stays cheap."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidArgument

__all__ = ["SUBJECT_PATTERN", "SUBJECT_RULE", "Gates", "split_required", "subject_problem"]

# A subject id is a word that survives the gate syntax (``SUBJECT:IDS``), a Markdown table and a
# file name. The report schema's ``subject`` pattern is this one (or ``''``: no subject).
SUBJECT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
#: What :data:`SUBJECT_PATTERN` accepts, in words: every message about a bad subject says this.
SUBJECT_RULE = "1 to 100 ASCII letters, digits and _.-, starting with a letter or digit"
_SUBJECT_RE = re.compile(SUBJECT_PATTERN)


def subject_problem(subject: object) -> str | None:
    """Why ``subject`` is not a valid subject id, or ``None`` when it is (``""``: no subject)."""
    if not isinstance(subject, str):
        return f"a subject must be text, got {type(subject).__name__}"
    if subject and not _SUBJECT_RE.fullmatch(subject):  # fullmatch: `$` takes a final "\n"
        return (
            f"subject {subject!r} is not a valid subject id; use {SUBJECT_RULE}, "
            "e.g. 'prod' or 'demo-v2.1'"
        )
    return None


def split_required(item: str) -> tuple[str | None, str]:
    """``"prod:all"`` -> ``("prod", "all")``; ``"slo"`` -> ``(None, "slo")``."""
    subject, sep, xid = item.partition(":")
    return (subject.strip(), xid.strip()) if sep else (None, item.strip())


@dataclass(frozen=True)
class Gates:
    """The CI gates: required ids (categories expand to their remedies) and a cap on unchecked.

    Each required item is ``ID`` (it must hold for every subject of the run) or ``SUBJECT:ID``
    (for that subject only); ``ID`` may be ``all``. ``max_unchecked`` holds for each subject.
    """

    require: tuple[str, ...] = ()
    max_unchecked: int | None = None

    def __post_init__(self) -> None:
        if self.max_unchecked is not None and (
            isinstance(self.max_unchecked, bool)
            or not isinstance(self.max_unchecked, int)
            or self.max_unchecked < 0
        ):
            raise InvalidArgument(
                f"max_unchecked must be a whole number >= 0, got {self.max_unchecked!r}"
            )
        for item in self.require:
            subject, xid = split_required(item)
            if subject is not None:
                problem = "an empty subject" if not subject else subject_problem(subject)
                if problem or not xid:
                    raise InvalidArgument(
                        f"required item {item!r}: "
                        f"{problem or 'no id after the subject'}; write SUBJECT:ID, e.g. prod:all"
                    )

    @property
    def any(self) -> bool:
        """Whether any gate is set."""
        return bool(self.require) or self.max_unchecked is not None
