"""What one request left behind: its chaos calls, WARNING+ log records and other signals.

An :class:`Observer` attributes everything to the request that caused it through a context
variable: the soak runner sets it around each request (threads and asyncio tasks each see their
own), and the listeners read it where the event happens:

- chaos calls, through :meth:`Chaos.on_call <pytest_prodreal.chaos.Chaos.on_call>`;
- stdlib ``logging`` records at WARNING or above, through a handler on the root logger;
- structlog events at warning or above, through a processor put first in its chain (when
  structlog is imported; loggers cached before the soak keep their old chain);
- OpenTelemetry spans that ended with an event or an error status (when the global tracer
  provider is the SDK's), through a span processor;
- :func:`signal` calls: the user hook, for metrics or anything else that tells operators.

Library layer: imports no pytest; structlog and OpenTelemetry only when already imported.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LogEntry", "Observer", "Trace", "signal"]

_WARNING_NAMES = frozenset({"warning", "warn", "error", "exception", "critical", "fatal"})


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One record at WARNING or above: its level, logger name and (shortened) message."""

    level: int
    logger: str
    message: str


@dataclass(slots=True)
class Trace:
    """What happened during one request."""

    calls: list[Any] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)


_CURRENT: contextvars.ContextVar[Trace | None] = contextvars.ContextVar(
    "prodreal_operations_trace", default=None
)


def signal(what: str) -> None:
    """Tell the running soak (or observer) that the current request left a trace.

    The user hook for teams that alert on metrics or traces rather than logs: call it where
    your code increments a counter or emits an event (``signal("metric search_fallback")``).
    Outside a soak it does nothing.
    """
    trace = _CURRENT.get()
    if trace is not None:
        trace.signals.append(str(what))


# The running observers, innermost last: only the innermost one records, so an observer around
# a whole test and a soak's own observer inside it do not both count the same record.
_active: list[Observer] = []


def _innermost(observer: Observer) -> bool:
    return bool(_active) and _active[-1] is observer


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if not _innermost(self.observer):
            return
        trace = _CURRENT.get()
        if trace is None:
            trace = self.outside
        try:
            message = record.getMessage()
        except Exception:  # a bad format string in user code: still a record
            message = str(record.msg)
        trace.logs.append(LogEntry(record.levelno, record.name, message[:300]))

    def __init__(self, observer: Observer) -> None:
        super().__init__(logging.WARNING)
        self.observer = observer
        self.outside = observer.outside


def _structlog_processor(observer: Observer) -> Callable[[Any, str, Any], Any]:
    outside = observer.outside

    def record(logger: Any, method_name: str, event_dict: Any) -> Any:
        level = str(event_dict.get("level", method_name)).lower()
        if level in _WARNING_NAMES and _innermost(observer):
            trace = _CURRENT.get() or outside
            levelno = logging.getLevelName(level.upper())
            trace.logs.append(
                LogEntry(
                    levelno if isinstance(levelno, int) else logging.WARNING,
                    "structlog",
                    str(event_dict.get("event", ""))[:300],
                )
            )
        return event_dict

    return record


# One span processor per SDK tracer provider, attached once and left in place (the SDK offers no
# way to remove one): it only reads the context variable, so outside a soak it costs a lookup.
_otel_attached: set[int] = set()


def _attach_otel() -> bool:
    if "opentelemetry.sdk.trace" not in sys.modules:
        return False
    from opentelemetry import trace as otel_trace
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.trace import StatusCode

    provider = otel_trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        return False
    if id(provider) in _otel_attached:
        return True

    class _SpanSignals(SpanProcessor):
        def on_end(self, span: Any) -> None:
            trace = _CURRENT.get()
            if trace is None:
                return
            if span.status.status_code is StatusCode.ERROR:
                trace.signals.append(f"otel span {span.name!r} error status")
            for event in span.events:
                trace.signals.append(f"otel span {span.name!r} event {event.name!r}")

    provider.add_span_processor(_SpanSignals())
    _otel_attached.add(id(provider))
    return True


class Observer:
    """Attribute chaos calls, WARNING+ logs and signals to requests (see the module docs).

    ``with Observer(chaos) as obs:`` then ``with obs.request() as trace:`` around each request;
    what happens outside any request lands in :attr:`outside`.
    """

    def __init__(self, chaos: Any = None, *, logs: bool = True) -> None:
        self.chaos = chaos
        self.logs = logs
        self.outside = Trace()
        self._undo: list[Callable[[], None]] = []
        self.otel = False

    def start(self) -> Observer:
        """Attach the listeners; returns the observer."""
        outside = self.outside
        _active.append(self)
        self._undo.append(lambda: _active.remove(self))
        if self.logs:
            handler = _Handler(self)
            root = logging.getLogger()
            root.addHandler(handler)
            self._undo.append(lambda: root.removeHandler(handler))
        if self.chaos is not None:

            def on_call(call: Any) -> None:
                if _innermost(self):
                    (_CURRENT.get() or outside).calls.append(call)

            self._undo.append(self.chaos.on_call(on_call))
        structlog = sys.modules.get("structlog") if self.logs else None
        if structlog is not None:
            try:
                old = list(structlog.get_config()["processors"])
            except Exception:  # pragma: no cover - an unusual structlog setup
                old = None
            if old is not None:
                structlog.configure(processors=[_structlog_processor(self), *old])
                self._undo.append(lambda: structlog.configure(processors=old))
        self.otel = self.logs and _attach_otel()
        return self

    def stop(self) -> None:
        """Detach everything (safe to call twice)."""
        while self._undo:
            self._undo.pop()()

    def __enter__(self) -> Observer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def request(self) -> Iterator[Trace]:
        """Attribute what happens inside the block (this thread or task) to a new trace."""
        trace = Trace()
        token = _CURRENT.set(trace)
        try:
            yield trace
        finally:
            _CURRENT.reset(token)


def bind(trace: Trace) -> contextvars.Token[Trace | None]:
    """Make ``trace`` the current request's (for an asyncio task); reset with the token."""
    return _CURRENT.set(trace)


def unbind(token: contextvars.Token[Trace | None]) -> None:
    """Undo :func:`bind`."""
    _CURRENT.reset(token)
