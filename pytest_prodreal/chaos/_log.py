"""The call log: what each route saw, which faults fired, and the realised schedule."""

from __future__ import annotations

import itertools
import sys
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "CallLog",
    "CallRequest",
    "ChaosCall",
    "ScheduleEntry",
    "format_schedule",
    "unexercised",
]


@dataclass(frozen=True)
class CallRequest:
    """What a wrapped callable was called with (the ``request`` of a callable route's call)."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    @property
    def method(self) -> str:
        """Always ``"CALL"``, so callable and HTTP calls print alike."""
        return "CALL"


@dataclass
class ChaosCall:
    """One call a route saw. respx-like: ``.request`` and ``.response``.

    For HTTP routes ``request`` is the request as an ``httpx``-style ``Request`` (``.method``,
    ``.url``, ``.content``, ``.headers``; ``json.loads(call.request.content)`` for a JSON body):
    the client's own for httpx and httpx2 clients (an ``httpx2.Request`` from the openai and
    anthropic SDKs), an ``httpx.Request`` built from the request for the other clients; and
    ``response`` the response sent, or ``None`` when the fault was an exception (then ``error``
    holds it). For callable routes ``request`` is a :class:`CallRequest` and ``response`` the
    return value.
    """

    route: str
    index: int
    t: float
    request: Any
    key: str
    retry: bool
    latency: float = 0.0
    fault: str | None = None
    response: Any = None
    error: BaseException | None = None
    detail: str = ""
    #: A repeat of an earlier request that is *not* a retry: an identical request from another
    #: caller (thread or task) while the first was in flight, or the same request sent again
    #: after it succeeded. ``retry`` is a repeat from the same caller after a failure.
    duplicate: bool = False
    caller: tuple[int, int] = (0, 0)

    @property
    def failed(self) -> bool:
        """Whether the call failed (a fault, an exception, or an error status)."""
        status = getattr(self.response, "status_code", 0)
        return self.fault is not None or self.error is not None or status >= 400

    @property
    def has_response(self) -> bool:
        """Whether a response (or return value) was produced."""
        return self.error is None

    def describe(self) -> str:
        """One line of the realised schedule."""
        req = self.request
        if isinstance(req, CallRequest):
            what = "CALL"
        else:
            what = f"{getattr(req, 'method', '?')} {getattr(req, 'url', '?')}"
        if self.fault is not None:
            outcome = self.fault + (f" ({self.detail})" if self.detail else "")
        elif self.error is not None:
            outcome = type(self.error).__name__ + (f" ({self.detail})" if self.detail else "")
        else:
            outcome = "ok"
        if what == self.route:
            what = ""
        lat = f" latency {self.latency:.3f}s" if self.latency else ""
        retry = " retry" if self.retry else " duplicate" if self.duplicate else ""
        head = f"t={self.t:9.3f}s  {self.route}[{self.index}]{retry}"
        return f"{head}  {what}{lat} -> {outcome}".replace("   ", "  ")


@dataclass(frozen=True)
class ScheduleEntry:
    """One realised decision: at virtual time ``t``, call ``index`` of ``route`` got ``fault``."""

    t: float
    route: str
    index: int
    fault: str | None
    latency: float
    retry: bool = False
    duplicate: bool = False


class _Callers:
    """Serial numbers for threads and tasks.

    A thread's ident (and a task's ``id``) is reused once it ends, and a new caller on a reused
    ident must not read as the old one retrying.
    """

    serial = itertools.count(1)
    local = threading.local()
    tasks: ClassVar[weakref.WeakKeyDictionary[Any, int]] = weakref.WeakKeyDictionary()


def caller_id() -> tuple[int, int]:
    """Who makes a call: the thread, and the asyncio task when one runs (serial numbers)."""
    thread: int | None = getattr(_Callers.local, "serial", None)
    if thread is None:
        thread = _Callers.local.serial = next(_Callers.serial)
    aio = sys.modules.get("asyncio")  # not imported: no task can be running
    if aio is None:
        return thread, 0
    try:
        task = aio.current_task()
    except RuntimeError:  # no running loop in this thread
        return thread, 0
    if task is None:
        return thread, 0
    serial = _Callers.tasks.get(task)
    if serial is None:
        serial = _Callers.tasks[task] = next(_Callers.serial)
    return thread, serial


@dataclass
class CallLog:
    """A route's calls and the figures drawn from them."""

    calls: list[ChaosCall] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)
    _by_key: dict[str, list[ChaosCall]] = field(default_factory=dict)

    def classify(self, key: str, caller: tuple[int, int]) -> tuple[bool, bool]:
        """``(retry, duplicate)`` for a call of ``key`` from ``caller`` (see :class:`ChaosCall`).

        A retry repeats the same caller's last call of this request after it failed; any other
        repeat is a duplicate (concurrent identical requests are not retries).
        """
        self._keys.add(key)
        earlier = self._by_key.get(key)
        if not earlier:
            return False, False
        for c in reversed(earlier):
            if c.caller == caller:
                return c.failed, not c.failed
        return False, True

    def add(self, call: ChaosCall) -> None:
        """Append ``call`` to the log (the route holds its lock)."""
        self.calls.append(call)
        self._by_key.setdefault(call.key, []).append(call)

    def seen(self, key: str) -> bool:
        """Whether a request with this key was seen before (then this call is a retry)."""
        if key in self._keys:
            return True
        self._keys.add(key)
        return False

    @property
    def call_count(self) -> int:
        """How many calls reached the route."""
        return len(self.calls)

    @property
    def retries(self) -> int:
        """Repeats of a request (method, URL and body; or args) by its caller after a failure."""
        return sum(1 for c in self.calls if c.retry)

    @property
    def duplicates(self) -> int:
        """Repeats that were not retries (concurrent identical requests, repeats after success)."""
        return sum(1 for c in self.calls if c.duplicate)

    @property
    def distinct_requests(self) -> int:
        """How many different requests were made."""
        return len(self._keys)

    @property
    def faults_fired(self) -> dict[str, int]:
        """How many times each fault fired, by name."""
        return dict(Counter(c.fault for c in self.calls if c.fault is not None))

    @property
    def virtual_latency(self) -> float:
        """The sum of injected latencies, in virtual seconds."""
        return sum(c.latency for c in self.calls)


def format_schedule(
    seed: int, calls: Sequence[ChaosCall], unmatched: Sequence[str], elapsed: float
) -> str:
    """A chaos's realised schedule as text, with what to pass to replay it."""
    faults = sum(1 for c in calls if c.fault is not None)
    lines = [
        f"chaos schedule (seed={seed}; replay: Chaos(seed={seed}) with the same "
        "routes, or the same --prodreal-seed): "
        f"{len(calls)} calls, {faults} faults, {elapsed:.3f} virtual s"
    ]
    lines += ["  " + c.describe() for c in calls]
    lines += [f"  UNMATCHED {u}" for u in unmatched]
    return "\n".join(lines)


def unexercised(routes: Iterable[Any]) -> list[str]:
    """A sentence for each route (of a chaos) whose configured faults never fired."""
    out = []
    for route in routes:
        if not route.has_faults:
            continue
        if not route.called:
            rules = "; ".join(r.describe() for r in route.rules) or "its faults"
            out.append(
                f"chaos route {route.name!r} was never called, so its faults ({rules}) "
                "never fired: remove it or make the code under test call it"
            )
        elif not route.faults_fired:
            out.append(
                f"chaos route {route.name!r} was called {route.call_count} time(s) but none "
                "of its faults fired: it proves nothing about failure handling (raise the "
                "rate, call it more, or change the seed)"
            )
    return out
