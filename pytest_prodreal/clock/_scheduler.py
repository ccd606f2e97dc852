"""A discrete-event scheduler for threads on the virtual clock: concurrency that really interleaves.

On the virtual clock ``time.sleep`` returns at once, so "concurrent" threads would run one after
another and a read-modify-write race would never show. A :class:`Scheduler` fixes that for the
threads registered with it (the *participants*): a virtual sleep in one participant (``time.sleep``,
:meth:`VirtualClock.sleep <pytest_prodreal.clock.VirtualClock.sleep>`, injected chaos latency,
:func:`pause`) blocks that thread until no other participant is running; then the clock moves to
the earliest wake-up and exactly one sleeper resumes (ties broken in an order drawn from the
seed). Only one participant runs at a time, so the same seed gives the same interleaving, every
run, and a race window opened by a sleep is always entered by the others.

Threads that are not participants (pytest's own, an SDK's pools) keep the plain clock: their
sleeps advance time at once.

Real blocking never hangs the scheduler: when the running participant is blocked for real (on a
lock held by a sleeping participant, an ``Event.wait``, real I/O) — seen as its thread CPU time
not moving for ``stall_s`` wall seconds — the next sleeper is released anyway. Code that computes
(CPU time moving) is never pre-empted.

Library layer: no pytest import::

    from pytest_prodreal.clock import Scheduler, VirtualClock

    with VirtualClock() as clock, Scheduler(clock, parties=2, seed=1) as scheduler:
        ...  # start 2 threads, each running ``with scheduler.participant(i): work()``
"""

from __future__ import annotations

import heapq
import math
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING

from ..errors import InvalidArgument

if TYPE_CHECKING:
    from ._virtual import VirtualClock

__all__ = ["Scheduler", "pause"]

_DEFAULT_STALL_S = 0.002


class _Member:
    __slots__ = ("awake", "clock_id", "event", "ident", "key", "order")

    def __init__(self, order: int) -> None:
        self.order = order
        # False from a dispatch until the thread has woken from its wait: a dispatched thread the
        # OS has not scheduled yet is not "blocked for real", and must not be pre-empted.
        self.awake = True
        self.ident = threading.get_ident()
        self.event = threading.Event()
        self.key: tuple[int, float, int] | None = None
        try:
            self.clock_id: int | None = time.pthread_getcpuclockid(self.ident)
        except (AttributeError, OSError, OverflowError):  # not Linux/BSD
            self.clock_id = None

    def cpu(self) -> float | None:
        if self.clock_id is None:
            return None
        try:
            return time.clock_gettime(self.clock_id)
        except OSError:  # the thread ended
            return None


class Scheduler:
    """Run the registered threads one at a time, switching at their virtual sleeps.

    ``clock`` is the running :class:`~pytest_prodreal.clock.VirtualClock`; ``parties`` how many
    participants will join before the first may run (so the start order does not depend on which
    thread the OS started first); ``seed`` orders the start and breaks ties between sleepers that
    wake at the same instant; ``stall_s`` (wall seconds) is how long a participant blocked for real
    may hold up the others. Use it as a context manager around the threads' lifetime; each thread
    wraps its work in :meth:`participant`.

    Figures: :attr:`switches` (how many times another participant was resumed) and
    :attr:`forced` (how many of those were forced by a participant blocked for real).
    """

    def __init__(
        self,
        clock: VirtualClock,
        *,
        parties: int,
        seed: int = 0,
        stall_s: float = _DEFAULT_STALL_S,
    ) -> None:
        if isinstance(parties, bool) or not isinstance(parties, int) or parties < 1:
            raise InvalidArgument(
                f"Scheduler: parties={parties!r} must be a whole number >= 1 (how many threads)"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidArgument(f"Scheduler: seed={seed!r} must be an integer")
        if (
            isinstance(stall_s, bool)
            or not isinstance(stall_s, (int, float))
            or not 0 < stall_s < math.inf
        ):
            raise InvalidArgument(
                f"Scheduler: stall_s={stall_s!r} must be a positive, finite number of seconds"
            )
        self.clock = clock
        self.parties = parties
        self.stall_s = float(stall_s)
        self._rng = random.Random(seed)
        self._start_order = list(range(parties))
        self._rng.shuffle(self._start_order)
        self._lock = threading.Lock()
        self._members: dict[int, _Member] = {}
        self._heap: list[tuple[int, float, int, int]] = []  # (wake µs, tiebreak, seq, ident)
        self._running: set[int] = set()
        self._joined = 0
        self._seq = 0
        self._progress = 0  # bumped on every dispatch, enter and leave
        self.switches = 0
        self.forced = 0
        self._closed = threading.Event()
        self._watchdog: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Scheduler:
        self.clock._attach_scheduler(self)
        self._closed.clear()
        self._watchdog = threading.Thread(
            target=self._watch, name="prodreal-scheduler-watchdog", daemon=True
        )
        self._watchdog.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.clock._detach_scheduler(self)
        self._closed.set()
        with self._lock:  # release anyone still waiting (an abandoned run): never strand a thread
            for member in self._members.values():
                member.event.set()
            self._members.clear()
            self._heap.clear()

    @contextmanager
    def participant(self, index: int) -> Iterator[None]:
        """Register the calling thread as participant ``index`` (0 .. parties-1) for the block.

        Blocks until it is this participant's turn; leaving the block lets the next one run.
        """
        member = _Member(self._start_order[index % self.parties])
        with self._lock:
            if self._closed.is_set():
                closed = True  # a late thread of an abandoned set of runs: run unscheduled
            else:
                closed = False
                self._members[member.ident] = member
                self._joined += 1
                self._progress += 1
                self._push(member, self._now_us(), float(member.order))
                if self._joined >= self.parties and not self._running:
                    self._dispatch_locked()
        if closed:
            yield
            return
        self._wait_turn(member)
        try:
            yield
        finally:
            with self._lock:
                self._running.discard(member.ident)
                self._members.pop(member.ident, None)
                self._progress += 1
                if not self._running and self._heap and self._joined >= self.parties:
                    self._dispatch_locked()

    def is_participant(self) -> bool:
        """Whether the calling thread is a participant."""
        return threading.get_ident() in self._members

    # -- switching ------------------------------------------------------------------------------

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` of virtual time as a participant; ``False`` for other threads.

        The calling thread yields: it resumes when the clock reaches its wake-up and its turn
        comes. Called by the clock's ``sleep``/``advance``; non-participants are not touched.
        """
        member = self._members.get(threading.get_ident())
        if member is None:
            return False
        with self._lock:
            if member.ident not in self._members:
                return False
            self._running.discard(member.ident)
            self._push(member, self._now_us() + max(0, math.ceil(seconds * 1_000_000)))
            self._progress += 1
            if not self._running:
                self._dispatch_locked()
        self._wait_turn(member)
        return True

    def _now_us(self) -> int:
        return round(self.clock.elapsed * 1_000_000)

    def _push(self, member: _Member, wake_us: int, tiebreak: float | None = None) -> None:
        self._seq += 1
        # Ties: the seeded start rank at joining, then first come, first served (a yield point
        # goes behind every run already waiting for the same instant).
        key = (
            wake_us,
            float(self.parties + self._seq) if tiebreak is None else tiebreak,
            self._seq,
        )
        member.key = key
        member.event.clear()
        heapq.heappush(self._heap, (*key, member.ident))

    def _dispatch_locked(self, *, forced: bool = False) -> None:
        """Resume the earliest sleeper (the lock is held)."""
        while self._heap:
            wake_us, _tie, seq, ident = heapq.heappop(self._heap)
            member = self._members.get(ident)
            if member is None or member.key is None or member.key[2] != seq:
                continue  # a stale entry (the member left)
            member.key = None
            member.awake = False
            gap = wake_us - self._now_us()
            if gap > 0:
                self.clock._tick(gap)
            self._running.add(ident)
            self.switches += 1
            self.forced += forced
            self._progress += 1
            member.event.set()
            return

    def _wait_turn(self, member: _Member) -> None:
        """Block until dispatched (or the scheduler closes)."""
        member.event.wait()
        self._woke(member)

    def _woke(self, member: _Member) -> None:
        """The dispatched ``member`` runs: from now on a stall of its CPU time counts."""
        with self._lock:
            member.awake = True
            self._progress += 1  # the watchdog's stall is measured from here

    def _watch(self) -> None:
        """The watchdog thread: force a dispatch when every running participant is stuck.

        One thread polls every ``stall_s`` (the waiting participants block without timeouts, so
        a thousand of them cost nothing while they wait). When, across a whole stall, nothing
        was dispatched and no running participant's CPU time moved (each is blocked for real:
        on a lock a sleeper holds, an ``Event.wait``, real I/O), the next sleeper is released.
        """
        samples: dict[int, float | None] = {}
        seen = -1
        while not self._closed.wait(self.stall_s):
            with self._lock:
                if self._joined < self.parties or not self._heap:
                    seen = -1
                    continue
                running = [m for i in self._running if (m := self._members.get(i))]
                if any(not m.awake for m in running):
                    # Dispatched but not yet woken (a loaded machine, the GIL held elsewhere):
                    # it has not run, so it cannot be blocked. Pre-empting it here made the
                    # interleaving depend on the machine's load (issue 9).
                    seen = -1
                    continue
                current = {m.ident: m.cpu() for m in running}
                if current and (seen != self._progress or samples != current):
                    # Something moved since the last look: look again after another stall.
                    seen, samples = self._progress, current
                    continue
                # Every running participant is blocked for real (its CPU time stood still for a
                # whole stall), or none runs: let the next sleeper run rather than hang.
                self._dispatch_locked(forced=True)
                seen = -1


def pause(seconds: float = 0.0) -> None:
    """A yield point: let other concurrent runs proceed here (and sleep ``seconds`` virtual).

    Put it in a fake dependency or between a read and a write to widen a race window. Under a
    :class:`Scheduler` (``repeat``, ``prodreal_concurrent`` and the concurrent checks on the
    virtual clock) the calling run yields to the others; elsewhere it is ``time.sleep(seconds)``
    (instant on the virtual clock).
    """
    from ._virtual import _check_seconds, current_clock

    value = _check_seconds("pause length", seconds)
    clock = current_clock()
    if clock is not None:
        scheduler = clock._scheduler
        if scheduler is not None and scheduler.wait(value):
            return
    if value > 0:
        time.sleep(value)
