"""The per-test and per-run records of a report.

What one test declared, recorded and how it ended (:class:`TestRecord`), and where one run came
from (:class:`RunInfo`). Pure data, no pytest; :mod:`pytest_prodreal.report.model` builds the
report from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import InvalidArgument
from ..evidence import Evidence
from .gates import subject_problem

__all__ = ["OUTCOMES", "RunInfo", "TestRecord", "_canon"]

#: A test's outcome, as the report names it.
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")

# When two shards report the same test, the more telling outcome wins: a failure anywhere is a
# failure, and a pass beats a skip (a test skipped on one platform but run on another).
_RANK = {"skipped": 0, "xfailed": 1, "xpassed": 2, "passed": 3, "failed": 4, "error": 5}


def _canon(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class TestRecord:
    """What one test declared (marker ids), recorded (evidence) and how it ended."""

    __test__ = False  # not a pytest test class, despite the name

    nodeid: str
    outcome: str
    declared: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    duration: float = 0.0
    subject: str = ""  # "" when the test names no subject

    def __post_init__(self) -> None:
        problem = subject_problem(self.subject)
        if problem:
            raise InvalidArgument(f"test {self.nodeid!r}: {problem}")
        if self.outcome not in _RANK:
            raise InvalidArgument(
                f"test {self.nodeid!r}: outcome must be one of {', '.join(OUTCOMES)}, "
                f"got {self.outcome!r}"
            )
        object.__setattr__(self, "declared", tuple(sorted(set(self.declared))))
        if len(self.evidence) > 1:  # a canonical order makes merging commutative
            object.__setattr__(
                self, "evidence", tuple(sorted(self.evidence, key=lambda e: _canon(e.to_json())))
            )
        else:
            object.__setattr__(self, "evidence", tuple(self.evidence))

    def merge(self, other: TestRecord) -> TestRecord:
        """Combine two records of the same test (from two shards or reruns)."""
        if other.nodeid != self.nodeid:
            raise InvalidArgument(f"cannot merge {self.nodeid!r} with {other.nodeid!r}")
        outcome = max(self.outcome, other.outcome, key=_RANK.__getitem__)
        return TestRecord(
            nodeid=self.nodeid,
            outcome=outcome,
            declared=self.declared + other.declared,
            evidence=self.evidence + other.evidence,
            duration=max(self.duration, other.duration),
            # Any fixed rule keeps the merge commutative; a named subject beats none.
            subject=max(self.subject, other.subject),
        )

    def to_json(self) -> dict[str, object]:
        """Plain JSON data (the report's ``tests[]`` items)."""
        return {
            "nodeid": self.nodeid,
            "outcome": self.outcome,
            "subject": self.subject,
            "declared": list(self.declared),
            "evidence": [e.to_json() for e in self.evidence],
            "duration": round(self.duration, 6),
        }

    @classmethod
    def from_json(cls, data: object) -> TestRecord:
        """Rebuild from :meth:`to_json` output (raises ``InvalidArgument``)."""
        if not isinstance(data, dict):
            raise InvalidArgument("each test must be a JSON object")
        try:
            return cls(
                nodeid=str(data["nodeid"]),
                outcome=str(data["outcome"]),
                declared=tuple(str(d) for d in data.get("declared", ())),
                evidence=tuple(Evidence.from_json(e) for e in data.get("evidence", ())),
                duration=float(data.get("duration", 0.0)),
                subject=data.get("subject", ""),
            )
        except KeyError as exc:
            raise InvalidArgument(f"a test is missing the {exc.args[0]!r} field") from None


@dataclass(frozen=True)
class RunInfo:
    """Where one run (one shard, or one plain/xdist session) came from."""

    seed: int | None
    python: str = ""
    pytest: str = ""
    pytest_prodreal: str = ""
    platform: str = ""
    workers: int = 0  # pytest-xdist workers; 0 for a run without xdist

    def to_json(self) -> dict[str, object]:
        """Plain JSON data (the report's ``runs[]`` items)."""
        return {
            "seed": self.seed,
            "python": self.python,
            "pytest": self.pytest,
            "pytest_prodreal": self.pytest_prodreal,
            "platform": self.platform,
            "workers": self.workers,
        }

    @classmethod
    def from_json(cls, data: object) -> RunInfo:
        """Rebuild from :meth:`to_json` output (raises ``InvalidArgument``)."""
        if not isinstance(data, dict):
            raise InvalidArgument("each run must be a JSON object")
        seed = data.get("seed")
        return cls(
            seed=None if seed is None else int(seed),
            python=str(data.get("python", "")),
            pytest=str(data.get("pytest", "")),
            pytest_prodreal=str(data.get("pytest_prodreal", "")),
            platform=str(data.get("platform", "")),
            workers=int(data.get("workers", 0) or 0),
        )
