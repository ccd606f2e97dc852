"""pytest glue for ``operations``: the ``prodreal_soak`` fixture and the observability marker.

``prodreal_soak(call, inputs, ...)`` is :func:`pytest_prodreal.operations.soak` bound to the
test: the virtual clock (``prodreal_clock``), the test's seed (``prodreal_seed``) for arrivals,
and progress on pytest's terminal for long soaks (quiet under ``-q`` and on xdist workers);
``await prodreal_soak.asoak(...)`` is the async twin. ``@pytest.mark.prodreal_observability``
applies :func:`~pytest_prodreal.operations.check_observability` to the whole test: to every
soak run through the fixture, and to the test body outside them as one request.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from .part import MarkerSpec, Part

if TYPE_CHECKING:
    from ..operations import SoakProgress, SoakResult

__all__ = ["ProdrealSoak", "prodreal_soak"]

_FIXTURE = "prodreal_soak"
_MARKER = "prodreal_observability"
_MARKER_HELP = (
    f"{_MARKER}(max_noise=None): fail the test when a fault fired on a chaos route, a retry, "
    "a fallback or a zero-hit retrieval left no WARNING+ log, span event or signal() during "
    "its request (each prodreal_soak request; the rest of the test body as one request)."
)


class _TerminalProgress:
    """Progress lines on pytest's terminal, past output capture (rewritten in place on a tty)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.reporter = config.pluginmanager.get_plugin("terminalreporter")
        self.capture = config.pluginmanager.get_plugin("capturemanager")

    def __call__(self, progress: SoakProgress) -> None:
        reporter = self.reporter
        if reporter is None:
            return
        tty = bool(getattr(reporter, "isatty", False))
        text = progress.line()
        disabled = self.capture.global_and_fixture_disabled() if self.capture is not None else None
        if disabled is not None:
            disabled.__enter__()
        try:
            if tty:
                reporter.write("\r" + text + (" done\n" if progress.final else ""), flush=True)
            else:
                reporter.ensure_newline()
                reporter.write_line(text)
        finally:
            if disabled is not None:
                disabled.__exit__(None, None, None)


class ProdrealSoak:
    """The ``prodreal_soak`` fixture's value: ``soak`` / ``asoak`` bound to the test.

    Call it like :func:`pytest_prodreal.operations.soak` (the seed defaults to the test's, the
    progress to the terminal); every result is kept in :attr:`results`.
    """

    def __init__(self, seed: int, clock: Any, progress: Any) -> None:
        self.seed = seed
        self.clock = clock
        self.progress = progress
        self.results: list[SoakResult] = []

    def _defaults(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs.setdefault("seed", self.seed)
        kwargs.setdefault("clock", self.clock)
        kwargs.setdefault("progress", self.progress)
        return kwargs

    def __call__(self, call: Any, inputs: Any, **kwargs: Any) -> SoakResult:
        """Run :func:`~pytest_prodreal.operations.soak` on the test's clock and seed."""
        __tracebackhide__ = True
        from ..operations import soak

        result = soak(call, inputs, **self._defaults(kwargs))
        self.results.append(result)
        return result

    async def asoak(self, call: Any, inputs: Any, **kwargs: Any) -> SoakResult:
        """Run :func:`~pytest_prodreal.operations.asoak` on the test's clock and seed."""
        __tracebackhide__ = True
        from ..operations import asoak

        result = await asoak(call, inputs, **self._defaults(kwargs))
        self.results.append(result)
        return result


@pytest.fixture
def prodreal_soak(
    request: pytest.FixtureRequest, prodreal_clock: Any, prodreal_seed: int
) -> ProdrealSoak:
    """A soak runner bound to this test (``pytest_prodreal.operations.soak``).

    ``prodreal_soak(call, inputs, duration=... or requests=..., arrivals=Poisson(0.1), ...)``
    drives ``call`` over ``inputs`` on the test's virtual clock under whatever chaos routes
    are active, with arrivals seeded from ``prodreal_seed``; ``await
    prodreal_soak.asoak(...)`` for async calls. A soak running over two seconds shows
    progress on the terminal (not under ``-q`` nor on xdist workers).
    """
    config = request.config
    quiet = config.get_verbosity() < 0 or hasattr(config, "workerinput")
    return ProdrealSoak(prodreal_seed, prodreal_clock, None if quiet else _TerminalProgress(config))


def _max_noise(item: pytest.Item, mark: pytest.Mark) -> int | None:
    unknown = sorted(set(mark.kwargs) - {"max_noise"})
    value = mark.kwargs.get("max_noise")
    if (
        mark.args
        or unknown
        or not (
            value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)
        )
    ):
        given = [*map(repr, mark.args), *(f"{k}={v!r}" for k, v in mark.kwargs.items())]
        raise pytest.Collector.CollectError(
            f"{item.nodeid}: @pytest.mark.{_MARKER} takes only max_noise=<int >= 0 or None>, "
            f"got {', '.join(given)}"
        )
    return value


def validate_marker(item: pytest.Item, mark: pytest.Mark) -> None:
    """Reject a malformed ``prodreal_observability`` marker at collection."""
    _max_noise(item, mark)


class ObservabilityHooks:
    """Observe a ``prodreal_observability`` test's body and check it when it passed."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        """Attribute the test body's chaos calls and logs; check them with the soaks' requests."""
        __tracebackhide__ = True  # the user sees their own frames, not the glue
        mark = item.get_closest_marker(_MARKER)
        if mark is None:
            return (yield)
        __tracebackhide__ = True
        from ..chaos import current_chaos
        from ..operations import Observer, Request, check_observability

        obs = Observer(current_chaos()).start()
        try:
            with obs.request() as trace:
                outcome = yield
        finally:
            obs.stop()
        requests: list[Request] = []
        runner = getattr(item, "funcargs", {}).get(_FIXTURE)
        if isinstance(runner, ProdrealSoak):
            for result in runner.results:
                requests.extend(result.requests)
        body = Request(-1, item.name, 0.0, 0.0, 0.0, "success")
        body.calls, body.logs, body.signals = (
            trace.calls + obs.outside.calls,
            trace.logs + obs.outside.logs,
            trace.signals,
        )
        requests.append(body)
        check_observability(requests, max_noise=_max_noise(item, mark), check=_MARKER)
        return outcome


#: The operations part: the observability hook is registered only when a collected test
#: carries the marker; the fixture needs no per-test hook.
PART = Part(
    name="operations",
    markers=(MarkerSpec(_MARKER, _MARKER_HELP, validate_marker),),
    fixtures=frozenset({_FIXTURE}),
    per_test=ObservabilityHooks,
)
