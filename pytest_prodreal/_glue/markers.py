"""The ``prodreal`` marker: declared intent, validated at collection."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from ..taxonomy import Taxonomy

__all__ = ["MARKER_HELP", "DeclaredIdsError", "declared_ids"]

MARKER_HELP = (
    "prodreal(*ids): this test exercises these production-realism categories or remedies "
    "(e.g. 'dependencies', 'circuit_breaker'); a declaration only, evidence verifies"
)

_DECLARED_KEY = pytest.StashKey[tuple[str, ...]]()


class DeclaredIdsError(Exception):
    """A ``prodreal`` marker names something the taxonomy does not know."""


def _ids_of(marks: Iterable[pytest.Mark], taxonomy: Taxonomy, nodeid: str) -> tuple[str, ...]:
    out: list[str] = []
    for mark in marks:
        if mark.kwargs:
            raise DeclaredIdsError(
                f"{nodeid}: @pytest.mark.prodreal takes ids only, not keyword arguments "
                f"({', '.join(sorted(mark.kwargs))}); write @pytest.mark.prodreal('canary')"
            )
        if not mark.args:
            raise DeclaredIdsError(
                f"{nodeid}: @pytest.mark.prodreal needs at least one category or remedy id, "
                f"e.g. @pytest.mark.prodreal('dependencies')"
            )
        for arg in mark.args:
            if not isinstance(arg, str) or arg not in taxonomy:
                shown = arg if isinstance(arg, str) else repr(arg)
                raise DeclaredIdsError(f"{nodeid}: {taxonomy.unknown_id_message(str(shown))}")
            out.append(arg)
    return tuple(dict.fromkeys(out))


def declared_ids(item: pytest.Item, taxonomy: Taxonomy) -> tuple[str, ...]:
    """The ids an item's ``prodreal`` markers declare (module, class and function marks).

    Raises :class:`DeclaredIdsError` with a one-line message for a bad marker. The answer is
    cached on the item.
    """
    cached = item.stash.get(_DECLARED_KEY, None)
    if cached is None:
        cached = _ids_of(item.iter_markers("prodreal"), taxonomy, item.nodeid)
        item.stash[_DECLARED_KEY] = cached
    return cached
