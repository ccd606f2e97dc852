"""How a check ends: evidence, an ``AssertionError``, or a warning that nothing was exercised.

Every built-in check calls :func:`conclude` exactly once, so the rules live in one place:

1. A check that did not hold records *failing* evidence and raises ``AssertionError`` whose
   message leads with the figure and ends with the fix.
2. A check that held but exercised nothing (no fault fired, no input reached the code, no runs
   overlapped...) records nothing and warns: evidence that counts zero of what it is about
   never verifies.
3. Otherwise it records holding evidence (inside a test; in a script, nothing is recorded).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

from ..errors import ProdrealWarning
from ..evidence import FigureValue, in_test, record_evidence

__all__ = ["conclude", "in_test", "record_if_in_test"]


def record_if_in_test(
    remedy: str,
    *,
    held: bool,
    figures: Mapping[str, FigureValue] | None = None,
    summary: str = "",
    check: str = "",
) -> bool:
    """Record evidence when a test (or ``collecting_evidence()``) is running; else do nothing.

    Returns whether it was recorded.
    """
    if not in_test():
        return False
    record_evidence(remedy, held=held, figures=figures, summary=summary, check=check)
    return True


def conclude(
    remedy: str,
    check: str,
    *,
    held: bool,
    exercised: int,
    what: str,
    summary: str,
    figures: Mapping[str, FigureValue],
    explanation: str = "",
    nothing_hint: str = "",
    stacklevel: int = 3,
) -> bool:
    """End a check: record evidence, raise when it did not hold, warn when nothing was exercised.

    ``exercised`` counts what the check is about (faults fired, inputs judged, runs overlapped);
    ``what`` names it in the warning ("fault(s) fired"). ``explanation`` is the failure message
    (lead with the figure, end with the fix); ``nothing_hint`` says how to exercise the check.
    Returns whether evidence counted (``False`` when nothing was exercised or outside a test).
    Raises ``AssertionError("<check>: <explanation>")`` when ``held`` is false.
    """
    __tracebackhide__ = True
    figures = dict(figures)
    if not held:
        # The failing evidence carries the explanation (figure and fix), so the report says what
        # to fix even when the test's own output is not at hand (CI summaries, combined shards).
        record_if_in_test(
            remedy, held=False, figures=figures, summary=explanation or summary, check=check
        )
        raise AssertionError(f"{check}: {explanation or summary}")
    if exercised <= 0:
        hint = f": {nothing_hint}" if nothing_hint else ""
        warnings.warn(
            f"{check}: 0 {what} during the check, so it proves nothing and records no "
            f"{remedy!r} evidence{hint}",
            ProdrealWarning,
            stacklevel=stacklevel,
        )
        return False
    return record_if_in_test(remedy, held=True, figures=figures, summary=summary, check=check)
