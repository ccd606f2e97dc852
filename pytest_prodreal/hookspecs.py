"""pytest-prodreal's own hooks, registered with ``pytest_addhooks``.

Implement them in a ``conftest.py`` at the root of your tests (or in a plugin) to extend the
taxonomy with categories and remedies of your own, or to say which subject a test exercises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import pytest

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


@hookspec(firstresult=True)
def pytest_prodreal_subject(item: pytest.Item) -> str | None:
    """Name the subject (service, configuration, model version) a test exercises.

    Called once per test, at setup, when a report or gate was asked for. Return a subject id
    (letters, digits and ``_.-``) to put the test on that subject's checklist, or ``None`` to let
    the next implementation decide. The plugin's own implementation runs last: it reads
    ``@pytest.mark.prodreal(..., subject="prod")``, then the parameter named by
    ``--prodreal-subject-param`` (ini ``prodreal_subject_param``).
    """
