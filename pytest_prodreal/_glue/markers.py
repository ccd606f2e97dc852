"""The ``prodreal`` marker: declared intent (and the subject under test), validated at collection.

The ids a test declares are also added to its keywords, so ``-k canary`` or
``-k "dependencies and not circuit_breaker"`` select by them (as pytest's own marker names do).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from ..report.gates import subject_problem
from ..taxonomy import Taxonomy

__all__ = ["MARKER_HELP", "DeclaredIdsError", "declared_ids", "marker_subject"]

MARKER_HELP = (
    "prodreal(*ids): this test exercises these production-realism categories or remedies "
    "(e.g. 'dependencies', 'circuit_breaker'); a declaration only, evidence verifies; "
    "subject='prod' puts it on that subject's checklist (a service, configuration or model)"
)

# (declared ids, subject or None) of an item, computed once.
_DECLARED_KEY = pytest.StashKey[tuple[tuple[str, ...], str | None]]()


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
        cached = _parse(item.iter_markers("prodreal"), taxonomy, item.nodeid)
        item.stash[_DECLARED_KEY] = cached
        # -k selects by the declared ids and the subject (pytest matches these like names).
        item.extra_keyword_matches.update(cached[0])
        if cached[1]:
            item.extra_keyword_matches.add(cached[1])
    return cached


def declared_ids(item: pytest.Item, taxonomy: Taxonomy) -> tuple[str, ...]:
    """The ids an item's ``prodreal`` markers declare (module, class and function marks).

    Raises :class:`DeclaredIdsError` with a one-line message for a bad marker. The answer is
    cached on the item, and the ids become the item's keywords for ``-k``.
    """
    return _parsed(item, taxonomy)[0]


def marker_subject(item: pytest.Item, taxonomy: Taxonomy) -> str | None:
    """The subject the closest ``prodreal(..., subject=...)`` mark names, if any."""
    return _parsed(item, taxonomy)[1]
