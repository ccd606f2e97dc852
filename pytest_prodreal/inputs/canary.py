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

from .._kit import CheckResult, conclude, record_if_in_test
from .._kit import validate as _v
from ..errors import InvalidArgument
from ..evidence import FigureValue

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
class CanaryResult(CheckResult):
    """What the canary comparison saw (a :class:`~pytest_prodreal._kit.CheckResult`).

    ``held`` is false when nothing was compared (a canary of nothing proves nothing) and
    ``counted`` says whether ``canary`` evidence was recorded.
    """

    total: int = 0
    disagreements: int = 0
    max_rate: float = 0.0
    examples: tuple[Disagreement, ...] = ()
    baseline_errors: int = 0
    candidate_errors: int = 0

    @property
    def rate(self) -> float:
        """Disagreements per input (0.0 when nothing ran)."""
        return self.disagreements / self.total if self.total else 0.0

    def explain(self) -> str:
        """A readable, multi-line account (used as the ``AssertionError`` message)."""
        return _account(
            self.total,
            self.disagreements,
            self.max_rate,
            self.examples,
            self.baseline_errors,
            self.candidate_errors,
        )


def _account(
    total: int,
    disagreements: int,
    max_rate: float,
    examples: tuple[Disagreement, ...],
    base_err: int,
    cand_err: int,
) -> str:
    if not total:
        return "canary: no inputs were compared (pass at least one input)"
    rate = disagreements / total
    head = (
        f"canary: baseline and candidate disagreed on {disagreements} of {total} "
        f"inputs ({rate:.1%}); the limit is {max_rate:.1%} "
        f"(errors: baseline {base_err}, candidate {cand_err})"
    )
    lines = [head, *(f"  - {d.describe()}" for d in examples)]
    if rate > max_rate:
        lines.append(
            "Make the candidate answer these inputs as the baseline does (or fix its errors) "
            "before rolling it out, or raise max_rate= if the difference is intended."
        )
    return "\n".join(lines)


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
    ``on_error="raise"`` the first exception propagates at once (failing ``canary`` evidence is
    recorded, and on Python 3.11+ a note on the exception names the replica and the input), so
    the test errors on it. Returns a :class:`CanaryResult`. Records ``canary`` evidence
    (inputs, disagreements, rate, errors). Holds when the rate is at most ``max_rate``;
    otherwise raises ``AssertionError`` listing the rate and the first ``max_examples``
    disagreements.
    """
    __tracebackhide__ = True
    for name, fn in (("baseline", baseline), ("candidate", candidate), ("equivalent", equivalent)):
        _v.callable_arg("check_canary", name, fn)
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise InvalidArgument(f"check_canary: inputs must be an iterable, got {inputs!r:.60}")
    if not isinstance(max_rate, (int, float)) or not 0 <= max_rate < 1:
        # 1.0 tolerates every input disagreeing: a canary that can never fail verifies nothing.
        raise InvalidArgument(
            "check_canary: max_rate must be at least 0 and below 1 (1 tolerates every input "
            f"disagreeing), got {max_rate!r}"
        )
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
            for side, ok, err in (("baseline", b_ok, b), ("candidate", c_ok, c)):
                if not ok:
                    _raise_error(side, value, err, total)
        same = b_ok and c_ok and bool(equivalent(b, c))
        if same:
            continue
        disagreements += 1
        if len(examples) < max_examples:
            shown_b = b if b_ok else f"<raised {type(b).__name__}: {b}>"
            shown_c = c if c_ok else f"<raised {type(c).__name__}: {c}>"
            examples.append(Disagreement(value, shown_b, shown_c))
    account = _account(total, disagreements, max_rate, tuple(examples), base_err, cand_err)
    rate = disagreements / total if total else 0.0
    held = total > 0 and rate <= max_rate
    figures: dict[str, FigureValue] = {
        "inputs": total,
        "disagreements": disagreements,
        "rate": round(rate, 6),
        "max_rate": max_rate,
        "baseline_errors": base_err,
        "candidate_errors": cand_err,
    }
    summary = account.splitlines()[0].removeprefix("canary: ")
    counted = conclude(
        "canary",
        "canary",
        held=held or total == 0,  # nothing compared: a warning and no evidence, not a failure
        exercised=total,
        what="input(s) compared",
        summary=summary,
        explanation=account.removeprefix("canary: "),
        nothing_hint="pass at least one input",
        figures=figures,
    )
    return CanaryResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        explanation="" if held else account.removeprefix("canary: "),
        total=total,
        disagreements=disagreements,
        max_rate=max_rate,
        examples=tuple(examples),
        baseline_errors=base_err,
        candidate_errors=cand_err,
    )


def _raise_error(side: str, value: Any, error: BaseException, index: int) -> None:
    """``on_error="raise"``: record failing evidence, then let the replica's exception out."""
    __tracebackhide__ = True
    what = f"the {side} raised {type(error).__name__}: {error} on input {index} ({value!r:.120})"
    record_if_in_test(
        "canary",
        held=False,
        check="canary",
        summary=f"{what}; on_error='raise' stops at the first exception",
        figures={"inputs": index, f"{side}_errors": 1},
    )
    if hasattr(error, "add_note"):  # Python 3.11+: say where it came from, keep the type
        error.add_note(f"check_canary: {what} (on_error='raise')")
    raise error


def assert_canary(*args: Any, **kwargs: Any) -> CanaryResult:
    """Deprecated old name of :func:`check_canary` (removed in the next release)."""
    __tracebackhide__ = True
    warnings.warn(
        "assert_canary is deprecated; use check_canary (same arguments)",
        DeprecationWarning,
        stacklevel=2,
    )
    return check_canary(*args, **kwargs)
