"""The one home for per-session state, behind a typed ``pytest.StashKey``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from ..taxonomy import DEFAULT_TAXONOMY, Taxonomy

if TYPE_CHECKING:
    from .settings import Settings

__all__ = ["STATE_KEY", "SessionState", "get_state"]


@dataclass
class SessionState:
    """What one pytest session of pytest-prodreal knows.

    ``active`` is true when a report or a gate was asked for (on the controller, or passed down
    to an xdist worker): only then are per-test hooks registered, which keeps the plugin inert.
    """

    seed: int
    taxonomy: Taxonomy = DEFAULT_TAXONOMY
    settings: Settings | None = None
    active: bool = False
    is_worker: bool = False
    # Collected on the controller (or a plain run) from test reports: nodeid -> record data.
    collected: dict[str, dict[str, object]] = field(default_factory=dict)


STATE_KEY = pytest.StashKey[SessionState]()


def get_state(config: pytest.Config) -> SessionState:
    """The session state (raises ``KeyError`` if the plugin is not configured)."""
    return config.stash[STATE_KEY]
