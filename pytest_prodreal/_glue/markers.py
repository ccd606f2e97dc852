"""The ``prodreal`` marker: declared intent (and the subject under test), validated at collection.

The ids a test declares are also added to its keywords, so ``-k canary`` or
``-k "dependencies and not circuit_breaker"`` select by them (as pytest's own marker names do).
Marks of the test's own module and function become keywords at collection; marks a
``pytest_collection_modifyitems`` hook adds become keywords through :class:`HookMarkKeywords`,
a plain implementation of that hook that pluggy calls after the hooks of conftests and of
plugins registered later, and before pytest's own ``-k`` deselection (registered with the
plugin, before any conftest, it sits between the two).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import pytest

from ..report.gates import subject_problem
from ..taxonomy import DEFAULT_TAXONOMY, Taxonomy
from .session import STATE_KEY

__all__ = [
    "MARKER_HELP",
    "DeclaredIdsError",
    "HookMarkKeywords",
    "declared_ids",
    "marker_subject",
    "refresh_keywords",
]

MARKER_HELP = (
    "prodreal(*ids): this test exercises these production-realism categories or remedies "
    "(e.g. 'dependencies', 'circuit_breaker'); a declaration only, evidence verifies; "
    "subject='prod' puts it on that subject's checklist (a service, configuration or model)"
)

# (declared ids, subject or None) of an item, computed once.
_DECLARED_KEY = pytest.StashKey[tuple[tuple[str, ...], str | None]]()
# How many ``prodreal`` marks that answer was computed from: hooks only ever add marks, so a
# larger count later means a hook added one.
_MARK_COUNT_KEY = pytest.StashKey[int]()


class DeclaredIdsError(Exception):
    """A ``prodreal`` marker names something the taxonomy does not know."""


def _parse(
    marks: Iterable[pytest.Mark], taxonomy: Taxonomy, nodeid: str
) -> tuple[tuple[str, ...], str | None]:
    out: list[str] = []
    subject: str | None = None
    for mark in marks:  # closest first: the function's own mark names the subject
        extra = sorted(set(mark.kwargs) - {"subject"})
        if extra:
            raise DeclaredIdsError(
                f"{nodeid}: @pytest.mark.prodreal takes ids only, not keyword arguments "
                f"({', '.join(extra)}), besides subject=; "
                "write @pytest.mark.prodreal('canary', subject='prod')"
            )
        if "subject" in mark.kwargs:
            value = mark.kwargs["subject"]
            problem = subject_problem(value) or ("an empty subject" if value == "" else None)
            if problem:
                raise DeclaredIdsError(f"{nodeid}: @pytest.mark.prodreal: {problem}")
            if subject is None:
                subject = value
        elif not mark.args:
            raise DeclaredIdsError(
                f"{nodeid}: @pytest.mark.prodreal needs at least one category or remedy id "
                f"(or subject=), e.g. @pytest.mark.prodreal('dependencies')"
            )
        for arg in mark.args:
            if not isinstance(arg, str) or arg not in taxonomy:
                shown = arg if isinstance(arg, str) else repr(arg)
                raise DeclaredIdsError(f"{nodeid}: {taxonomy.unknown_id_message(str(shown))}")
            out.append(arg)
    return tuple(dict.fromkeys(out)), subject


def _parsed(item: pytest.Item, taxonomy: Taxonomy) -> tuple[tuple[str, ...], str | None]:
    cached = item.stash.get(_DECLARED_KEY, None)
    if cached is None:
        marks = list(item.iter_markers("prodreal"))
        cached = _parse(marks, taxonomy, item.nodeid)
        item.stash[_DECLARED_KEY] = cached
        item.stash[_MARK_COUNT_KEY] = len(marks)
        # -k selects by the declared ids and the subject (pytest matches these like names).
        item.extra_keyword_matches.update(cached[0])
        if cached[1]:
            item.extra_keyword_matches.add(cached[1])
    return cached


def refresh_keywords(item: pytest.Item, taxonomy: Taxonomy) -> None:
    """Make the ids of ``prodreal`` marks added since collection keywords of ``item`` too.

    A bad mark is left for the check of the final items to report (as a collection error).
    """
    count = sum(1 for _ in item.iter_markers("prodreal"))
    if count == 0 or item.stash.get(_MARK_COUNT_KEY, -1) == count:
        return
    if _DECLARED_KEY in item.stash:
        del item.stash[_DECLARED_KEY]
    with contextlib.suppress(DeclaredIdsError):  # reported by the check of the final items
        _parsed(item, taxonomy)


class HookMarkKeywords:
    """``-k`` sees the ids of ``prodreal`` marks that ``pytest_collection_modifyitems`` hooks add.

    Register it when the plugin loads (from ``pytest_addhooks``), before any conftest: pluggy
    calls plain implementations last-registered first, so this one runs after the conftests'
    hooks (which add the marks) and before pytest's own ``mark`` plugin (which deselects by
    ``-k``). Without ``-k`` it does nothing, so an unused plugin costs no time per item.
    """

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Refresh the keywords of every item whose ``prodreal`` marks changed."""
        if not config.getoption("keyword", ""):
            return
        state = config.stash.get(STATE_KEY, None)
        taxonomy = state.taxonomy if state else DEFAULT_TAXONOMY
        for item in items:
            refresh_keywords(item, taxonomy)


def declared_ids(item: pytest.Item, taxonomy: Taxonomy) -> tuple[str, ...]:
    """The ids an item's ``prodreal`` markers declare (module, class and function marks).

    Raises :class:`DeclaredIdsError` with a one-line message for a bad marker. The answer is
    cached on the item, and the ids become the item's keywords for ``-k``.
    """
    return _parsed(item, taxonomy)[0]


def marker_subject(item: pytest.Item, taxonomy: Taxonomy) -> str | None:
    """The subject the closest ``prodreal(..., subject=...)`` mark names, if any."""
    return _parsed(item, taxonomy)[1]
