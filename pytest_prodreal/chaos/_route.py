"""Routes: a target (an HTTP route or a wrapped callable) with latency, seeded faults and a log.

A route decides each call's fate from its own ``random.Random`` (seeded from the chaos seed and
the route's name, so adding a route never shifts another route's schedule) and from the virtual
time since the chaos started. Rules are checked in the order they were added; the first one that
fires wins, but every probabilistic rule draws its number on every call, so the schedule of one
rule does not depend on whether an earlier one fired.
"""

from __future__ import annotations

import functools
import inspect
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import InvalidArgument
from ..seeding import derive_seed
from ._faults import FAULTS, Latency, Outcome, fault_named
from ._latency import check_count, check_rate, check_seconds
from ._log import CallLog, CallRequest, ChaosCall, caller_id

if TYPE_CHECKING:
    from ._core import Chaos

__all__ = ["CallableRoute", "Rule", "Target"]

T = TypeVar("T", bound="Target")
#: What a rule fires: an HTTP status, a fault name (a row of the fault table) or an exception.
FaultKind = int | str | BaseException | type[BaseException]


@dataclass
class Rule:
    """One fault rule: what fires (``kind``) and when (a rate, the first N calls, a window)."""

    kind: FaultKind
    rate: float | None = None
    times: int | None = None
    start: float = 0.0
    end: float = math.inf
    period: float | None = None
    down_for: float = 0.0
    stall_s: float = 60.0
    fired: int = 0

    def label(self) -> str:
        """The fault's name in logs and schedules."""
        kind = self.kind
        if isinstance(kind, int):
            return f"http_{kind}"
        if isinstance(kind, str):
            return kind
        if isinstance(kind, type):
            return kind.__name__
        return type(kind).__name__

    def describe(self) -> str:
        """Readable rule, for warnings and schedules."""
        parts = [self.label()]
        if self.rate is not None:
            parts.append(f"rate={self.rate:g}")
        if self.times is not None:
            parts.append(f"first {self.times} calls")
        if self.period is not None:
            parts.append(f"flap down {self.down_for:g}s every {self.period:g}s")
        elif self.start or self.end != math.inf:
            parts.append(f"window {self.start:g}s-{self.end:g}s")
        return " ".join(parts)


@dataclass
class Decision:
    """What happens to one call."""

    latency: float
    rule: Rule | None


class Target:
    """What HTTP routes and callable routes share: faults, latency, scenarios and the log."""

    #: The fault used by ``outage``/``flap``/``fail_times`` when no kind is given.
    default_fault: FaultKind = "connect_refused"
    kind_word = "target"

    def __init__(self, chaos: Chaos, name: str) -> None:
        self.chaos = chaos
        self.name = name
        self.rng = random.Random(derive_seed(chaos.seed, name, "prodreal.chaos"))
        self.log = CallLog()
        self.rules: list[Rule] = []
        self._latency: Latency | None = None
        self._lock = threading.Lock()
        self._forced: FaultKind | None = None

    # -- configuration (each returns self, so calls chain) --------------------------------------

    def latency(
        self: T,
        seconds: float | None = None,
        *,
        median: float | None = None,
        p99: float | None = None,
        func: Callable[[random.Random], float] | None = None,
    ) -> T:
        """Add latency to every call: fixed ``seconds``, log-normal ``median``/``p99``, or ``func``.

        Latency is virtual (it advances the clock). Over the client's own timeout it becomes that
        client's timeout error after exactly the timeout.
        """
        self._latency = Latency.build(seconds, median=median, p99=p99, func=func)
        return self

    def fault(self: T, kind: FaultKind, rate: float = 1.0, *, stall_s: float = 60.0) -> T:
        """Fire fault ``kind`` on a seeded fraction ``rate`` (0-1) of calls.

        ``kind`` is an HTTP status (``503``), a fault name (``"read_timeout"``,
        ``"connect_refused"``, ``"connection_reset"``, ``"connect_timeout"``, a bad payload such
        as ``"truncated_json"``, ``"stream_cut"``/``"stream_stall"``) or an exception to raise.
        """
        stall = check_seconds(stall_s, "stall_s")
        self._add(Rule(self._check_kind(kind), rate=check_rate(rate), stall_s=stall))
        return self

    def fail_times(self: T, n: int, kind: FaultKind | None = None) -> T:
        """The first ``n`` calls fail with ``kind`` (default: the target's outage fault)."""
        k = self.default_fault if kind is None else kind
        self._add(Rule(self._check_kind(k), times=check_count(n, "fail_times n")))
        return self

    def outage(
        self: T, start: float = 0.0, end: float | None = None, kind: FaultKind | None = None
    ) -> T:
        """Every call between virtual seconds ``start`` and ``end`` (since the chaos started) fails.

        ``end=None`` means the outage never ends.
        """
        s = check_seconds(start, "outage start")
        e = check_seconds(end, "outage end", allow_none=True)
        if e <= s:
            raise InvalidArgument(f"outage end={end!r} must be after start={start!r}")
        k = self.default_fault if kind is None else kind
        self._add(Rule(self._check_kind(k), start=s, end=e))
        return self

    def flap(
        self: T,
        period: float,
        down_for: float,
        *,
        start: float = 0.0,
        kind: FaultKind | None = None,
    ) -> T:
        """Go down for ``down_for`` seconds at the start of every ``period`` (virtual seconds)."""
        p = check_seconds(period, "flap period")
        d = check_seconds(down_for, "flap down_for")
        if not 0 < d < p:
            raise InvalidArgument(
                f"flap down_for={down_for!r} must be > 0 and shorter than period={period!r}"
            )
        k = self.default_fault if kind is None else kind
        self._add(
            Rule(self._check_kind(k), period=p, down_for=d, start=check_seconds(start, "start"))
        )
        return self

    def scenario(self: T, name: str, **options: Any) -> T:
        """Apply a named scenario's realistic mix (see ``pytest_prodreal.chaos.SCENARIOS``)."""
        from ._scenarios import apply_scenario

        apply_scenario(self, name, **options)
        return self

    def down(self, kind: FaultKind | None = None) -> None:
        """Fail every call from now on until :meth:`up` (used by checks to drive an outage)."""
        self._forced = self._check_kind(self.default_fault if kind is None else kind)

    def up(self) -> None:
        """End a :meth:`down` outage."""
        self._forced = None

    def reset_faults(self) -> None:
        """Remove every fault and latency (the log is kept)."""
        self.rules.clear()
        self._latency = None
        self._forced = None

    # -- the log ---------------------------------------------------------------------------------

    @property
    def calls(self) -> list[ChaosCall]:
        """Every call this route saw, in order (respx-like ``.request`` / ``.response``)."""
        return list(self.log.calls)

    @property
    def call_count(self) -> int:
        """How many calls reached this route."""
        return self.log.call_count

    @property
    def called(self) -> bool:
        """Whether any call reached this route."""
        return bool(self.log.calls)

    @property
    def retries(self) -> int:
        """Calls that repeated an earlier request."""
        return self.log.retries

    @property
    def duplicates(self) -> int:
        """Repeats that were not retries: identical requests from other callers (concurrent)."""
        return self.log.duplicates

    @property
    def distinct_requests(self) -> int:
        """How many different requests reached this route."""
        return self.log.distinct_requests

    @property
    def faults_fired(self) -> dict[str, int]:
        """How many times each fault fired, by name."""
        return self.log.faults_fired

    @property
    def has_faults(self) -> bool:
        """Whether any fault (not just latency) is configured."""
        return bool(self.rules) or self._forced is not None

    def stats(self) -> dict[str, int | float]:
        """Figures: calls, retries, distinct requests, amplification, faults fired, latency."""
        return {
            "calls": self.call_count,
            "retries": self.retries,
            "duplicates": self.duplicates,
            "distinct_requests": self.distinct_requests,
            "faults_fired": sum(self.faults_fired.values()),
            # calls per distinct request: 1.0 means no retries; a retry storm shows high
            "amplification": round(self.call_count / max(1, self.distinct_requests), 3),
            "virtual_latency_s": round(self.log.virtual_latency, 6),
        }

    # -- internals -------------------------------------------------------------------------------

    def _add(self, rule: Rule) -> None:
        with self._lock:
            self.rules.append(rule)

    def _check_kind(self, kind: object) -> FaultKind:
        if isinstance(kind, BaseException) or (
            isinstance(kind, type) and issubclass(kind, BaseException)
        ):
            return kind
        if isinstance(kind, str):
            return fault_named(kind, http=False).name
        raise InvalidArgument(
            f"fault kind={kind!r} is not a fault for a {self.kind_word}: pass a fault name "
            f"such as 'connection_reset', or an exception to raise"
        )

    def _decide(self, t: float) -> Decision:
        """Draw this call's latency and fault (caller holds the lock)."""
        lat = self._latency.sample(self.rng) if self._latency is not None else 0.0
        chosen: Rule | None = None
        for rule in self.rules:
            fires: bool
            if rule.rate is not None:
                u = self.rng.random()  # always drawn: keeps later rules' schedules stable
                fires = u < rule.rate
            elif rule.times is not None:
                fires = rule.fired < rule.times
            elif rule.period is not None:
                fires = t >= rule.start and (t - rule.start) % rule.period < rule.down_for
            else:
                fires = rule.start <= t < rule.end
            if fires and chosen is None:
                chosen = rule
        if self._forced is not None:
            chosen = Rule(self._forced)
        if chosen is not None:
            chosen.fired += 1
        return Decision(lat, chosen)

    def _record(self, call: ChaosCall) -> None:
        self.log.add(call)
        self.chaos._note(call)


class CallableRoute(Target):
    """A wrapped callable (sync or async) with the same latency and faults as an HTTP route.

    Network faults become Python's own exceptions: ``read_timeout``/``connect_timeout`` ->
    ``TimeoutError`` (after the ``timeout`` you gave, in virtual time), ``connect_refused`` ->
    ``ConnectionRefusedError``, ``connection_reset`` -> ``ConnectionResetError``; or pass your
    client's own exception as the fault. Call the route like the function it wraps.
    """

    kind_word = "wrapped callable"

    def __init__(
        self, chaos: Chaos, fn: Callable[..., Any], name: str, timeout: float | None
    ) -> None:
        super().__init__(chaos, name)
        if not callable(fn):
            raise InvalidArgument(f"chaos.wrap(fn={fn!r}): fn must be callable")
        self.fn = fn
        self.timeout = check_seconds(timeout, "timeout", allow_none=True)
        self.is_async = inspect.iscoroutinefunction(fn)
        functools.update_wrapper(self, fn)

    def _http_only(self, method: str) -> InvalidArgument:
        return InvalidArgument(
            f"{method}() is for HTTP routes (chaos.route(...)); a wrapped callable takes "
            "fault(), latency(), fail_times(), outage(), flap() and scenario(): for a bad "
            "answer, .fault(YourError(...)) or wrap a function that returns the bad value"
        )

    def bad_payload(self, kind: str, rate: float = 1.0) -> CallableRoute:
        """Not for callables: raises ``InvalidArgument`` saying what to use instead."""
        raise self._http_only("bad_payload")

    def rate_limit(self, *args: Any, **kwargs: Any) -> CallableRoute:
        """Not for callables: raises ``InvalidArgument`` saying what to use instead."""
        raise self._http_only("rate_limit")

    def token_expiry(self, *args: Any, **kwargs: Any) -> CallableRoute:
        """Not for callables: raises ``InvalidArgument`` saying what to use instead."""
        raise self._http_only("token_expiry")

    def stream(self, *args: Any, **kwargs: Any) -> CallableRoute:
        """Not for callables: raises ``InvalidArgument`` saying what to use instead."""
        raise self._http_only("stream")

    def _begin(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[ChaosCall, Rule | None]:
        req = CallRequest(args, dict(kwargs))
        try:
            key = repr((args, sorted(kwargs.items())))
        except Exception:  # an unprintable argument: every call counts as distinct
            key = f"call-{self.log.call_count}"
        caller = caller_id()
        with self._lock:
            t = self.chaos._now()
            d = self._decide(t)
            retry, duplicate = self.log.classify(key, caller)
            call = ChaosCall(
                route=self.name,
                index=self.log.call_count,
                t=t,
                request=req,
                key=key,
                retry=retry,
                latency=d.latency,
                fault=d.rule.label() if d.rule else None,
                duplicate=duplicate,
                caller=caller,
            )
            self._record(call)
        return call, d.rule

    def _plan(self, call: ChaosCall, rule: Rule | None) -> tuple[float, BaseException | None]:
        """Seconds to wait, then the exception to raise (or None to call through)."""
        if rule is None:
            if call.latency > self.timeout:
                call.fault, call.detail = (
                    "timeout",
                    f"latency {call.latency:g}s > {self.timeout:g}s",
                )
                return self.timeout, TimeoutError(
                    f"chaos: {self.name} took longer than its timeout {self.timeout:g}s"
                )
            return call.latency, None
        kind = rule.kind
        if isinstance(kind, BaseException):
            return call.latency, kind
        if isinstance(kind, type):
            return call.latency, kind(f"chaos fault on {self.name}")
        behave = FAULTS[str(kind)].call  # the fault table: one dispatch for every fault name
        assert behave is not None  # _check_kind admitted only rows with a callable behaviour
        out: Outcome = behave(self, call, rule)
        return out.wait, out.error

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the wrapped function under chaos (an awaitable if it is async)."""
        if self.is_async:
            return self._acall(args, kwargs)
        call, rule = self._begin(args, kwargs)
        wait, exc = self._plan(call, rule)
        self.chaos._sleep(wait)
        if exc is not None:
            call.error = exc
            raise exc
        try:
            call.response = self.fn(*args, **kwargs)
        except BaseException as e:
            call.error = e
            raise
        return call.response

    async def _acall(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        call, rule = self._begin(args, kwargs)
        wait, exc = self._plan(call, rule)
        await self.chaos._async_sleep(wait)
        if exc is not None:
            call.error = exc
            raise exc
        try:
            call.response = await self.fn(*args, **kwargs)
        except BaseException as e:
            call.error = e
            raise
        return call.response
