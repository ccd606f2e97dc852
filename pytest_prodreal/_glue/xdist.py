"""pytest-xdist: hand the run seed and activity down to workers; count the workers.

Per-test evidence rides on each ``TestReport`` (xdist serialises it); only the controller
aggregates, writes reports and applies the gates (see :mod:`.reporting`).
"""

from __future__ import annotations

from typing import Any

import pytest

from .session import SessionState

__all__ = ["XDIST_PLUGIN", "XdistHooks", "worker_input"]

XDIST_PLUGIN = "prodreal-xdist"


class XdistHooks:
    """Controller-side pytest-xdist hooks (registered only when xdist is installed)."""

    def __init__(self, state: SessionState) -> None:
        self.state = state

    def pytest_configure_node(self, node: Any) -> None:
        """Hand the run seed and whether to collect evidence down to each worker."""
        workerinput: dict[str, Any] = node.workerinput
        workerinput["prodreal_seed"] = self.state.seed
        workerinput["prodreal_active"] = self.state.active

    def pytest_testnodeready(self, node: Any) -> None:
        """Count the workers that took part."""
        self.state.workers.add(str(node.gateway.id))


def worker_input(config: pytest.Config) -> dict[str, Any] | None:
    """What the controller handed this xdist worker (``None`` on the controller or plain run)."""
    value: dict[str, Any] | None = getattr(config, "workerinput", None)
    return value


def register_controller_hooks(config: pytest.Config, state: SessionState) -> None:
    """On the controller of an xdist run, register :class:`XdistHooks`."""
    if worker_input(config) is None and config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(state), XDIST_PLUGIN)
