"""Repeat-runners: one callable, N runs, sequentially or concurrently, never hanging.

``repeat`` runs a sync or async callable ``times`` times: ``"sequential"`` (one after another),
``"threads"`` (a pool of ``concurrency`` threads) or ``"asyncio"`` (``concurrency`` tasks on an
event loop of its own). ``arepeat`` is the same from inside a running event loop. A start barrier
holds the first wave until every worker is ready, so concurrent calls really overlap.

Every run has a wall-clock ``timeout``: a run that does not finish in time is reported as
``timed_out`` (a deadlock is reported, not suffered), and the runner returns. Worker threads are
daemons, so an abandoned call cannot keep the interpreter alive. Timeouts are measured on the real
clock, so a test's virtual clock (frozen or advanced) does not fire or postpone them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from ..errors import InvalidArgument
from ._outcomes import Outcomes, _Real
from ._tasks import _run_loop_in_thread, _run_tasks
from ._threads import _run_threads

__all__ = ["Mode", "arepeat", "repeat", "run_concurrently"]

#: How :func:`repeat` runs the calls.
Mode = Literal["sequential", "threads", "asyncio"]
_MODES = ("sequential", "threads", "asyncio")
_DEFAULT_TIMEOUT = 30.0


def _validate(
    fn: object, times: object, concurrency: object, timeout: object, mode: object, where: str
) -> None:
    if not callable(fn):
        raise InvalidArgument(
            f"{where}: fn must be a callable (a function, method or async function), got "
            f"{type(fn).__name__} {fn!r}; pass the function itself, not its result"
        )
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise InvalidArgument(
            f"{where}: times must be a positive integer (how many runs), got {times!r}"
        )
    if concurrency is not None and (
        isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1
    ):
        raise InvalidArgument(
            f"{where}: concurrency must be a positive integer (how many runs at once) or None "
            f"for all of them, got {concurrency!r}"
        )
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise InvalidArgument(
            f"{where}: timeout must be a positive number of seconds per run, got {timeout!r}"
        )
    if mode not in _MODES:
        raise InvalidArgument(f"{where}: mode must be one of {', '.join(_MODES)}; got {mode!r}")


def _bind(
    fn: Callable[..., Any], args: Sequence[object], kwargs: Mapping[str, object] | None
) -> Callable[[], Any]:
    if not args and not kwargs:
        return fn
    kw = dict(kwargs or {})
    return lambda: fn(*args, **kw)


# ---------------------------------------------------------------------------------------------
# public API


def repeat(
    fn: Callable[..., Any],
    times: int = 8,
    *,
    mode: Mode = "threads",
    concurrency: int | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    barrier: bool = True,
    args: Sequence[object] = (),
    kwargs: Mapping[str, object] | None = None,
    label: str = "",
    seed: int | None = None,
) -> Outcomes:
    """Run ``fn(*args, **kwargs)`` ``times`` times and return every run's :class:`Outcome`.

    ``fn`` may be sync or async. ``mode``:

    - ``"threads"`` (default): ``concurrency`` worker threads (default: ``times``, all at once);
      an async ``fn`` gets a fresh event loop per run.
    - ``"asyncio"``: ``concurrency`` tasks on a new event loop in a helper thread (use
      :func:`arepeat` to run on the caller's loop instead).
    - ``"sequential"``: one run after another, in one helper thread.

    ``barrier`` holds the first ``concurrency`` runs until all are ready, so they overlap.
    ``timeout`` (wall seconds, per run) bounds every run: a run that does not finish in time is
    reported as ``timed_out`` and the runner returns; it never hangs. Exceptions are outcomes,
    not errors of ``repeat``.

    On the virtual clock, threaded runs go through a :class:`~pytest_prodreal.clock.Scheduler`:
    one run at a time, switching at virtual sleeps (``time.sleep``, chaos latency,
    :func:`~pytest_prodreal.clock.pause`), so runs overlap at their waits as in production and
    ``seed`` (default 0) fixes the interleaving. The result's ``peak_in_flight`` and
    ``mean_in_flight`` say how much the runs overlapped.

    Raises :class:`~pytest_prodreal.InvalidArgument` for a non-callable ``fn``, a non-positive
    ``times``, ``concurrency`` or ``timeout``, or an unknown ``mode``.
    """
    _validate(fn, times, concurrency, timeout, mode, "repeat")
    call = _bind(fn, args, kwargs)
    width = 1 if mode == "sequential" else min(concurrency or times, times)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidArgument(f"repeat: seed={seed!r} must be an integer or None")
    start = _Real.perf_counter()
    switches = 0
    if mode == "asyncio":
        outcomes, overlap = _run_loop_in_thread(call, times, width, float(timeout), barrier)
    else:
        outcomes, overlap, scheduler = _run_threads(
            call, times, width, float(timeout), barrier, seed
        )
        switches = scheduler.switches if scheduler is not None else 0
    return Outcomes(
        outcomes,
        mode=mode,
        concurrency=width,
        timeout=float(timeout),
        wall_s=_Real.perf_counter() - start,
        label=label,
        peak_in_flight=overlap.peak,
        mean_in_flight=overlap.mean(),
        scheduled=switches > 0,
    )


async def arepeat(
    fn: Callable[..., Any],
    times: int = 8,
    *,
    concurrency: int | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    barrier: bool = True,
    args: Sequence[object] = (),
    kwargs: Mapping[str, object] | None = None,
    label: str = "",
) -> Outcomes:
    """Run ``fn`` ``times`` times as tasks on the running event loop (the asyncio fan-out).

    ``concurrency`` tasks at a time (default: all; ``1`` runs them one after another), behind a
    start barrier. Awaitable results are awaited; sync results are taken as they are. A run that
    does not finish within ``timeout`` wall seconds is cancelled and reported as ``timed_out``.
    A call that blocks the event loop itself (a synchronous deadlock) cannot be interrupted from
    inside that loop; :func:`repeat` with ``mode="asyncio"`` runs its own loop and survives it.

    Raises :class:`~pytest_prodreal.InvalidArgument` like :func:`repeat`.
    """
    _validate(fn, times, concurrency, timeout, "asyncio", "arepeat")
    call = _bind(fn, args, kwargs)
    width = min(concurrency or times, times)
    start = _Real.perf_counter()
    outcomes, overlap = await _run_tasks(call, times, width, float(timeout), barrier)
    return Outcomes(
        outcomes,
        mode="sequential" if width == 1 else "asyncio",
        concurrency=width,
        timeout=float(timeout),
        wall_s=_Real.perf_counter() - start,
        label=label,
        peak_in_flight=overlap.peak,
        mean_in_flight=overlap.mean(),
    )


def run_concurrently(
    calls: Sequence[Callable[[], Any]],
    *,
    concurrency: int | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    seed: int | None = None,
    label: str = "",
) -> Outcomes:
    """Run each of ``calls`` once, ``concurrency`` at a time (default: all), in threads.

    The building block for load and soak runners: on the virtual clock the calls interleave
    deterministically at their virtual waits (a :class:`~pytest_prodreal.clock.Scheduler` with
    ``seed``); without it they are plain threads. Outcome ``i`` is that of ``calls[i]``; the
    result carries ``peak_in_flight`` and ``mean_in_flight``. Never hangs: a call that does not
    finish within ``timeout`` wall seconds is reported ``timed_out``.
    """
    if isinstance(calls, (str, bytes)) or not isinstance(calls, Sequence):
        raise InvalidArgument(
            f"run_concurrently: calls must be a list of callables, got {type(calls).__name__}"
        )
    for position, call in enumerate(calls):
        if not callable(call):
            raise InvalidArgument(
                f"run_concurrently: calls[{position}] must be callable, got "
                f"{type(call).__name__} {call!r}"
            )
    if not calls:
        raise InvalidArgument("run_concurrently: calls is empty; give at least one callable")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidArgument(f"run_concurrently: seed={seed!r} must be an integer or None")
    _validate(calls[0], len(calls), concurrency, timeout, "threads", "run_concurrently")
    todo = list(calls)
    width = min(concurrency or len(todo), len(todo))
    start = _Real.perf_counter()
    outcomes, overlap, scheduler = _run_threads(
        todo[0], len(todo), width, float(timeout), True, seed, indexed=todo
    )
    return Outcomes(
        outcomes,
        mode="threads" if width > 1 else "sequential",
        concurrency=width,
        timeout=float(timeout),
        wall_s=_Real.perf_counter() - start,
        label=label or "run_concurrently",
        peak_in_flight=overlap.peak,
        mean_in_flight=overlap.mean(),
        scheduled=scheduler is not None and scheduler.switches > 0,
    )
