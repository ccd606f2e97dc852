"""pytest-prodreal's pytest plugin: one line per hook, each delegating to the glue layer.

Registered through the ``pytest11`` entry point named ``prodreal``, so ``-p no:prodreal`` turns
everything off. Importing this module imports no optional dependency (respx, freezegun,
Hypothesis, Faker): features import them when used. The parts of the product (clock, chaos,
inputs, state, ...) are wired from their ``PART`` records by ``_glue.parts``.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from ._glue import configure as _configure
from ._glue import settings as _settings
from ._glue import walk as _walk
from ._glue.fixtures import prodreal_random, prodreal_seed

__all__ = ["prodreal_random", "prodreal_seed"]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add our hookspecs and register every part's glue module."""
    _configure.add_hooks(pluginmanager)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register every ``--prodreal-*`` option and its ini twin (one table)."""
    _settings.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Build the taxonomy, parse the settings and create the session state."""
    _configure.configure(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Restore what an outer session had (pytester runs sessions in one process)."""
    _configure.unconfigure(config)


def pytest_report_header(config: pytest.Config) -> str | None:
    """Print the run seed, and how to reproduce it, when the plugin is active."""
    return _configure.report_header(config)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Fail collection of a module whose tests carry a misused marker of ours."""
    return (yield from _walk.validate_collected(collector))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> Generator[None, None, None]:
    """On the final items: check hook-added markers, register the parts' per-test hooks."""
    return (yield from _walk.finish_collection(session, config, items))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Build and write the report and apply the gates (controller or plain run only)."""
    _configure.session_finish(session)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the checklist and gate results."""
    _configure.terminal_summary(terminalreporter)
