"""Log capture for the canaries: every record a logger emits, whatever its propagation.

A handler on the root logger misses every logger with ``propagate = False`` (and those under
it), so capture hooks :meth:`logging.Logger.callHandlers` instead: every record that passed its
logger's level and filters goes through it exactly once, whichever handlers (or none: the
last-resort handler) then receive it. The hook is installed when the first capture starts and
removed when the last one stops; while any capture runs, the root logger is lowered to DEBUG so
loggers that inherit their level emit every level.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["LogCapture"]

_CallHandlers = Callable[[logging.Logger, logging.LogRecord], None]

_lock = threading.Lock()
_active: list[LogCapture] = []
# The hook of the current installation, what it replaced, and the root level it replaced.
_hook: _CallHandlers | None = None
_replaced: _CallHandlers | None = None
_root_level = logging.NOTSET


def _record_text(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:  # a broken format string: keep what there is
        text = f"{record.msg} {record.args}"
    exc_text = record.exc_text
    if not exc_text and record.exc_info:
        # No handler formatted the traceback (a NullHandler): it is still what was logged.
        try:
            exc_text = logging.Formatter().formatException(record.exc_info)
        except Exception:
            exc_text = repr(record.exc_info[1])
    if exc_text:
        text += "\n" + exc_text
    if record.stack_info:
        text += "\n" + record.stack_info
    return text


def _install() -> None:
    global _hook, _replaced, _root_level
    previous = logging.Logger.callHandlers

    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        try:
            previous(self, record)
        finally:
            # Read after the handlers ran: a filter that redacts a record in place has redacted
            # it. A hook left behind in someone else's chain (see _uninstall) only passes on.
            if _hook is call_handlers:
                for capture in tuple(_active):
                    capture.add(record)

    _hook, _replaced = call_handlers, previous
    logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
    root = logging.getLogger()
    _root_level = root.level
    root.setLevel(logging.DEBUG)


def _uninstall() -> None:
    global _hook, _replaced
    # Restore exactly what was there, unless someone hooked callHandlers over ours meanwhile:
    # then ours stays in their chain, passing records on and capturing nothing.
    if logging.Logger.callHandlers is _hook and _replaced is not None:
        logging.Logger.callHandlers = _replaced  # type: ignore[method-assign,assignment]
    _hook, _replaced = None, None
    logging.getLogger().setLevel(_root_level)


class LogCapture:
    """Every record emitted between :meth:`start` and :meth:`stop`, as ``records``.

    ``records`` holds ``(logger, level, message)``; captures may nest and overlap, across threads.
    """

    def __init__(self) -> None:
        self.records: list[tuple[str, str, str]] = []

    def start(self) -> None:
        """Start capturing (again: the records are kept)."""
        with _lock:
            if self in _active:
                return
            _active.append(self)
            if len(_active) == 1:
                _install()

    def stop(self) -> None:
        """Stop capturing; what was captured stays readable."""
        with _lock:
            if self not in _active:
                return
            _active.remove(self)
            if not _active:
                _uninstall()

    def add(self, record: logging.LogRecord) -> None:
        """Keep one record (called by the hook)."""
        self.records.append((record.name, record.levelname, _record_text(record)))
