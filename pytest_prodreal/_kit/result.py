"""The base of every check result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..evidence import FigureValue

__all__ = ["CheckResult"]


@dataclass(frozen=True)
class CheckResult:
    """What every check returns: whether it held, whether it counted, and its figures.

    ``held``: the check's condition was met. ``counted``: evidence was recorded for it (a check
    that exercised nothing holds vacuously but does not count). ``summary``: one line for the
    report. ``figures``: the JSON scalars recorded as evidence. ``explanation``: what went wrong
    and what to fix (empty when it held). Subclasses add their own fields (with defaults).
    """

    held: bool
    counted: bool
    summary: str
    figures: Mapping[str, FigureValue] = field(default_factory=dict)
    explanation: str = ""

    def explain(self) -> str:
        """A readable account: the summary, then what failed and the fix when it did not hold."""
        if self.held:
            return self.summary
        return f"{self.summary}\n{self.explanation}" if self.explanation else self.summary

    def __bool__(self) -> bool:
        return self.held
