"""pytest-prodreal's pytest plugin: wires pytest's hooks to the glue layer.

Registered through the ``pytest11`` entry point named ``prodreal``, so ``-p no:prodreal`` turns
everything off. Importing this module imports no optional dependency (respx, freezegun,
Hypothesis, Faker): features import them when used.
"""

from __future__ import annotations

import importlib

import pytest

from ._glue.fixtures import prodreal_random, prodreal_seed
from ._glue.state import STATE_KEY, SessionState
from .seeding import fresh_seed

__all__ = ["prodreal_random", "prodreal_seed"]

# Glue modules that bring fixtures and hooks of their own, one per part of the product.
# Each is registered as a plugin at configure time; each must import heavy things lazily.
_GLUE_PLUGINS: tuple[str, ...] = (
    "pytest_prodreal._glue.clock",
    "pytest_prodreal._glue.chaos",
    "pytest_prodreal._glue.inputs",
    "pytest_prodreal._glue.state_checks",
)


def pytest_configure(config: pytest.Config) -> None:
    """Create the session state and register the glue plugins."""
    config.stash[STATE_KEY] = SessionState(seed=fresh_seed())
    for name in _GLUE_PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # that part of the product is not built yet
        if not config.pluginmanager.is_registered(module):
            config.pluginmanager.register(module, name)
