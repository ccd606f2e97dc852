"""The ``chaos`` fixture: :class:`~pytest_prodreal.chaos.Chaos` on the test's clock and seed.

Inert until asked: importing this module imports neither respx nor httpx; the per-test hook
is registered only when a collected test uses the fixture.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .part import Part
from .session import get_state

if TYPE_CHECKING:
    from ..chaos import Chaos

__all__ = ["chaos"]

_CHAOS_KEY = pytest.StashKey["Chaos"]()
_FAILED_KEY = pytest.StashKey[bool]()


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

    ch = Chaos(seed=prodreal_seed, clock=prodreal_clock)
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


#: The chaos part: its hooks are registered only when a collected test uses the fixture.
PART = Part(name="chaos", fixtures=frozenset({"chaos"}), per_test=ChaosHooks)
