"""Canary comparison: a baseline and a candidate on the same inputs, disagreement held to a limit.

Use it before swapping a model, a prompt, a library or an implementation: replay recorded inputs
(see :mod:`~pytest_prodreal.inputs.shadow_traffic`) through both and hold the disagreement rate to
what you can accept.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .._kit import conclude
from ..errors import InvalidArgument

__all__ = ["CanaryResult", "Disagreement", "assert_canary", "check_canary"]


@dataclass(frozen=True)
class Disagreement:
    """One input on which the baseline and the candidate disagreed."""

    input: Any
    baseline: Any
    candidate: Any

    def describe(self) -> str:
        """One readable line."""
        return (
            f"{self.input!r:.120}: baseline {self.baseline!r:.120}, "
            f"candidate {self.candidate!r:.120}"
        )


@dataclass(frozen=True)
class CanaryResult:
    """What the canary comparison saw."""

    total: int
    disagreements: int
    max_rate: float
    examples: tuple[Disagreement, ...]
    baseline_errors: int = 0
    candidate_errors: int = 0

    @property
    def rate(self) -> float:
        """Disagreements per input (0.0 when nothing ran)."""
        return self.disagreements / self.total if self.total else 0.0

    @property
    def held(self) -> bool:
        """Whether the disagreement rate stayed within ``max_rate``."""
        return self.total > 0 and self.rate <= self.max_rate

    def explain(self) -> str:
        """A readable, multi-line account (used as the ``AssertionError`` message)."""
        if not self.total:
            return "canary: no inputs were compared (pass at least one input)"
        head = (
            f"canary: baseline and candidate disagreed on {self.disagreements} of {self.total} "
            f"inputs ({self.rate:.1%}); the limit is {self.max_rate:.1%} "
            f"(errors: baseline {self.baseline_errors}, candidate {self.candidate_errors})"
        )
        return "\n".join([head, *(f"  - {d.describe()}" for d in self.examples)])


def _outcome(fn: Callable[[Any], Any], value: Any) -> tuple[bool, Any]:
    try:
        return True, fn(value)
    except Exception as exc:  # an error is a finding: shown, never counted as agreement
        return False, exc


_ON_ERROR = ("disagree", "raise")


def check_canary(
    baseline: Callable[[Any], Any],
    candidate: Callable[[Any], Any],
    inputs: Iterable[Any],
    *,
    equivalent: Callable[[Any, Any], bool] = operator.eq,
    max_rate: float = 0.0,
    max_examples: int = 5,
    on_error: str = "disagree",
) -> CanaryResult:
    """Run ``baseline`` and ``candidate`` on every input and hold their disagreement rate.

    Answers are compared with ``equivalent``. An exception on either side is never agreement
    (two replicas that both crash do not agree, they both fail): with ``on_error="disagree"``
    (the default) it counts as a disagreement, shown with the exception; with
    ``on_error="raise"`` the first exception propagates at once. Records ``canary`` evidence
    (inputs, disagreements, rate, errors). Holds when the rate is at most ``max_rate``;
    otherwise raises ``AssertionError`` listing the rate and the first ``max_examples``
    disagreements.
    """
    __tracebackhide__ = True
    for name, fn in (("baseline", baseline), ("candidate", candidate), ("equivalent", equivalent)):
        if not callable(fn):
            raise InvalidArgument(f"check_canary: {name} must be callable, got {fn!r}")
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise InvalidArgument(f"check_canary: inputs must be an iterable, got {inputs!r:.60}")
    if not isinstance(max_rate, (int, float)) or not 0 <= max_rate <= 1:
        raise InvalidArgument(f"check_canary: max_rate must be between 0 and 1, got {max_rate!r}")
    if not isinstance(max_examples, int) or max_examples < 0:
        raise InvalidArgument(
            f"check_canary: max_examples must be an int >= 0, got {max_examples!r}"
        )
    if on_error not in _ON_ERROR:
        raise InvalidArgument(
            f"check_canary: on_error={on_error!r} must be 'disagree' (count an exception as a "
            "disagreement) or 'raise' (let it propagate)"
        )
    total = disagreements = base_err = cand_err = 0
    examples: list[Disagreement] = []
    for item in inputs:
        value = getattr(item, "value", item)  # TrafficRecord -> its value
        total += 1
        b_ok, b = _outcome(baseline, value)
        c_ok, c = _outcome(candidate, value)
        base_err += not b_ok
        cand_err += not c_ok
        if on_error == "raise":
            for ok, err in ((b_ok, b), (c_ok, c)):
                if not ok:
                    raise err
        same = b_ok and c_ok and bool(equivalent(b, c))
        if same:
            continue
        disagreements += 1
        if len(examples) < max_examples:
            shown_b = b if b_ok else f"<raised {type(b).__name__}: {b}>"
            shown_c = c if c_ok else f"<raised {type(c).__name__}: {c}>"
            examples.append(Disagreement(value, shown_b, shown_c))
    result = CanaryResult(total, disagreements, max_rate, tuple(examples), base_err, cand_err)
    conclude(
        "canary",
        "canary",
        held=result.held or total == 0,
        exercised=total,
        what="input(s) compared",
        summary=result.explain().splitlines()[0].removeprefix("canary: "),
        explanation=result.explain().removeprefix("canary: "),
        nothing_hint="pass at least one input",
        figures={
            "inputs": total,
            "disagreements": disagreements,
            "rate": round(result.rate, 6),
            "max_rate": max_rate,
            "baseline_errors": base_err,
            "candidate_errors": cand_err,
        },
    )
    return result


def assert_canary(*args: Any, **kwargs: Any) -> CanaryResult:
    """Deprecated old name of :func:`check_canary` (removed in the next release)."""
    __tracebackhide__ = True
    warnings.warn(
        "assert_canary is deprecated; use check_canary (same arguments)",
        DeprecationWarning,
        stacklevel=2,
    )
    return check_canary(*args, **kwargs)
