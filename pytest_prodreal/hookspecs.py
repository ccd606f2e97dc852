"""pytest-prodreal's own hooks, registered with ``pytest_addhooks``.

Implement them in a ``conftest.py`` at the root of your tests (or in a plugin) to extend the
taxonomy with categories and remedies of your own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .taxonomy import TaxonomyBuilder

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_prodreal_taxonomy(taxonomy: TaxonomyBuilder) -> None:
    """Add categories and remedies to the taxonomy of this run.

    Called once at configure time with a builder that already holds the five categories and
    fifteen remedies. Use ``taxonomy.add_category(id, title, description)`` and
    ``taxonomy.add_remedy(category_id, id, title, description)``; ids are lower_snake_case and
    must be new. Added ids work in markers, ``record_evidence``, ``--prodreal-require`` and every
    report.
    """
