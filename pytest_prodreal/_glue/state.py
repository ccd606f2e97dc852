"""pytest glue for the ``state`` category: the ``prodreal_concurrent`` marker.

``@pytest.mark.prodreal_concurrent(n=8)`` runs the whole test body ``n`` times at once (threads
for a sync test, tasks on the test's event loop for an async one) behind a start barrier, and
fails if any run fails or if the runs returned different values. The runs share the test's
fixtures (one ``tmp_path``, one client): that sharing is what exposes races.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import InvalidArgument
from .part import MarkerSpec, Part

if TYPE_CHECKING:
    from ..state import Outcomes

__all__ = ["ConcurrentSpec", "concurrent_spec"]

_MARKER = "prodreal_concurrent"
_MARKER_HELP = (
    f"{_MARKER}(n=8, *, concurrency=None, timeout=60.0): run the test body n times concurrently "
    "(threads; tasks for async tests) and fail if any run fails or the runs return different "
    "values. Records determinism evidence."
)


# Each run is a thread: beyond this the marker is a typo, not a load test.
_MAX_RUNS = 10_000


class ConcurrentSpec:
    """The validated arguments of one ``prodreal_concurrent`` marker."""

    __slots__ = ("concurrency", "n", "timeout")

    def __init__(self, n: int, concurrency: int | None, timeout: float) -> None:
        self.n = n
        self.concurrency = concurrency
        self.timeout = timeout


def concurrent_spec(mark: pytest.Mark) -> ConcurrentSpec:
    """Validate a ``prodreal_concurrent`` mark (raises ``InvalidArgument`` naming the fix)."""
    args = list(mark.args)
    kwargs = dict(mark.kwargs)
    if len(args) > 1:
        raise InvalidArgument(
            f"{_MARKER} takes at most one positional argument (n), got {len(args)}: "
            "write prodreal_concurrent(n=8, concurrency=4, timeout=60)"
        )
    if args:
        if "n" in kwargs:
            raise InvalidArgument(f"{_MARKER}: n given both positionally and by name")
        kwargs["n"] = args[0]
    unknown = sorted(set(kwargs) - {"n", "concurrency", "timeout"})
    if unknown:
        raise InvalidArgument(
            f"{_MARKER}: unknown argument(s) {', '.join(unknown)}; valid: n, concurrency, timeout"
        )
    n = kwargs.get("n", 8)
    concurrency = kwargs.get("concurrency")
    timeout = kwargs.get("timeout", 60.0)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidArgument(
            f"{_MARKER}: n must be a positive integer (how many concurrent runs), got {n!r}"
        )
    if n > _MAX_RUNS:
        raise InvalidArgument(
            f"{_MARKER}: n={n!r} is too large (at most {_MAX_RUNS:,} runs); use a smaller n"
        )
    if concurrency is not None and (
        isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1
    ):
        raise InvalidArgument(
            f"{_MARKER}: concurrency must be a positive integer or None (all n at once), "
            f"got {concurrency!r}"
        )
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not 0 < timeout < float("inf")
    ):
        raise InvalidArgument(
            f"{_MARKER}: timeout must be a positive, finite number of seconds per run, got "
            f"{timeout!r}; use e.g. timeout=60"
        )
    return ConcurrentSpec(n, concurrency, float(timeout))


def validate_marker(item: pytest.Item, marker: pytest.Mark) -> None:
    """Reject a malformed ``prodreal_concurrent`` marker (the plugin calls this at collection)."""
    try:
        concurrent_spec(marker)
    except InvalidArgument as exc:
        raise pytest.Collector.CollectError(f"{item.nodeid}: {exc}") from None
    # The marker declares ``determinism``: a body whose runs never overlapped (so recorded
    # nothing) then reads "declared only" in the checklist, never "verified" and never "missing".
    from .session import STATE_KEY

    state = item.config.stash.get(STATE_KEY, None)
    declared = any("determinism" in m.args for m in item.iter_markers("prodreal"))
    if state is not None and state.taxonomy.is_remedy("determinism") and not declared:
        item.add_marker(pytest.mark.prodreal("determinism"))


def _summarize(outcomes: Outcomes) -> None:
    """Fail the test unless every run passed and all agreed (the rule lives in the library)."""
    from ..state._judge import check_concurrent_runs

    __tracebackhide__ = True
    failed = [o for o in outcomes if not o.ok]
    if failed and len(failed) == len(outcomes):
        # Every run skipped (or xfailed) itself: so does the test as a whole.
        errors = [o.error for o in failed]
        for outcome_exception in (pytest.skip.Exception, pytest.xfail.Exception):
            if all(isinstance(e, outcome_exception) for e in errors):
                raise errors[0]  # type: ignore[misc]
    check_concurrent_runs(outcomes, _MARKER)


def _threaded(
    function: Callable[..., Any], spec: ConcurrentSpec, label: str, seed: int
) -> Callable[..., None]:
    from ..state import repeat

    def run_concurrently(**funcargs: Any) -> None:
        __tracebackhide__ = True
        outcomes = repeat(
            function,
            spec.n,
            concurrency=spec.concurrency,
            timeout=spec.timeout,
            kwargs=funcargs,
            label=label,
            seed=seed,
        )
        _summarize(outcomes)

    return run_concurrently


def _tasks(function: Callable[..., Any], spec: ConcurrentSpec, label: str) -> Callable[..., Any]:
    from ..state import arepeat

    async def run_concurrently(**funcargs: Any) -> None:
        __tracebackhide__ = True
        outcomes = await arepeat(
            function,
            spec.n,
            concurrency=spec.concurrency,
            timeout=spec.timeout,
            kwargs=funcargs,
            label=label,
        )
        _summarize(outcomes)

    return run_concurrently


class ConcurrentHooks:
    """The per-test hook of the ``prodreal_concurrent`` marker."""

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        """Run a ``prodreal_concurrent`` test's body n times at once; other tests are untouched."""
        __tracebackhide__ = True  # the user sees their own frames, not the glue
        mark = item.get_closest_marker(_MARKER) if isinstance(item, pytest.Function) else None
        if mark is None:
            return (yield)
        __tracebackhide__ = True
        assert isinstance(item, pytest.Function)
        spec = concurrent_spec(mark)
        original = item.obj
        label = f"{_MARKER} {item.name}"
        # Swap the test function before ``runtest`` reads it: pytest (or pytest-asyncio, which wraps
        # coroutines at that point) then calls the fan-out with the test's fixture values.
        if inspect.iscoroutinefunction(original):
            item.obj = _tasks(original, spec, label)
        else:
            from ..seeding import derive_seed
            from .session import get_state

            seed = derive_seed(get_state(item.config).seed, item.nodeid, _MARKER)
            item.obj = _threaded(original, spec, label, seed)
        try:
            return (yield)
        finally:
            item.obj = original


#: The state part: :class:`ConcurrentHooks` is registered only when a collected test carries
#: ``prodreal_concurrent``.
PART = Part(
    name="state",
    markers=(MarkerSpec(_MARKER, _MARKER_HELP, validate_marker),),
    per_test=ConcurrentHooks,
)
