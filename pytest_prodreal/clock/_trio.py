"""trio on the virtual clock: ``trio.run`` started while a clock runs gets a virtual trio clock.

trio does not read ``time.monotonic``: its run loop asks a ``trio.abc.Clock`` (``SystemClock``
binds the real ``time.perf_counter`` at import), so freezing time would leave its deadlines
unreachable and ``trio.run(trio.sleep, 0.001)`` would hang. While a
:class:`~pytest_prodreal.clock.VirtualClock` runs, ``trio.run`` and
``trio.lowlevel.start_guest_run`` called without a ``clock=`` get trio's own
``trio.testing.MockClock`` with ``autojump_threshold=0``, whose time *is* the virtual clock's:
when every trio task is blocked, the clock jumps to the next trio deadline (``trio.sleep``,
``trio.fail_after``, ``move_on_after``), and ``time.sleep``/``time.time`` inside trio tasks read the
same virtual time. A ``clock=`` the caller passes is left alone.

Known limit (trio's own, for autojump): real I/O under a trio timeout (a real socket to a real
server) may see the timeout jump ahead while the I/O is in flight; pass ``clock=`` to ``trio.run``
(or run that test without the virtual clock) for it. A trio first imported while the clock runs
(a lazy ``import trio`` in the code under test) is patched as its import finishes, through an
import hook that lives only as long as the clock.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import math
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._virtual import VirtualClock

__all__ = ["patch_trio"]


def _mock_clock(clock: VirtualClock) -> Any:
    from trio.testing import MockClock  # trio is imported already: the caller checked

    mock = MockClock(autojump_threshold=0)
    base = clock.elapsed

    def current_time() -> float:
        return clock.elapsed - base

    def jump(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time can't go backwards")
        clock._tick(math.ceil(seconds * 1_000_000))

    # MockClock is final (no subclass); its run-loop hooks look these up on the instance.
    mock.current_time = current_time  # type: ignore[method-assign]
    mock.jump = jump  # type: ignore[method-assign]
    return mock


def patch_trio(clock: VirtualClock) -> Callable[[], None]:
    """Make ``trio.run`` default to a virtual clock while ``clock`` runs; return the undo.

    If trio is not imported yet, an import hook patches it when (if ever) it is imported while
    the clock runs; the undo removes the hook and any patch it made.
    """
    undo = _patch_loaded(clock)
    if undo is not None:
        return undo
    hook = _ImportHook(clock)
    sys.meta_path.insert(0, hook)

    def remove() -> None:
        if hook in sys.meta_path:
            sys.meta_path.remove(hook)
        if hook.undo is not None:
            hook.undo()

    return remove


class _ImportHook(importlib.abc.MetaPathFinder):
    """Patches ``trio`` as soon as its import finishes (one string compare per other import)."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.busy = False
        self.undo: Callable[[], None] | None = None

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "trio" or self.busy or self.undo is not None:
            return None
        # Ask the finders after this one (never the import itself: a ``find_spec`` call that
        # does not import leaves the hook in place for the import that may follow).
        self.busy = True
        try:
            spec: importlib.machinery.ModuleSpec | None = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is not self and find is not None:
                    spec = find(fullname, path, target)
                    if spec is not None:
                        break
        finally:
            self.busy = False
        loader = spec.loader if spec is not None else None
        if spec is None or not isinstance(loader, importlib.abc.Loader):
            return spec
        spec.loader = _PatchingLoader(loader, self)
        return spec


class _PatchingLoader(importlib.abc.Loader):
    """The real loader, then the trio patch."""

    def __init__(self, loader: importlib.abc.Loader, hook: _ImportHook) -> None:
        self.loader, self.hook = loader, hook

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        if self.hook.clock.active:
            self.hook.undo = _patch_loaded(self.hook.clock)

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self.loader, name)


def _patch_loaded(clock: VirtualClock) -> Callable[[], None] | None:
    trio = sys.modules.get("trio")
    if trio is None or not hasattr(trio, "run"):
        return None
    lowlevel = getattr(trio, "lowlevel", None)
    originals: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, name: str) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return

        @functools.wraps(original)
        def with_virtual_clock(*args: Any, **kwargs: Any) -> Any:
            given = kwargs.pop("clock", None)
            if given is None and clock.active:
                given = _mock_clock(clock)
            return original(*args, clock=given, **kwargs)

        originals.append((owner, name, original))
        setattr(owner, name, with_virtual_clock)

    wrap(trio, "run")
    if lowlevel is not None:
        wrap(lowlevel, "start_guest_run")

    def undo() -> None:
        for owner, name, original in reversed(originals):
            setattr(owner, name, original)

    return undo
