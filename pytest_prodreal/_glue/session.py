"""The one home for per-session state, behind a typed ``pytest.StashKey``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from ..taxonomy import DEFAULT_TAXONOMY, Taxonomy

if TYPE_CHECKING:
    from ..report.model import RunReport
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
    workers: set[str] = field(default_factory=set)
    report: RunReport | None = None
    written: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    gate_failures: list[str] = field(default_factory=list)
    # The remedy ids an enclosing session had registered, restored at unconfigure.
    outer_known_remedies: frozenset[str] | None = None
    # From the glue modules: marker name -> validator run at collection.
    marker_validators: dict[str, Callable[[pytest.Item, pytest.Mark], None]] = field(
        default_factory=dict
    )
    # Marker and fixture names the collected tests use: the glue modules' per-test hooks are
    # registered after collection only when one of their names shows up here.
    seen_markers: set[str] = field(default_factory=set)
    seen_fixtures: set[str] = field(default_factory=set)


STATE_KEY = pytest.StashKey[SessionState]()


def get_state(config: pytest.Config) -> SessionState:
    """The session state (raises ``KeyError`` if the plugin is not configured)."""
    return config.stash[STATE_KEY]
