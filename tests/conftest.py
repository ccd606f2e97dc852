"""Shared test helpers. Plugin behaviour is tested with ``pytester``, plain and under ``-n 2``."""

from __future__ import annotations

import contextlib

# pytester's in-process runs drop every module imported during the run. Hypothesis's pytest
# plugin imports the whole of hypothesis lazily at terminal-summary time, and since its
# distribution holds a pytest11 plugin, pytest assertion-rewrites all of it: re-doing that in
# every inner run cost ~2.5 s a run. Importing it here keeps it across inner runs.
import hypothesis.internal.observability  # noqa: F401
import pytest

# numpy cannot be imported a second time in one process ("cannot load module more than once per
# process"): when an inner run is the first to import it (presidio's spaCy does, through the docs
# examples), pytester drops it and every later import fails. Import it once, up front.
with contextlib.suppress(ImportError):  # the test extra installs presidio, which needs numpy
    import numpy  # noqa: F401

pytest_plugins = ["pytester"]


@pytest.fixture(params=["plain", "xdist"])
def xdist_args(request: pytest.FixtureRequest) -> list[str]:
    """Extra command-line arguments: none, or ``-n 2`` (pytest-xdist with two workers).

    Tests that take this fixture run twice, so every plugin behaviour is shown both ways.
    """
    return [] if request.param == "plain" else ["-n", "2"]


#: Options of every pytester inner run: pytest-asyncio's loop scope set (no warning), and
#: pytest-randomly off. randomly reseeds ``random`` (and Faker) and reorders tests in the runs it
#: joins, and prints its seed; the inner runs test our plugin, so they leave third-party plugins
#: they do not test out. The outer suite still runs under randomly (it must pass there too).
INNER_ADDOPTS = "-o asyncio_default_fixture_loop_scope=function -p no:randomly"


@pytest.fixture(autouse=True)
def _quiet_inner_runs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep pytester's inner runs free of pytest-asyncio's warning and of pytest-randomly.

    pytester clears ``PYTEST_ADDOPTS`` when it starts, so this sets it after pytester exists;
    ``-o`` overrides any ini file a test writes.
    """
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")
        monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS)
