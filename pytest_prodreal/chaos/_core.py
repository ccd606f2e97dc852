"""The :class:`Chaos` object: routes, wrapped callables, the schedule and the lifecycle."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import threading
import warnings
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import InvalidArgument, ProdrealWarning
from ._faults import check_seconds
from ._guard import Guard
from ._log import ChaosCall, ScheduleEntry, format_schedule, unexercised
from ._route import CallableRoute, Target

if TYPE_CHECKING:
    from ..clock._virtual import VirtualClock
    from ._http import HttpRoute
    from ._transport import ChaosRouter

__all__ = ["Chaos", "UnmatchedRequestError", "current_chaos"]

F = TypeVar("F", bound=Callable[..., Any])

_stack: list[Chaos] = []
_INHERITED = object()  # marks a patched attribute that was not the target's own
_stack_lock = threading.Lock()


def current_chaos() -> Chaos | None:
    """The innermost running :class:`Chaos`, or ``None``."""
    with _stack_lock:
        return _stack[-1] if _stack else None


class UnmatchedRequestError(AssertionError):
    """Requests reached no chaos route: a test must never touch the real network."""


class Chaos:
    """Seeded chaos for httpx and httpx2 clients (sync and async) and for any callable.

    Use it as a context manager (``with``/``async with``), a decorator, or the ``chaos``
    fixture. While it runs, *every* request from an httpx or httpx2 client goes to its routes;
    a request no route matches fails naming its method and URL, and fails the ``with`` block at
    exit even when the client swallowed the error (anthropic turns it into a retried
    ``APIConnectionError``).

    ``seed`` fixes every random choice (each route draws from its own generator, seeded from
    ``seed`` and the route's name). ``clock`` is the virtual clock latency and back-off advance
    (default: the running :func:`~pytest_prodreal.clock.current_clock`); with no clock, latency
    is *counted* (in :attr:`elapsed`) but not waited. ``hang_s`` is how long a fault that never
    answers waits when the client set no timeout at all. ``warn_unexercised`` warns at exit about
    routes whose faults never fired (they prove nothing).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: VirtualClock | None = None,
        hang_s: float = 3600.0,
        warn_unexercised: bool = True,
        network_guard: bool = True,
        allow_loopback: bool = False,
        allow_hosts: Iterable[str] = (),
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidArgument(f"Chaos(seed={seed!r}): the seed must be an int")
        if isinstance(allow_hosts, str):
            raise InvalidArgument(
                f"Chaos(allow_hosts={allow_hosts!r}): pass a list of hosts, e.g. ['localhost']"
            )
        self._guard: Guard | None = (
            Guard(allow_loopback=allow_loopback, hosts=allow_hosts, owner="Chaos")
            if network_guard
            else None
        )
        self.seed = seed
        self._clock = clock
        self.hang_s = check_seconds(hang_s, "hang_s")
        self.warn_unexercised = warn_unexercised
        self.routes: dict[str, Target] = {}
        self._calls: list[ChaosCall] = []
        self._calls_lock = threading.Lock()
        self._unmatched: list[str] = []
        # "METHOD URL" -> "host H, port P, client C", for the teardown message.
        self._unmatched_where: dict[str, str] = {}
        self._router: ChaosRouter | None = None
        self._patches: list[tuple[Any, str, Any]] = []
        self._running = False
        self._t0 = 0.0
        self._offset = 0.0  # latency counted without a clock

    # -- time ---------------------------------------------------------------------------------

    @property
    def clock(self) -> VirtualClock | None:
        """The virtual clock in use (given, or the one running when the chaos started)."""
        return self._clock

    def _clock_now(self) -> float:
        clock = self._clock
        if clock is not None:
            return clock.elapsed  # kept after the clock stops, so figures stay readable
        return self._offset

    def _now(self) -> float:
        """Virtual seconds since this chaos started."""
        return self._clock_now() - self._t0

    @property
    def elapsed(self) -> float:
        """Virtual seconds since the chaos started (latency and back-off included)."""
        return self._now()

    def _sleep(self, seconds: float) -> None:
        clock = self._clock
        if clock is not None and clock.active:
            clock.sleep(seconds)
        else:
            self._offset += seconds

    async def _async_sleep(self, seconds: float) -> None:
        clock = self._clock
        if clock is not None and clock.active:
            await clock.async_sleep(seconds)
        else:
            self._offset += seconds

    # -- routes -------------------------------------------------------------------------------

    def _unique(self, name: str) -> str:
        if name not in self.routes:
            return name
        n = 2
        while f"{name}#{n}" in self.routes:
            n += 1
        return f"{name}#{n}"

    def _check_name(self, name: object, where: str) -> None:
        if name is None:
            return
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"{where}: name={name!r} must be a non-empty string")
        if name in self.routes:
            raise InvalidArgument(
                f"{where}: name={name!r} is already a route of this chaos; give each route its "
                "own name (the name seeds its faults and labels its calls)"
            )

    def _ensure_router(self) -> ChaosRouter:
        if self._router is None:
            if importlib.util.find_spec("respx") is None:  # pragma: no cover - respx is installed
                raise InvalidArgument(
                    "HTTP chaos needs respx and httpx: pip install 'pytest-prodreal[chaos]'"
                )
            from ._transport import ChaosRouter

            self._router = ChaosRouter(self)
            if self._running:
                self._router.start()
        return self._router

    def route(
        self,
        method: str | None = None,
        url: str | None = None,
        *,
        name: str | None = None,
        status: int = 200,
        json: Any = None,
        text: str | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        respond: Callable[[Any], Any] | None = None,
        **patterns: Any,
    ) -> HttpRoute:
        """Add an HTTP route and return it; configure its faults on the result.

        ``method`` and ``url`` (and any other respx pattern keyword, such as ``url__regex=``,
        ``host=``, ``path__startswith=``) choose the requests; the healthy response is
        ``status`` with ``json``/``text``/``content`` and ``headers``, or ``respond(request)``.
        Routes are tried in the order they were added.
        """
        from ._http import build_route
        from ._routeargs import check_route_args

        check_route_args(method, url, respond, patterns)
        self._check_name(name, "chaos.route")
        what = url if url is not None else ", ".join(f"{k}={v!r}" for k, v in patterns.items())
        label = name or " ".join(x for x in (method and method.upper(), what) if x) or "any request"
        route = build_route(
            self,
            self._ensure_router(),
            method,
            url,
            self._unique(label),
            status=status,
            headers=headers,
            json=json,
            text=text,
            content=content,
            respond=respond,
            patterns=patterns,
        )
        self.routes[route.name] = route
        return route

    def get(self, url: str | None = None, **kwargs: Any) -> HttpRoute:
        """``route("GET", url, ...)``."""
        return self.route("GET", url, **kwargs)

    def post(self, url: str | None = None, **kwargs: Any) -> HttpRoute:
        """``route("POST", url, ...)``."""
        return self.route("POST", url, **kwargs)

    def wrap(
        self, fn: Callable[..., Any], *, name: str | None = None, timeout: float | None = None
    ) -> CallableRoute:
        """Wrap any callable (sync or async) in the same faults; returns the callable route.

        ``timeout`` plays the client's timeout: latency above it becomes ``TimeoutError`` after
        exactly ``timeout`` virtual seconds.
        """
        self._check_name(name, "chaos.wrap")
        label = name or getattr(fn, "__qualname__", None) or repr(fn)
        route = CallableRoute(self, fn, self._unique(str(label)), timeout)
        self.routes[route.name] = route
        return route

    def patch(
        self,
        target: Any,
        attribute: str,
        *,
        name: str | None = None,
        timeout: float | None = None,
    ) -> CallableRoute:
        """Replace ``target.attribute`` (a method or function) by its chaos-wrapped version.

        Restored when the chaos stops. Patch a class to reach every instance, or one object.
        """
        if not isinstance(attribute, str) or not hasattr(target, attribute):
            raise InvalidArgument(f"chaos.patch: {target!r} has no attribute {attribute!r} to wrap")
        if isinstance(target, type) and not target.__flags__ & (1 << 9):  # Py_TPFLAGS_HEAPTYPE
            raise InvalidArgument(
                f"chaos.patch: {target.__name__} is a built-in type, which cannot be patched; "
                f"wrap the callable instead: chaos.wrap(obj.{attribute}) and call the result, or "
                "patch the class or module of your own code that calls it"
            )
        original = inspect.getattr_static(target, attribute)
        # Restore by deleting when the attribute was inherited (a method patched on one object
        # lives in its class): setting the plain function back on the object would unbind it.
        own = attribute in getattr(target, "__dict__", {})
        bound = getattr(target, attribute)
        if isinstance(target, type) and not isinstance(original, (staticmethod, classmethod)):
            fn = original
            route = self.wrap(fn, name=name or f"{target.__name__}.{attribute}", timeout=timeout)

            def method(obj: Any, *args: Any, **kwargs: Any) -> Any:
                return route(obj, *args, **kwargs)

            if route.is_async:

                async def amethod(obj: Any, *args: Any, **kwargs: Any) -> Any:
                    return await route(obj, *args, **kwargs)

                setattr(target, attribute, functools.wraps(fn)(amethod))
            else:
                setattr(target, attribute, functools.wraps(fn)(method))
        else:
            route = self.wrap(bound, name=name or attribute, timeout=timeout)
            setattr(target, attribute, route)
        self._patches.append((target, attribute, original if own else _INHERITED))
        return route

    def allow_hosts(self, *hosts: str) -> Chaos:
        """Let unrouted connections to these hosts (names or IP addresses) through the guard.

        For a server the test runs itself: ``chaos.allow_hosts("localhost", "127.0.0.1")``.
        """
        if self._guard is None:
            raise InvalidArgument(
                "chaos.allow_hosts: this Chaos runs without its network guard "
                "(network_guard=False), so every host is already reachable"
            )
        self._guard.allow(*hosts)
        return self

    def _lets_through(self, host: str) -> bool:
        """Whether an unrouted request to ``host`` may go to the real network."""
        return self._guard is not None and self._guard.allows(host)

    def scenario(self, name: str, **options: Any) -> Chaos:
        """Apply a named scenario to every route added so far (see ``SCENARIOS``)."""
        from ._scenarios import check_scenario

        check_scenario(name)
        if not self.routes:
            raise InvalidArgument(
                f"chaos.scenario({name!r}): add routes first (chaos.route(...) or chaos.wrap(...)),"
                " then apply the scenario to them"
            )
        for route in list(self.routes.values()):
            if not route.name.endswith(":token"):
                route.scenario(name, **options)
        return self

    # -- the log ------------------------------------------------------------------------------

    #: Functions told of each call as it is logged (see :meth:`on_call`); a tuple, swapped whole.
    _listeners: tuple[Callable[[ChaosCall], None], ...] = ()

    def _note(self, call: ChaosCall) -> None:
        with self._calls_lock:
            self._calls.append(call)
        for listener in self._listeners:
            listener(call)

    def on_call(self, listener: Callable[[ChaosCall], None]) -> Callable[[], None]:
        """Call ``listener(call)`` for each call as it is logged; returns the function undoing it.

        The listener runs in the caller's thread and context (so a ``contextvars`` value set by
        whoever made the request is visible: the soak runner attributes calls to requests this
        way), while the route's lock is held: keep it short and do not call routes from it. The
        call's ``response``/``error`` are filled in after it returns.
        """
        self._listeners = (*self._listeners, listener)

        def remove() -> None:
            self._listeners = tuple(x for x in self._listeners if x is not listener)

        return remove

    def _unmatched_message(self, method: str, url: str, where: str = "") -> str:
        text = f"{method} {url}" + (f" ({where})" if where else "")
        known = ", ".join(self.routes) or "none yet"
        return (
            f"chaos: no route matches {text}; no test may reach the real network. "
            f"Add chaos.route({method!r}, {url!r}, ...). Routes: {known}"
        )

    def _where(self, unmatched: str) -> str:
        where = self._unmatched_where.get(unmatched)
        return f"{unmatched} ({where})" if where else unmatched

    @property
    def calls(self) -> list[ChaosCall]:
        """Every call of every route, in the order they arrived."""
        with self._calls_lock:
            return list(self._calls)

    @property
    def unmatched(self) -> list[str]:
        """``"METHOD URL"`` of each request that matched no route."""
        return list(self._unmatched)

    @property
    def faults_fired(self) -> int:
        """How many faults fired across all routes (latency alone is not a fault)."""
        return sum(1 for c in self.calls if c.fault is not None)

    @property
    def exercised(self) -> bool:
        """Whether at least one fault fired: only then can a test count as chaos evidence."""
        return self.faults_fired > 0

    def schedule(self) -> list[ScheduleEntry]:
        """The realised schedule: each call's virtual time, route, latency and fault."""
        return [
            ScheduleEntry(c.t, c.route, c.index, c.fault, c.latency, c.retry, c.duplicate)
            for c in self.calls
        ]

    def format_schedule(self) -> str:
        """The realised schedule as text, with what to pass to replay it."""
        return format_schedule(self.seed, self.calls, self._unmatched, self.elapsed)

    def unexercised(self) -> list[str]:
        """A sentence for each route whose configured faults never fired."""
        return unexercised(self.routes.values())

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Chaos:
        """Start intercepting; returns the chaos (a stopped chaos may start again)."""
        if self._running:
            raise InvalidArgument("this Chaos is already running: start it once")
        if self._clock is None:
            from ..clock._virtual import current_clock

            self._clock = current_clock()
        self._t0 = self._clock_now()
        if importlib.util.find_spec("respx") is not None:
            self._ensure_router().start()
        from ._clients import start_clients
        from ._jitter import acquire

        start_clients()
        acquire(self, self.seed)  # the SDKs' retry jitter, from the seed (not global random)
        if self._guard is not None:
            self._guard.blocked.clear()
            self._guard.start()
        self._running = True
        with _stack_lock:
            _stack.append(self)
        return self

    def stop(self, *, check: bool = True) -> None:
        """Stop intercepting, undo patches; then raise for unmatched requests (if ``check``)."""
        if not self._running:
            return
        self._running = False
        with _stack_lock:
            if self in _stack:
                _stack.remove(self)
        try:
            if self._guard is not None:
                self._guard.stop()
            from ._clients import stop_clients
            from ._jitter import release

            release(self)
            stop_clients()
            if self._router is not None:
                self._router.stop()
        finally:
            while self._patches:
                target, attribute, original = self._patches.pop()
                if original is _INHERITED:
                    delattr(target, attribute)
                else:
                    setattr(target, attribute, original)
        if not check:
            return
        blocked = self._guard.blocked if self._guard is not None else []
        if blocked:
            raise UnmatchedRequestError(
                f"chaos: the network guard blocked {len(blocked)} connection(s) (tests must not "
                f"reach the network; add a route or allow the host): "
                f"{'; '.join(dict.fromkeys(blocked))}"
            )
        if self._unmatched:
            raise UnmatchedRequestError(
                f"chaos: {len(self._unmatched)} request(s) matched no route (tests must not reach "
                f"the real network): {'; '.join(dict.fromkeys(map(self._where, self._unmatched)))}"
            )
        responders = {id(r): r for r in (getattr(t, "respond", None) for t in self.routes.values())}
        for responder in responders.values():  # recorded responses never requested (cassettes)
            report = getattr(responder, "report", None)
            for text in report() if callable(report) else ():
                warnings.warn(text, ProdrealWarning, stacklevel=3)
        if self.warn_unexercised:
            for text in self.unexercised():
                warnings.warn(text, ProdrealWarning, stacklevel=3)

    @property
    def running(self) -> bool:
        """Whether the chaos is intercepting now."""
        return self._running

    def __enter__(self) -> Chaos:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop(check=exc_type is None)

    async def __aenter__(self) -> Chaos:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop(check=exc_type is None)

    def __call__(self, func: F) -> F:
        """Decorate a function (sync or async): it runs under this chaos.

        A parameter named ``chaos`` receives the chaos object.
        """
        wants = "chaos" in inspect.signature(func).parameters

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def awrapper(*args: Any, **kwargs: Any) -> Any:
                async with self:
                    if wants:
                        kwargs["chaos"] = self
                    return await func(*args, **kwargs)

            return cast(F, awrapper)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                if wants:
                    kwargs["chaos"] = self
                return func(*args, **kwargs)

        return cast(F, wrapper)

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return (
            f"<Chaos seed={self.seed} routes={len(self.routes)} calls={len(self._calls)} "
            f"faults={self.faults_fired} {state}>"
        )
