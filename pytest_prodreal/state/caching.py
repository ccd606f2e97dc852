"""``caching_policy``: a cache in front of a dependency keeps its promises.

The check builds the dependency itself — a :class:`FakeDependency` that gives every call a new,
recognisable answer, counts calls, can fail once and can hold calls open — and hands it to your
``make_cached(dependency)``, which returns the cached function under test (your cache decorator
around it, or your service wired to it). A fresh cache and dependency per part:

- ``no_pollution``: inputs that must differ (other users, tenants, prompts) never share an answer,
  and the cache serves hits at all;
- ``ttl``: an entry is served until just before ``ttl`` and refetched just after, on a virtual
  clock (``pytest_prodreal.clock``; any ``advance(seconds)`` callable works);
- ``failures_not_cached``: the dependency fails once then recovers; the next call reaches it and
  gets the healthy answer, not the cached error or fallback;
- ``no_stampede``: ``stampede`` concurrent misses for one key reach the dependency at most
  ``max_dependency_calls`` times.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from .._kit import CheckResult, conclude
from ..errors import InvalidArgument
from ._drive import Run, Steps, adrive, drive
from ._outcomes import Outcome, _short

__all__ = [
    "CachingPolicyResult",
    "DependencyFailed",
    "FakeDependency",
    "acheck_caching_policy",
    "check_caching_policy",
]


class DependencyFailed(ConnectionError):
    """The fake dependency's injected failure (a connection error, as a real outage raises)."""


def _default_answer(call_no: int, *args: Any, **kwargs: Any) -> object:
    shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    return f"answer #{call_no} to ({shown})"


class FakeDependency:
    """A dependency for cache tests: a new answer per call, counted, failing or slow on demand.

    Call it (sync) or await :meth:`acall` (async) with any arguments. Each call gets a new answer
    from ``answer(call_no, *args, **kwargs)`` (default: ``"answer #N to (args)"``), so a value
    served twice proves it came from a cache. :meth:`fail_next` makes the next calls raise;
    :meth:`hold` keeps calls open for a while of wall time, so concurrent misses overlap.
    ``latency`` (seconds) makes each call sleep that long with ``time.sleep``: on the virtual
    clock that is a switch point where the other concurrent runs proceed (it widens the race
    window at no wall cost).
    """

    def __init__(
        self, answer: Callable[..., object] | None = None, *, latency: float = 0.0
    ) -> None:
        from .._kit.validate import non_negative_number

        self.latency = non_negative_number("FakeDependency", "latency", latency, unit="seconds")
        self.answer = answer or _default_answer
        self._lock = threading.Lock()
        self._failures: list[BaseException] = []
        self._hold_s = 0.0
        #: Calls that reached the dependency, in order, as ``(args, kwargs)``.
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        #: The largest number of calls in progress at once.
        self.max_in_flight = 0
        self._in_flight = 0

    @property
    def call_count(self) -> int:
        """How many calls reached the dependency."""
        with self._lock:
            return len(self.calls)

    def fail_next(self, times: int = 1, error: BaseException | None = None) -> None:
        """Make the next ``times`` calls raise ``error`` (default :class:`DependencyFailed`)."""
        with self._lock:
            for _ in range(times):
                self._failures.append(error or DependencyFailed("the dependency is down"))

    def hold(self, seconds: float) -> None:
        """Keep each call open for ``seconds`` of wall time (0 to stop)."""
        self._hold_s = float(seconds)

    def _enter(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, float]:
        with self._lock:
            self.calls.append((args, kwargs))
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return len(self.calls), self._hold_s

    def _exit(self, call_no: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
        with self._lock:
            self._in_flight -= 1
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            raise failure
        return self.answer(call_no, *args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> object:
        """Answer a call (sync)."""
        call_no, hold = self._enter(args, kwargs)
        if self.latency > 0:
            time.sleep(self.latency)  # virtual on the clock: the scheduler switches runs here
        if hold > 0:
            if _scheduled():
                _pause(hold)  # concurrent runs on the virtual clock overlap here, at no wall cost
            else:
                # A real wait, on purpose: a virtual clock's sleep would return at once and the
                # concurrent misses would never overlap.
                threading.Event().wait(hold)
        return self._exit(call_no, args, kwargs)

    async def acall(self, *args: Any, **kwargs: Any) -> object:
        """Answer a call (async)."""
        call_no, hold = self._enter(args, kwargs)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if hold > 0:
            await asyncio.get_running_loop().run_in_executor(None, threading.Event().wait, hold)
        return self._exit(call_no, args, kwargs)


def _scheduled() -> bool:
    """Whether the calling thread is a concurrent run under the virtual clock's scheduler."""
    from ..clock import current_clock

    clock = current_clock()
    scheduler = clock._scheduler if clock is not None else None
    return scheduler is not None and scheduler.is_participant()


def _pause(seconds: float) -> None:
    """The clock's yield point (imported late: the clock package loads freezegun)."""
    from ..clock import pause as clock_pause

    clock_pause(seconds)


@dataclass(frozen=True)
class CachingPart:
    """One part of the policy: whether it held, its figures, and what went wrong."""

    name: str
    dependency_calls: int
    problems: tuple[str, ...]
    skipped: str = ""


def _part_lines(parts: tuple[CachingPart, ...]) -> str:
    lines = []
    for p in parts:
        if p.skipped:
            lines.append(f"{p.name}: not checked ({p.skipped})")
        else:
            state = "held" if not p.problems else "FAILED: " + "; ".join(p.problems)
            lines.append(f"{p.name}: {p.dependency_calls} dependency calls, {state}")
    return "\n".join(lines)


@dataclass(frozen=True)
class CachingPolicyResult(CheckResult):
    """What :func:`check_caching_policy` found, per part.

    ``held``: every part that ran held; :meth:`explain` has one line per part.
    """

    parts: tuple[CachingPart, ...] = ()

    def explain(self) -> str:
        """The summary, then one line per part."""
        return f"{self.summary}\n{_part_lines(self.parts)}"

    def describe(self) -> str:
        """One line per part (the lines :meth:`explain` ends with)."""
        return _part_lines(self.parts)


def _norm(value: object, normalize: Callable[[object], object] | None) -> object:
    if normalize is None:
        return value
    try:
        return normalize(value)
    except Exception as exc:
        raise InvalidArgument(
            f"normalize raised {type(exc).__name__}: {exc} on {_short(value, 80)}; fix the "
            "normaliser so it accepts every value the cached function returns"
        ) from exc


def _what(outcome: Outcome) -> str:
    return outcome.describe()


def _steps(
    make_cached: Callable[[FakeDependency], Callable[[Any], Any]],
    keys: Sequence[Hashable],
    ttl: float | None,
    advance: Callable[[float], object] | None,
    ttl_tolerance: float,
    stampede: int,
    max_dependency_calls: int,
    hold: float,
    answer: Callable[..., object] | None,
    normalize: Callable[[object], object] | None,
) -> Steps[tuple[CachingPart, ...]]:
    parts: list[CachingPart] = []

    def fresh() -> tuple[FakeDependency, Callable[[Any], Any]]:
        dependency = FakeDependency(answer)
        cached = make_cached(dependency)
        if not callable(cached):
            raise InvalidArgument(
                f"make_cached must return the cached function (a callable), got {cached!r}"
            )
        return dependency, cached

    # -- no_pollution: each key asked twice, in two orders
    dep, cached = fresh()
    seen: dict[int, list[Outcome]] = {i: [] for i in range(len(keys))}
    for order in (range(len(keys)), reversed(range(len(keys)))):
        for i in order:
            out = yield Run(functools.partial(cached, keys[i]), label="caching no_pollution")
            seen[i].append(out[0])
    problems: list[str] = []
    for i, outcomes in seen.items():
        for o in outcomes:
            if not o.ok:
                problems.append(f"key {_short(keys[i], 60)}: {_what(o)}")
    if not problems:
        owners: list[tuple[object, int]] = []
        shared: set[tuple[int, int]] = set()
        for i, outcomes in seen.items():
            for o in outcomes:
                value = _norm(o.value, normalize)
                for other_value, j in owners:
                    if j != i and other_value == value and (j, i) not in shared:
                        shared.add((j, i))
                        problems.append(
                            f"keys {_short(keys[j], 60)} and {_short(keys[i], 60)} share the "
                            f"answer {_short(o.value, 80)} (cross-key pollution: the cache key "
                            "misses something that tells them apart)"
                        )
                owners.append((value, i))
        if not problems and dep.call_count >= 2 * len(keys):
            problems.append(
                f"the cache never served a hit: all {2 * len(keys)} lookups reached the "
                "dependency (does make_cached put the cache in front of the dependency it gets?)"
            )
    parts.append(CachingPart("no_pollution", dep.call_count, tuple(problems)))

    # -- ttl: a hit just before ttl, a miss just after, on the virtual clock
    if ttl is None or advance is None:
        reason = "no ttl= given" if ttl is None else "no clock= given to advance"
        parts.append(CachingPart("ttl", 0, (), skipped=reason))
    else:
        dep, cached = fresh()
        key = keys[0]
        problems = []
        first = (yield Run(lambda: cached(key), label="caching ttl"))[0]
        advance(ttl - ttl_tolerance)
        before = (yield Run(lambda: cached(key), label="caching ttl"))[0]
        calls_before = dep.call_count
        advance(2 * ttl_tolerance)
        after = (yield Run(lambda: cached(key), label="caching ttl"))[0]
        for o in (first, before, after):
            if not o.ok:
                problems.append(f"a lookup {_what(o)}")
        if not problems:
            if calls_before != 1 or _norm(before.value, normalize) != _norm(first.value, normalize):
                problems.append(
                    f"the entry expired early: {ttl - ttl_tolerance:g}s after it was cached "
                    f"(ttl {ttl:g}s) the lookup reached the dependency again"
                )
            if dep.call_count == calls_before or _norm(after.value, normalize) == _norm(
                first.value, normalize
            ):
                problems.append(
                    f"the entry did not expire: {ttl + ttl_tolerance:g}s after it was cached "
                    f"(ttl {ttl:g}s) it was still served ({_short(after.value, 80)})"
                )
        parts.append(CachingPart("ttl", dep.call_count, tuple(problems)))

    # -- failures_not_cached: fail once, recover, the next call must get the healthy answer
    dep, cached = fresh()
    key = keys[0]
    dep.fail_next(1)
    failed = (yield Run(lambda: cached(key), label="caching failures"))[0]
    # A caller that retried inside that first call already reached the recovered dependency:
    # what it cached is a healthy answer, and serving it again is right.
    retried_to_health = failed.ok and dep.call_count >= 2
    recovered = (yield Run(lambda: cached(key), label="caching failures"))[0]
    problems = []
    if retried_to_health:
        pass
    elif dep.call_count < 2:
        served = f"the fallback {_short(failed.value, 80)}" if failed.ok else "the failure again"
        problems.append(
            "after the dependency failed once and recovered, the next call did not reach it and "
            f"was served {served}: failures and fallbacks must not be cached"
        )
    elif not recovered.ok:
        problems.append(f"after the dependency recovered, the next call {_what(recovered)}")
    elif failed.ok and _norm(recovered.value, normalize) == _norm(failed.value, normalize):
        problems.append(
            f"after the dependency recovered, the next call was served the fallback "
            f"{_short(failed.value, 80)} again"
        )
    parts.append(CachingPart("failures_not_cached", dep.call_count, tuple(problems)))

    # -- no_stampede: concurrent misses for one key
    dep, cached = fresh()
    dep.hold(hold)
    crowd = yield Run(
        lambda: cached(key), times=stampede, concurrent=True, label="caching no_stampede"
    )
    problems = []
    if dep.call_count > max_dependency_calls:
        problems.append(
            f"{stampede} concurrent misses for one key reached the dependency {dep.call_count} "
            f"times (limit {max_dependency_calls}): a cache stampede"
        )
    if not crowd.all_ok:
        problems.append("some concurrent lookups failed: " + crowd.describe(normalize))
    parts.append(CachingPart("no_stampede", dep.call_count, tuple(problems)))
    return tuple(parts)


def _advance_of(clock: object) -> Callable[[float], object] | None:
    if clock is None:
        return None
    advance = getattr(clock, "advance", clock)
    if not callable(advance):
        raise InvalidArgument(
            "clock must be a VirtualClock (the prodreal_clock fixture) or a callable "
            f"advance(seconds), got {clock!r}"
        )
    return advance


def _prepare(
    make_cached: object,
    keys: object,
    ttl: object,
    clock: object,
    ttl_tolerance: object,
    stampede: object,
    max_dependency_calls: object,
) -> tuple[list[Hashable], Callable[[float], object] | None, float]:
    if not callable(make_cached):
        raise InvalidArgument(
            "check_caching_policy: make_cached must be a callable that takes the dependency and "
            f"returns the cached function, got {make_cached!r}"
        )
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence) or len(keys) < 2:
        raise InvalidArgument(
            "check_caching_policy: keys must be a list of at least 2 inputs that must not share "
            f"an answer (other users, tenants, prompts), got {keys!r}"
        )
    if len(set(map(repr, keys))) != len(keys):
        raise InvalidArgument(f"check_caching_policy: keys must all differ, got {keys!r}")
    if ttl is not None and (
        isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0
    ):
        raise InvalidArgument(f"check_caching_policy: ttl must be positive seconds, got {ttl!r}")
    advance = _advance_of(clock)
    if ttl is not None and advance is None:
        raise InvalidArgument(
            "check_caching_policy: ttl needs a clock to advance: pass clock=prodreal_clock (or "
            "a VirtualClock, or any advance(seconds) callable)"
        )
    for name, value in (("stampede", stampede), ("max_dependency_calls", max_dependency_calls)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidArgument(
                f"check_caching_policy: {name} must be a positive integer, got {value!r}"
            )
    tolerance = 0.0
    if ttl is not None:
        assert isinstance(ttl, (int, float))
        if ttl_tolerance is None:
            tolerance = ttl * 0.01
        elif (
            isinstance(ttl_tolerance, bool)
            or not isinstance(ttl_tolerance, (int, float))
            or not 0 < ttl_tolerance < ttl
        ):
            raise InvalidArgument(
                f"check_caching_policy: ttl_tolerance must be between 0 and ttl, got "
                f"{ttl_tolerance!r}"
            )
        else:
            tolerance = float(ttl_tolerance)
    return list(keys), advance, tolerance


def _finish(parts: tuple[CachingPart, ...]) -> CachingPolicyResult:
    __tracebackhide__ = True
    figures: dict[str, bool | int | float | str | None] = {}
    for p in parts:
        figures[f"{p.name}_dependency_calls"] = None if p.skipped else p.dependency_calls
        figures[f"{p.name}_held"] = None if p.skipped else not p.problems
    checked = [p.name for p in parts if not p.skipped]
    held = not any(p.problems for p in parts)
    failed = [p.name for p in parts if p.problems]
    summary = f"checked {', '.join(checked)}" + (f"; failed: {', '.join(failed)}" if failed else "")
    counted = conclude(
        "caching_policy",
        "check_caching_policy",
        held=held,
        exercised=len(checked),
        what="parts of the policy checked",
        summary=summary,
        figures=figures,
        explanation="caching policy broken:\n"
        + _part_lines(parts)
        + "\nfix: key the cache on every input that changes the answer, expire entries at "
        "their TTL, never cache a failure or a fallback, and let one miss fill the entry "
        "(single-flight)",
    )
    return CachingPolicyResult(
        held=held, counted=counted, summary=summary, figures=figures, parts=parts
    )


def check_caching_policy(
    make_cached: Callable[[FakeDependency], Callable[[Any], Any]],
    *,
    keys: Sequence[Hashable],
    ttl: float | None = None,
    clock: object = None,
    ttl_tolerance: float | None = None,
    stampede: int = 8,
    max_dependency_calls: int = 1,
    hold: float = 0.05,
    answer: Callable[..., object] | None = None,
    normalize: Callable[[object], object] | None = None,
    timeout: float = 30.0,
) -> CachingPolicyResult:
    """Check a cache's policy against a :class:`FakeDependency`; record the evidence.

    ``make_cached(dependency)`` returns the cached function (called as ``cached(key)``) built
    around ``dependency`` — called fresh for each part, so parts do not share entries. ``keys``
    are at least two inputs that must never share an answer. ``ttl`` (seconds) with ``clock`` (a
    :class:`~pytest_prodreal.clock.VirtualClock`, the ``prodreal_clock`` fixture, or any
    ``advance(seconds)`` callable) checks expiry at ``ttl ± ttl_tolerance`` (default 1 % of
    ``ttl``); without ``ttl`` that part is reported as not checked. ``stampede`` concurrent misses
    may reach the dependency at most ``max_dependency_calls`` times; the dependency holds each
    call ``hold`` wall seconds so the misses overlap. ``answer(call_no, *args, **kwargs)`` shapes
    the dependency's answers (each call's must differ); results compare after ``normalize``.

    Returns a :class:`CachingPolicyResult`; raises ``AssertionError`` naming each part that failed.
    """
    __tracebackhide__ = True
    key_list, advance, tolerance = _prepare(
        make_cached, keys, ttl, clock, ttl_tolerance, stampede, max_dependency_calls
    )
    steps = _steps(
        make_cached,
        key_list,
        ttl,
        advance,
        tolerance,
        stampede,
        max_dependency_calls,
        hold,
        answer,
        normalize,
    )
    return _finish(drive(steps, timeout))


async def acheck_caching_policy(
    make_cached: Callable[[FakeDependency], Callable[[Any], Any]],
    *,
    keys: Sequence[Hashable],
    ttl: float | None = None,
    clock: object = None,
    ttl_tolerance: float | None = None,
    stampede: int = 8,
    max_dependency_calls: int = 1,
    hold: float = 0.05,
    answer: Callable[..., object] | None = None,
    normalize: Callable[[object], object] | None = None,
    timeout: float = 30.0,
) -> CachingPolicyResult:
    """:func:`check_caching_policy` for an async cache (use ``dependency.acall`` inside it).

    Runs as tasks on the running event loop, so an async lock or client bound to it keeps
    working; the stampede is ``stampede`` concurrent tasks.
    """
    __tracebackhide__ = True
    key_list, advance, tolerance = _prepare(
        make_cached, keys, ttl, clock, ttl_tolerance, stampede, max_dependency_calls
    )
    steps = _steps(
        make_cached,
        key_list,
        ttl,
        advance,
        tolerance,
        stampede,
        max_dependency_calls,
        hold,
        answer,
        normalize,
    )
    return _finish(await adrive(steps, timeout))
