"""The soak runner's plumbing: validated arguments, outcome judging, progress, real timeouts."""

from __future__ import annotations

import itertools
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .._kit import validate as _v
from ..errors import InvalidArgument, ProdrealError
from ._arrivals import Arrivals, Constant
from ._cost import Prices, check_prices, price_key, usage_of
from ._observe import Observer, Trace
from ._result import Request, SoakResult

__all__ = ["SoakProgress", "SoakTimeout"]

_MAX_REQUESTS = 10_000_000
_PROGRESS_AFTER_S = 2.0  # real seconds before the first progress report
_PROGRESS_EVERY_S = 0.5


def _real_now() -> float:
    # time.perf_counter is freezegun's fake while a clock runs; its saved original is real.
    api = sys.modules.get("freezegun.api")
    if api is not None:
        real: float = api.real_perf_counter()
        return real
    return time.perf_counter()


class SoakTimeout(ProdrealError, TimeoutError):
    """A request of a soak blocked in real time for longer than the soak's ``timeout_s``."""


@dataclass(frozen=True)
class SoakProgress:
    """What a progress callback is told: requests done (of ``total`` if known), times so far."""

    done: int
    total: int | None
    virtual_s: float
    wall_s: float
    final: bool = False

    def line(self) -> str:
        """``prodreal soak: 1,234/5,000 requests, 3,600 virtual s in 2.1 s``."""
        of = f"/{self.total:,}" if self.total is not None else ""
        return (
            f"prodreal soak: {self.done:,}{of} requests, {self.virtual_s:,.0f} virtual s "
            f"in {self.wall_s:.1f} s"
        )


class _Plan:
    """The validated arguments shared by :func:`soak` and :func:`asoak`."""

    def __init__(
        self,
        where: str,
        call: object,
        inputs: Iterable[Any],
        duration: object,
        requests: object,
        arrivals: object,
        success: object,
        fallback: object,
        concurrency: object,
        prices: object,
        seed: object,
        timeout_s: object,
        progress: object,
        clock: Any,
        chaos: Any,
    ) -> None:
        _v.callable_arg(where, "call", call)
        self.call: Callable[[Any], Any] = call  # type: ignore[assignment]
        self.inputs = _v.non_empty(where, "inputs", inputs)
        if (duration is None) == (requests is None):
            raise InvalidArgument(
                f"{where}: pass exactly one of duration= (virtual seconds) or requests= (a count)"
            )
        self.duration = (
            None
            if duration is None
            else _v.positive_number(where, "duration", duration, unit="virtual seconds")
        )
        self.total = (
            None
            if requests is None
            else _v.positive_int(where, "requests", requests, maximum=_MAX_REQUESTS)
        )
        if arrivals is None:
            arrivals = Constant(1.0)
        if not isinstance(arrivals, Arrivals):
            raise InvalidArgument(
                f"{where}: arrivals={arrivals!r} must be Constant(rate), Poisson(rate) or "
                "Bursts(size, every) from pytest_prodreal.operations"
            )
        self.arrivals = arrivals
        self.success = None if success is None else _v.callable_arg(where, "success", success)
        self.fallback = None if fallback is None else _v.callable_arg(where, "fallback", fallback)
        self.concurrency = _v.positive_int(where, "concurrency", concurrency, maximum=100_000)
        self.prices: Prices | None = check_prices(where, prices)
        self.timeout_s = (
            None
            if timeout_s is None
            else _v.positive_number(where, "timeout_s", timeout_s, unit="real seconds")
        )
        self.progress = None if progress is None else _v.callable_arg(where, "progress", progress)
        from ..chaos import current_chaos
        from ..clock import current_clock

        running = clock if clock is not None else current_clock()
        if running is None or not running.active:
            raise InvalidArgument(
                f"{where}: no virtual clock is running; soaks run on virtual time: use the "
                "prodreal_clock (or chaos) fixture, or `with VirtualClock():` in a script"
            )
        self.clock: Any = running
        self.chaos = chaos if chaos is not None else current_chaos()
        if seed is None:
            seed = self.chaos.seed if self.chaos is not None else 0
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidArgument(f"{where}: seed={seed!r} must be an int")
        self.seed = seed
        self.unknown_models: set[str] = set()

    def arrival_times(self) -> Iterator[float]:
        times = self.arrivals.times(random.Random(self.seed))
        if self.total is not None:
            return itertools.islice(times, self.total)
        duration = self.duration
        return itertools.takewhile(lambda t: t < duration, times)  # type: ignore[operator]

    def judge(self, req: Request, value: Any, error: BaseException | None, trace: Trace) -> None:
        """Fill in the request's outcome, calls, logs and cost."""
        req.calls, req.logs, req.signals = trace.calls, trace.logs, trace.signals
        if error is not None:
            req.outcome, req.error_type, req.error = (
                "error",
                type(error).__name__,
                repr(error)[:300],
            )
        elif self.fallback is not None and self.fallback(value):
            req.outcome = "fallback"
        elif self.success is not None and not self.success(value):
            req.outcome, req.error_type = "error", "Rejected"
            req.error = f"the success predicate rejected {value!r:.200}"
        for c in trace.calls:
            if c.error is not None or c.fault is not None:
                continue
            usage = usage_of(c.response)
            if usage is None:
                continue
            model, tin, tout = usage
            req.tokens_in += tin
            req.tokens_out += tout
            if self.prices is not None:
                key = price_key(self.prices, model) if model is not None else None
                if key is None:
                    self.unknown_models.add(str(model))
                    continue
                pin, pout = self.prices[key]
                req.cost = (req.cost or 0.0) + (tin * pin + tout * pout) / 1_000_000
        if self.prices is not None and req.cost is None:
            req.cost = 0.0

    def finish(
        self, where: str, reqs: list[Request], t0: float, w0: float, obs: Observer
    ) -> SoakResult:
        if self.unknown_models:
            raise InvalidArgument(
                f"{where}: the price table has no price for model(s) "
                f"{', '.join(sorted(self.unknown_models))} named by the responses; add them to "
                f"prices= (known: {', '.join(self.prices or {})})"
            )
        return SoakResult(
            requests=reqs,
            virtual_s=self.clock.elapsed - t0,
            wall_s=_real_now() - w0,
            arrivals=self.arrivals.describe(),
            concurrency=self.concurrency,
            priced=self.prices is not None,
            seed=self.seed,
            outside_calls=list(obs.outside.calls),
            otel=obs.otel,
        )


class _Progress:
    def __init__(self, plan: _Plan, w0: float, t0: float) -> None:
        self.plan, self.w0, self.t0 = plan, w0, t0
        self.next_at = w0 + _PROGRESS_AFTER_S
        self.shown = False

    def tick(self, done: int) -> None:
        callback = self.plan.progress
        if callback is None:
            return
        now = _real_now()
        if now < self.next_at:
            return
        self.next_at = now + _PROGRESS_EVERY_S
        self.shown = True
        callback(
            SoakProgress(done, self.plan.total, self.plan.clock.elapsed - self.t0, now - self.w0)
        )

    def end(self, done: int) -> None:
        if self.shown and self.plan.progress is not None:
            virtual = self.plan.clock.elapsed - self.t0
            self.plan.progress(SoakProgress(done, done, virtual, _real_now() - self.w0, final=True))


def _timeout_message(req: Request, timeout_s: float) -> str:
    return (
        f"soak: {req.label()} was still running after {timeout_s:g} real seconds: the call "
        "blocks in real time (a real socket, a lock, threading.Event.wait, a real sleep) that "
        "the virtual clock cannot move. Route its dependency through chaos, or raise timeout_s="
    )


class _Alarm:
    """Stop a sync call blocking in real time, from the main thread, with no thread hand-off.

    A periodic ``SIGALRM`` (``setitimer``) checks the running request's real start time; past
    the timeout its handler raises :class:`SoakTimeout`, which interrupts a blocking wait too.
    Handing every call to a worker thread instead costs a thread switch per request.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.req: Request | None = None
        self.began = 0.0
        self.fired: Request | None = None
        self._old: Any = None

    def start(self) -> bool:
        import signal as signals

        if threading.current_thread() is not threading.main_thread() or not hasattr(
            signals, "setitimer"
        ):
            return False
        if signals.getsignal(signals.SIGALRM) not in (signals.SIG_DFL, None) or any(
            signals.getitimer(signals.ITIMER_REAL)
        ):
            return False
        self._old = signals.signal(signals.SIGALRM, self._handler)
        period = min(1.0, self.timeout_s / 4)
        signals.setitimer(signals.ITIMER_REAL, period, period)
        return True

    def _handler(self, signum: int, frame: object) -> None:
        req = self.req
        if req is not None and _real_now() - self.began > self.timeout_s:
            self.req, self.fired = None, req
            raise SoakTimeout(_timeout_message(req, self.timeout_s))

    def arm(self, req: Request) -> None:
        self.began = _real_now()
        self.req = req

    def disarm(self) -> None:
        self.req = None
        if self.fired is not None:
            raise SoakTimeout(_timeout_message(self.fired, self.timeout_s))

    def stop(self) -> None:
        import signal as signals

        signals.setitimer(signals.ITIMER_REAL, 0, 0)
        signals.signal(signals.SIGALRM, self._old if self._old is not None else signals.SIG_DFL)
