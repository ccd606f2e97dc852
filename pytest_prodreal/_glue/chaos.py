"""The ``chaos`` fixture: :class:`~pytest_prodreal.chaos.Chaos` on the test's clock and seed.

Inert until asked: importing this module imports neither respx nor httpx; the per-test hook
is registered only when a collected test uses the fixture.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .part import Part
from .session import STATE_KEY, get_state

if TYPE_CHECKING:
    from ..chaos import Chaos
    from ..chaos._guard import Guard

__all__ = ["chaos"]

_CHAOS_KEY = pytest.StashKey["Chaos"]()
_FAILED_KEY = pytest.StashKey[bool]()
_GUARD_KEY: pytest.StashKey[Guard] = pytest.StashKey()


@pytest.fixture
def chaos(
    request: pytest.FixtureRequest, prodreal_clock: Any, prodreal_seed: int
) -> Iterator[Chaos]:
    """Seeded HTTP and callable chaos on the virtual clock (``pytest_prodreal.chaos.Chaos``).

    Every request from an httpx or httpx2 client (sync or async; the openai and anthropic SDKs
    included) goes to the routes you add with ``chaos.route(...)``; an unmatched request fails
    the test naming its method and URL. Latency and back-off advance ``prodreal_clock``; faults
    draw from the test's ``prodreal_seed``. At teardown, a route whose faults never fired gives
    a ``ProdrealWarning`` (it proves nothing), and a failing test's report shows the realised
    fault schedule with the seed to replay it.
    """
    from ..chaos import Chaos

    settings = get_state(request.config).settings
    loopback = settings is not None and settings.allow_loopback
    ch = Chaos(seed=prodreal_seed, clock=prodreal_clock, allow_loopback=loopback)
    ch.start()
    request.node.stash[_CHAOS_KEY] = ch
    try:
        yield ch
    finally:
        # Once the test failed, its failure says enough: do not pile teardown errors on it.
        ch.stop(check=not request.node.stash.get(_FAILED_KEY, False))


class ChaosHooks:
    """Attach the realised fault schedule to the reports of failing chaos tests."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Attach the chaos schedule to a failing test's report (nothing for other tests)."""
        report = yield
        ch = item.stash.get(_CHAOS_KEY, None)
        if ch is None:
            return report
        if report.failed:
            item.stash[_FAILED_KEY] = True
            try:
                run_seed: object = get_state(item.config).seed
            except KeyError:  # pragma: no cover - the plugin always configures its state
                run_seed = "?"
            text = (
                ch.format_schedule() + f"\nreplay this test's schedule: --prodreal-seed={run_seed}"
            )
            report.sections.append((f"prodreal chaos ({report.when})", text))
        return report


class NetworkGuardHooks:
    """``--prodreal-network-guard``: the network guard around every test's setup, call, teardown.

    A blocked attempt raises at once; at teardown the test errors listing every blocked attempt,
    even ones the client swallowed. Only AF_INET/AF_INET6 sockets are guarded, so xdist's
    execnet channels (pipes) and asyncio's socket pairs keep working.
    """

    def __init__(self, allow_loopback: bool) -> None:
        self.allow_loopback = allow_loopback

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        """Start the guard before any fixture runs."""
        from ..chaos._guard import Guard

        guard = Guard(allow_loopback=self.allow_loopback, owner="--prodreal-network-guard")
        item.stash[_GUARD_KEY] = guard
        guard.start()
        return (yield)

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        """Stop the guard after the last fixture; fail the test for what it blocked."""
        try:
            return (yield)
        finally:
            guard = item.stash.get(_GUARD_KEY, None)
            if guard is not None:
                del item.stash[_GUARD_KEY]
                guard.stop()
                if guard.blocked:
                    raise AssertionError(
                        "the network guard (--prodreal-network-guard / ini "
                        f"prodreal_network_guard) blocked {len(guard.blocked)} network "
                        f"connection(s): {'; '.join(dict.fromkeys(guard.blocked))}. Route them "
                        "with the chaos fixture, or pass --prodreal-allow-loopback (ini "
                        "prodreal_allow_loopback) for a local server"
                    )


def pytest_configure(config: pytest.Config) -> None:
    """Turn the session-wide network guard on when asked (nothing to do otherwise)."""
    state = config.stash.get(STATE_KEY, None)
    settings = state.settings if state is not None else None
    if settings is not None and settings.network_guard:
        name = "prodreal-network-guard"
        if not config.pluginmanager.has_plugin(name):
            config.pluginmanager.register(NetworkGuardHooks(settings.allow_loopback), name)


#: The chaos part: its hooks are registered only when a collected test uses the fixture.
PART = Part(name="chaos", fixtures=frozenset({"chaos"}), per_test=ChaosHooks)
