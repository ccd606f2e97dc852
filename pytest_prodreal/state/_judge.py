"""Judging repeated runs for determinism, in one place.

``assert_deterministic``, ``check_determinism`` and ``prodreal_concurrent`` decide, record and
explain here.

Concurrent runs that never overlapped (each finished before the next started) prove nothing
about races: the check then records no evidence and warns (``_kit.conclude`` with
``exercised=0``), instead of passing silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._kit import CheckResult, conclude

if TYPE_CHECKING:
    from ._outcomes import Outcomes

__all__ = ["DeterminismResult", "judge"]

_NO_OVERLAP_HINT = (
    "the concurrent runs never overlapped (each finished before the next started); give the "
    "code a wait where runs can interleave (time.sleep, chaos latency, "
    "FakeDependency(latency=...) or pytest_prodreal.clock.pause()) and run it on the virtual "
    "clock, or use mode='sequential' if repetition alone is the point"
)


@dataclass(frozen=True)
class DeterminismResult(CheckResult):
    """The result of :func:`~pytest_prodreal.state.check_determinism`.

    ``value``: the common (normalised) value when the runs agreed. ``outcomes``: the runs.
    """

    value: object = None
    outcomes: Outcomes | None = None

    def describe(self) -> str:
        """Deprecated alias of :meth:`explain`."""
        import warnings

        warnings.warn(
            "DeterminismResult.describe() is deprecated; use explain()",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.explain()


def judge(
    outcomes: Outcomes,
    normalize: Callable[[object], object] | None,
    allow_errors: bool,
    check: str,
    stacklevel: int = 4,
) -> DeterminismResult:
    """Judge ``outcomes``, record evidence, raise ``AssertionError`` when they disagree."""
    __tracebackhide__ = True
    groups = outcomes.groups(normalize)
    problem = ""
    if len(groups) > 1:
        problem = "the runs disagree"
    elif outcomes.timeouts:
        problem = "the runs hung (timed out): a deadlock or a call that never returns"
    elif groups and groups[0].example.kind == "raised" and not allow_errors:
        problem = "every run raised (pass allow_errors=True if that is the expected outcome)"
    concurrent = outcomes.mode != "sequential" and outcomes.concurrency > 1
    figures: dict[str, bool | int | float | str | None] = {
        "runs": len(outcomes),
        "distinct_outcomes": len(groups),
        "majority_count": groups[0].count if groups else 0,
        "errors": len(outcomes.errors),
        "timeouts": outcomes.timeouts,
        "mode": outcomes.mode,
        "concurrency": outcomes.concurrency,
        "peak_in_flight": outcomes.peak_in_flight,
        "mean_in_flight": round(outcomes.mean_in_flight, 3),
        "wall_s": round(outcomes.wall_s, 6),
    }
    summary = outcomes.header() + (f": {problem}" if problem else ": one outcome")
    explanation = ""
    if problem:
        explanation = (
            f"not deterministic: {problem}\n{outcomes.describe(normalize)}\n"
            "fix: make the runs agree (lock or single-flight shared state; normalize= away "
            "fields that may differ, such as ids or timestamps)"
        )
    # Runs that never overlapped prove nothing about races, so a pass counts nothing; but runs
    # that disagree (or hang, or raise) failed whether or not they overlapped.
    exercised = len(outcomes) if not concurrent or outcomes.overlapped or problem else 0
    counted = conclude(
        "determinism",
        check,
        held=not problem,
        exercised=exercised,
        what="overlapping concurrent runs" if concurrent else "runs",
        summary=summary,
        figures=figures,
        explanation=explanation,
        nothing_hint=_NO_OVERLAP_HINT,
        stacklevel=stacklevel,
    )
    value: object = None
    if groups and groups[0].example.kind == "returned":
        value = groups[0].key[1]  # type: ignore[index]
    return DeterminismResult(
        held=True,
        counted=counted,
        summary=summary,
        figures=figures,
        value=value,
        outcomes=outcomes,
    )


def check_concurrent_runs(outcomes: Outcomes, check: str = "prodreal_concurrent") -> None:
    """Fail unless every concurrent run passed and all agreed (``prodreal_concurrent``'s rule).

    Runs that never overlapped record no evidence and warn (see :func:`judge`).
    """
    __tracebackhide__ = True
    failed = [o for o in outcomes if not o.ok]
    if failed:
        explanation = (
            f"{len(failed)} of {len(outcomes)} concurrent runs of the test body failed\n"
            f"{outcomes.describe()}"
        )
        first = next((o.error for o in failed if o.error is not None), None)
        try:
            conclude(
                "determinism",
                check,
                held=False,
                exercised=len(outcomes),
                what="runs",
                summary=f"{outcomes.header()}: {len(failed)} failed",
                figures={
                    "runs": len(outcomes),
                    "failed_runs": len(failed),
                    "timeouts": outcomes.timeouts,
                    "concurrency": outcomes.concurrency,
                    "peak_in_flight": outcomes.peak_in_flight,
                    "mean_in_flight": round(outcomes.mean_in_flight, 3),
                },
                explanation=explanation,
            )
        except AssertionError as exc:
            raise exc from first
    judge(outcomes, None, False, check, stacklevel=5)
