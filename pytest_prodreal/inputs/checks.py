"""Invariance and directional checks, in the spirit of behavioural testing (CheckList).

``check_invariant`` holds ``fn``'s answer to the same (by your ``equivalent``) under
perturbations of each input; ``check_directional`` holds it to move the way you ``expect``
under a transformation. Both tolerate a failure rate (``max_rate``), report the rate and the
minimal failing examples (perturbation plans are reduced to the fewest steps that still fail),
and record evidence (for ``shadow_traffic`` by default: perturbed real inputs replayed).
"""

from __future__ import annotations

import operator
import random
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .._kit import CheckResult, conclude
from ..errors import InvalidArgument
from ..evidence import FigureValue
from .perturbations import KindsArg, Perturber, Step

__all__ = [
    "BehaviourResult",
    "Counterexample",
    "assert_directional",
    "assert_invariant",
    "check_directional",
    "check_invariant",
]


@dataclass(frozen=True)
class Counterexample:
    """One input whose perturbed form broke the expectation, reduced to the fewest steps."""

    input: str
    perturbed: str
    before: Any
    after: Any
    steps: tuple[str, ...] = ()

    def describe(self) -> str:
        """One readable line."""
        how = f" via {', '.join(self.steps)}" if self.steps else ""
        return (
            f"{self.input!r} -> {self.perturbed!r}{how}: "
            f"answer {self.before!r} became {self.after!r}"
        )


@dataclass(frozen=True)
class BehaviourResult(CheckResult):
    """What an invariance or directional check saw (a :class:`~pytest_prodreal._kit.CheckResult`).

    ``check`` is ``"invariant"`` or ``"directional"``; ``held`` is false when nothing was
    checked, and ``counted`` says whether evidence was recorded.
    """

    check: str = ""
    total: int = 0
    failures: int = 0
    max_rate: float = 0.0
    examples: tuple[Counterexample, ...] = ()

    @property
    def rate(self) -> float:
        """Failures per perturbed input (0.0 when nothing ran)."""
        return self.failures / self.total if self.total else 0.0

    def explain(self) -> str:
        """A readable, multi-line account (used as the ``AssertionError`` message)."""
        return _account(self.check, self.total, self.failures, self.max_rate, self.examples)


def _account(
    check: str, total: int, failures: int, max_rate: float, examples: tuple[Counterexample, ...]
) -> str:
    if not total:
        return f"{check}: no inputs were checked (pass at least one input)"
    head = (
        f"{check}: {failures} of {total} perturbed inputs "
        f"({failures / total:.1%}) broke the expectation; the limit is {max_rate:.1%}"
    )
    lines = [head, *(f"  - {e.describe()}" for e in examples)]
    if failures / total > max_rate:
        lines.append(_FIX[check] if check in _FIX else _FIX["invariant"])
    return "\n".join(lines)


# The last line of a failing account: what to do about it.
_FIX = {
    "invariant": (
        "Make the service give the same answer for such inputs (normalise case, whitespace, "
        "unicode and typos before matching or caching), or raise max_rate= if some drift is "
        "acceptable."
    ),
    "directional": (
        "Make the service respond to this change as expected (the examples show the inputs "
        "whose answers moved the wrong way), or raise max_rate= if some are acceptable."
    ),
}


class _Outcome:
    __slots__ = ("error", "value")

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value, self.error = value, error

    def shown(self) -> Any:
        return f"<raised {type(self.error).__name__}: {self.error}>" if self.error else self.value


def _call(fn: Callable[[str], Any], text: str) -> _Outcome:
    try:
        return _Outcome(fn(text))
    except Exception as exc:  # a crash on messy input is a finding, not a test error
        return _Outcome(error=exc)


def _check_common(
    func: str, inputs: object, max_rate: object, n: object, max_examples: object
) -> list[str]:
    if isinstance(inputs, str) or not isinstance(inputs, Iterable):
        raise InvalidArgument(f"{func}: inputs must be an iterable of str, got {inputs!r:.60}")
    items: list[Any] = [getattr(x, "value", x) for x in inputs]  # TrafficRecord -> its value
    bad = [x for x in items if not isinstance(x, str)]
    if bad:
        raise InvalidArgument(f"{func}: inputs must be str, got {bad[0]!r:.60}")
    if not isinstance(max_rate, (int, float)) or not 0 <= max_rate < 1:
        # 1.0 tolerates every input failing: a check that can never fail verifies nothing.
        raise InvalidArgument(
            f"{func}: max_rate must be at least 0 and below 1 (1 tolerates every input "
            f"failing), got {max_rate!r}"
        )
    for name, value in (("n", n), ("max_examples", max_examples)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidArgument(f"{func}: {name} must be an int >= 1, got {value!r}")
    return items


def _minimise(
    perturber: Perturber, text: str, plan: list[Step], fails: Callable[[str], bool]
) -> list[Step]:
    """Drop steps one at a time while the plan still fails (a 1-minimal plan)."""
    changed = True
    while changed and len(plan) > 1:
        changed = False
        for i in range(len(plan)):
            smaller = plan[:i] + plan[i + 1 :]
            if fails(perturber.apply(text, smaller)):
                plan, changed = smaller, True
                break
    return plan


def _run(
    func: str,
    fn: Callable[[str], Any],
    inputs: Iterable[Any],
    ok: Callable[[_Outcome, _Outcome], bool],
    *,
    perturb: KindsArg | Callable[[str], str],
    n: int,
    max_perturbations: int,
    max_rate: float,
    seed: int,
    max_examples: int,
    remedy: str,
) -> BehaviourResult:
    __tracebackhide__ = True
    items = _check_common(func, inputs, max_rate, n, max_examples)
    if not callable(fn):
        raise InvalidArgument(f"{func}: fn must be callable, got {fn!r}")
    if not isinstance(max_perturbations, int) or max_perturbations < 1:
        raise InvalidArgument(
            f"{func}: max_perturbations must be an int >= 1, got {max_perturbations!r}"
        )
    transform: Callable[[str], str] | None = None
    perturber: Perturber | None = None
    if callable(perturb):
        transform = perturb
    else:
        perturber = Perturber(perturb, func=func)
    rng = random.Random(seed)
    total = failures = 0
    examples: list[Counterexample] = []
    for text in items:
        before = fn(text)  # a crash on the clean input is the caller's bug: let it raise
        clean = _Outcome(before)
        for _ in range(1 if transform else n):
            plan: list[Step] = []
            if transform is not None:
                variant = transform(text)
            else:
                assert perturber is not None
                plan = perturber.random_plan(rng, rng.randint(1, max_perturbations))
                variant = perturber.apply(text, plan)
            total += 1
            after = _call(fn, variant)
            if ok(clean, after):
                continue
            failures += 1
            if len(examples) < max_examples:
                if perturber is not None:

                    def fails(candidate: str, clean: _Outcome = clean) -> bool:
                        return not ok(clean, _call(fn, candidate))

                    plan = _minimise(perturber, text, plan, fails)
                    variant = perturber.apply(text, plan)
                    after = _call(fn, variant)
                steps = tuple(perturber.describe(plan)) if perturber else ()
                examples.append(Counterexample(text, variant, before, after.shown(), steps))
    check = func.removeprefix("check_")
    account = _account(check, total, failures, max_rate, tuple(examples))
    rate = failures / total if total else 0.0
    held = total > 0 and rate <= max_rate
    prefix = f"{check}: "
    summary = account.splitlines()[0].removeprefix(prefix)
    figures: dict[str, FigureValue] = {
        "inputs": len(items),
        "perturbed": total,
        "failures": failures,
        "rate": round(rate, 6),
        "max_rate": max_rate,
    }
    counted = conclude(
        remedy,
        check,
        held=held or total == 0,  # nothing checked: a warning and no evidence, not a failure
        exercised=total,
        what="perturbed input(s) checked",
        summary=summary,
        explanation=account.removeprefix(prefix),
        nothing_hint="pass at least one input",
        stacklevel=4,
        figures=figures,
    )
    return BehaviourResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        explanation="" if held else account.removeprefix(prefix),
        check=check,
        total=total,
        failures=failures,
        max_rate=max_rate,
        examples=tuple(examples),
    )


def check_invariant(
    fn: Callable[[str], Any],
    inputs: Iterable[Any],
    *,
    perturb: KindsArg | Callable[[str], str] = None,
    equivalent: Callable[[Any, Any], bool] = operator.eq,
    n: int = 10,
    max_perturbations: int = 2,
    max_rate: float = 0.0,
    seed: int = 0,
    max_examples: int = 5,
    remedy: str = "shadow_traffic",
) -> BehaviourResult:
    """Check that ``fn``'s answer does not change when its input is perturbed.

    For each input, draws ``n`` seeded perturbation plans of up to ``max_perturbations`` steps
    (``perturb`` names kinds or groups as in ``messy_text``, or is a ``str -> str`` function
    applied once), and compares ``fn(perturbed)`` with ``fn(clean)`` using ``equivalent``. An
    exception on a perturbed input counts as a change. Holds when at most ``max_rate`` of the
    perturbed inputs changed the answer; otherwise records failing evidence and raises
    ``AssertionError`` listing the rate and up to ``max_examples`` minimal examples.

    Pass the test's ``prodreal_seed`` as ``seed`` to vary inputs reproducibly between runs.
    """
    __tracebackhide__ = True

    def ok(clean: _Outcome, after: _Outcome) -> bool:
        return after.error is None and bool(equivalent(clean.value, after.value))

    return _run(
        "check_invariant",
        fn,
        inputs,
        ok,
        perturb=perturb,
        n=n,
        max_perturbations=max_perturbations,
        max_rate=max_rate,
        seed=seed,
        max_examples=max_examples,
        remedy=remedy,
    )


def check_directional(
    fn: Callable[[str], Any],
    inputs: Iterable[Any],
    *,
    transform: KindsArg | Callable[[str], str],
    expect: Callable[[Any, Any], bool],
    n: int = 10,
    max_perturbations: int = 1,
    max_rate: float = 0.0,
    seed: int = 0,
    max_examples: int = 5,
    remedy: str = "shadow_traffic",
) -> BehaviourResult:
    """Check that ``fn``'s answer moves the expected way under a transformation.

    ``transform`` is a ``str -> str`` function (for example adding a negation or an urgent
    word) or perturbation kinds as in ``assert_invariant``; ``expect(before, after)`` says
    whether the move is right (for example ``lambda a, b: b >= a``). An exception counts as a
    wrong move. Holds when at most ``max_rate`` of the inputs moved the wrong way.
    """
    __tracebackhide__ = True
    if not callable(expect):
        raise InvalidArgument(f"check_directional: expect must be callable, got {expect!r}")

    def ok(clean: _Outcome, after: _Outcome) -> bool:
        return after.error is None and bool(expect(clean.value, after.value))

    return _run(
        "check_directional",
        fn,
        inputs,
        ok,
        perturb=transform,
        n=n,
        max_perturbations=max_perturbations,
        max_rate=max_rate,
        seed=seed,
        max_examples=max_examples,
        remedy=remedy,
    )


def assert_invariant(*args: Any, **kwargs: Any) -> BehaviourResult:
    """Deprecated old name of :func:`check_invariant` (removed in the next release)."""
    __tracebackhide__ = True
    warnings.warn(
        "assert_invariant is deprecated; use check_invariant (same arguments)",
        DeprecationWarning,
        stacklevel=2,
    )
    return check_invariant(*args, **kwargs)


def assert_directional(*args: Any, **kwargs: Any) -> BehaviourResult:
    """Deprecated old name of :func:`check_directional` (removed in the next release)."""
    __tracebackhide__ = True
    warnings.warn(
        "assert_directional is deprecated; use check_directional (same arguments)",
        DeprecationWarning,
        stacklevel=2,
    )
    return check_directional(*args, **kwargs)
