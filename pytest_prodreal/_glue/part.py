"""The typed record each product part declares: its markers, fixtures and per-test hooks.

A *part* is one piece of the product with a pytest surface (the clock, chaos, inputs, state,
trust, operations). Its glue module ``pytest_prodreal/_glue/<name>.py`` defines fixtures (pytest
finds them because :mod:`.parts` registers the module as a plugin) and one ``PART = Part(...)``
record. The wiring reads only the record:

- ``markers``: registered with pytest (``--markers``), and each ``validate`` runs at collection
  for every item carrying the marker (also markers added by ``pytest_collection_modifyitems``
  hooks, checked on the final items), turning a misuse into a collection error that names the
  test and the fix.
- ``fixtures`` / ``markers``: the triggers. ``per_test`` (a factory of a hook object) is
  registered as a plugin only when a collected test uses one of ``fixtures`` or carries one of
  the markers, so a suite that uses none of the part pays nothing per test.

Options are not declared here: every option of every part is one row of the table in
:mod:`.settings`, so option, ini key and help text stay together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

__all__ = ["MarkerSpec", "Part"]

#: A marker validator: raises ``pytest.Collector.CollectError`` (or ``pytest.fail``) on misuse.
Validator = Callable[[pytest.Item, pytest.Mark], None]


@dataclass(frozen=True)
class MarkerSpec:
    """One marker of a part: its name, the help line for ``pytest --markers``, a validator."""

    name: str
    help: str
    validate: Validator | None = None
    #: The marker acts while tests are generated (it parametrizes): one added by a hook after
    #: collection cannot take effect, and is a collection error saying to mark the test instead.
    parametrizes: bool = False

    @property
    def line(self) -> str:
        """The ``markers`` ini line (``"name(args): help"``; the help starts with the args)."""
        return self.help if self.help.startswith(self.name) else f"{self.name}: {self.help}"


@dataclass(frozen=True)
class Part:
    """One product part's pytest surface (see the module docstring for how it is wired)."""

    name: str
    markers: tuple[MarkerSpec, ...] = ()
    fixtures: frozenset[str] = frozenset()
    per_test: Callable[[], object] | None = None

    @property
    def trigger_markers(self) -> frozenset[str]:
        """The marker names whose presence on a collected test registers ``per_test``."""
        return frozenset(m.name for m in self.markers)

    @property
    def validators(self) -> dict[str, Validator]:
        """Marker name -> validator, for the markers that have one."""
        return {m.name: m.validate for m in self.markers if m.validate is not None}
