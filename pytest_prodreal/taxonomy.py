"""The production-realism taxonomy: five categories, fifteen remedies, as data.

The ids are stable: they appear in markers, options, reports and JSON. Other plugins and
conftest files extend the taxonomy through the ``pytest_prodreal_taxonomy`` hook
(see :mod:`pytest_prodreal.hookspecs`), which hands them a :class:`TaxonomyBuilder`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .errors import InvalidArgument

__all__ = [
    "DEFAULT_TAXONOMY",
    "Category",
    "Remedy",
    "Taxonomy",
    "TaxonomyBuilder",
]

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Remedy:
    """One pre-launch checklist item, such as ``circuit_breaker``."""

    id: str
    category: str
    title: str
    description: str


@dataclass(frozen=True)
class Category:
    """One reason demos crash in production, with the remedies that address it."""

    id: str
    title: str
    description: str
    remedies: tuple[Remedy, ...] = field(default=())


@dataclass(frozen=True)
class Taxonomy:
    """An immutable, ordered set of categories and their remedies.

    Lookups by id are O(1); :meth:`resolve` expands a mix of category and remedy ids into the
    remedies they cover.
    """

    categories: tuple[Category, ...]
    # Lookup tables derived from ``categories`` (not part of equality, hashing or the repr).
    _cats: dict[str, Category] = field(init=False, repr=False, compare=False, hash=False)
    _rems: dict[str, Remedy] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        cats: dict[str, Category] = {}
        rems: dict[str, Remedy] = {}
        for cat in self.categories:
            cats[cat.id] = cat
            for rem in cat.remedies:
                rems[rem.id] = rem
        object.__setattr__(self, "_cats", cats)
        object.__setattr__(self, "_rems", rems)

    @property
    def remedies(self) -> tuple[Remedy, ...]:
        """Every remedy, in category order."""
        return tuple(r for c in self.categories for r in c.remedies)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every valid id: categories first, then remedies."""
        return tuple(self._cats) + tuple(self._rems)

    def category(self, cid: str) -> Category:
        """Return the category with id ``cid`` (``KeyError`` if unknown)."""
        return self._cats[cid]

    def remedy(self, rid: str) -> Remedy:
        """Return the remedy with id ``rid`` (``KeyError`` if unknown)."""
        return self._rems[rid]

    def is_category(self, xid: str) -> bool:
        """Whether ``xid`` names a category."""
        return xid in self._cats

    def is_remedy(self, xid: str) -> bool:
        """Whether ``xid`` names a remedy."""
        return xid in self._rems

    def __contains__(self, xid: object) -> bool:
        return xid in self._cats or xid in self._rems

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def suggest(self, bad: str) -> str | None:
        """The closest valid id to ``bad``, or ``None`` if nothing is close."""
        import difflib  # only on the error path

        hits = difflib.get_close_matches(bad.lower(), self.ids, n=1, cutoff=0.6)
        return hits[0] if hits else None

    def unknown_id_message(self, bad: str) -> str:
        """A one-line explanation for an unknown id, with the valid ids and a suggestion."""
        hint = self.suggest(bad)
        did_you_mean = f" Did you mean {hint!r}?" if hint else ""
        return (
            f"unknown prodreal id {bad!r}.{did_you_mean} "
            f"Valid categories: {', '.join(c.id for c in self.categories)}; "
            f"valid remedies: {', '.join(r.id for r in self.remedies)}."
        )

    def resolve(self, ids: Iterable[str]) -> tuple[str, ...]:
        """Expand category ids into their remedy ids; keep remedy ids; keep taxonomy order.

        Raises :class:`InvalidArgument` naming the first unknown id.
        """
        wanted: set[str] = set()
        for xid in ids:
            if self.is_category(xid):
                wanted.update(r.id for r in self.category(xid).remedies)
            elif self.is_remedy(xid):
                wanted.add(xid)
            else:
                raise InvalidArgument(self.unknown_id_message(xid))
        return tuple(r.id for r in self.remedies if r.id in wanted)

    def to_json(self) -> dict[str, object]:
        """The taxonomy as plain JSON data (the report's ``taxonomy`` member)."""
        return {
            "categories": [
                {
                    "id": c.id,
                    "title": c.title,
                    "description": c.description,
                    "remedies": [
                        {"id": r.id, "title": r.title, "description": r.description}
                        for r in c.remedies
                    ],
                }
                for c in self.categories
            ]
        }

    @classmethod
    def from_json(cls, data: object) -> Taxonomy:
        """Rebuild a taxonomy from :meth:`to_json` output (raises ``InvalidArgument``)."""
        if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
            raise InvalidArgument("taxonomy must be an object with a 'categories' list")
        builder = TaxonomyBuilder()
        for c in data["categories"]:
            try:
                builder.add_category(c["id"], c["title"], c["description"])
                for r in c["remedies"]:
                    builder.add_remedy(c["id"], r["id"], r["title"], r["description"])
            except (KeyError, TypeError) as exc:
                raise InvalidArgument(f"malformed taxonomy entry: {exc!r}") from None
        return builder.build()


class TaxonomyBuilder:
    """Collects categories and remedies; handed to ``pytest_prodreal_taxonomy`` hooks.

    Example (in a ``conftest.py`` or plugin)::

        def pytest_prodreal_taxonomy(taxonomy):
            taxonomy.add_category("security", "Security", "Attackers arrive")
            taxonomy.add_remedy("security", "authz", "Authorisation", "Every route checks it")
            taxonomy.add_remedy("trust", "toxicity", "Toxicity filter", "Outputs are screened")
    """

    def __init__(self, base: Taxonomy | None = None) -> None:
        self._cats: dict[str, tuple[str, str]] = {}
        self._rems: dict[str, list[Remedy]] = {}
        self._all_ids: set[str] = set()
        if base is not None:
            for c in base.categories:
                self.add_category(c.id, c.title, c.description)
                for r in c.remedies:
                    self.add_remedy(c.id, r.id, r.title, r.description)

    def _check_new_id(self, xid: object, what: str) -> str:
        if not isinstance(xid, str) or not _ID_RE.match(xid):
            raise InvalidArgument(
                f"{what} id must be lower_snake_case text (letters, digits, '_'), got {xid!r}"
            )
        if xid in self._all_ids:
            raise InvalidArgument(f"{what} id {xid!r} is already defined; pick another id")
        return xid

    def add_category(self, cid: str, title: str, description: str = "") -> None:
        """Add a new category (its id must be new and lower_snake_case)."""
        self._check_new_id(cid, "category")
        self._cats[cid] = (str(title), str(description))
        self._rems[cid] = []
        self._all_ids.add(cid)

    def add_remedy(self, category: str, rid: str, title: str, description: str = "") -> None:
        """Add a remedy to an existing category (one of ours or one added before)."""
        if category not in self._cats:
            raise InvalidArgument(
                f"cannot add remedy {rid!r}: unknown category {category!r}; "
                f"add it first with add_category() or use one of {', '.join(self._cats)}"
            )
        self._check_new_id(rid, "remedy")
        self._rems[category].append(Remedy(rid, category, str(title), str(description)))
        self._all_ids.add(rid)

    def build(self) -> Taxonomy:
        """Freeze what was added into a :class:`Taxonomy`."""
        return Taxonomy(
            tuple(
                Category(cid, title, desc, tuple(self._rems[cid]))
                for cid, (title, desc) in self._cats.items()
            )
        )


def _default() -> Taxonomy:
    b = TaxonomyBuilder()
    rows: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
        (
            "inputs",
            "Input distribution shifts",
            "Users send typos, abbreviations, weird formats and adversarial inputs.",
            [
                (
                    "shadow_traffic",
                    "Shadow traffic",
                    "Recorded real inputs are replayed (and perturbed) against the system.",
                ),
                (
                    "canary",
                    "Canary comparison",
                    "A candidate agrees with the baseline on the same inputs, within a limit.",
                ),
                (
                    "failure_corpus",
                    "Failure corpus",
                    "Inputs that failed once are saved and replayed first on every run.",
                ),
            ],
        ),
        (
            "dependencies",
            "Dependencies multiply",
            "APIs slow down, tokens expire and networks drop.",
            [
                (
                    "time_budget",
                    "Time budget",
                    "A request, retries and back-off included, stays within its cap.",
                ),
                (
                    "circuit_breaker",
                    "Circuit breaker",
                    "Under an outage calls stop reaching the dependency; a probe recovers.",
                ),
                (
                    "graceful_degradation",
                    "Graceful degradation",
                    "When a dependency fails the call returns a recognised fallback.",
                ),
            ],
        ),
        (
            "trust",
            "Evaluation criteria change",
            "Correct can still be a problem; wrong is an incident.",
            [
                (
                    "guardrails",
                    "Guardrails",
                    "Sensitive topics and PII are caught before they leave the system.",
                ),
                (
                    "abstain",
                    "Abstention",
                    "Unanswerable inputs get a refusal; answerable ones get an answer.",
                ),
                (
                    "evidence_first",
                    "Evidence first",
                    "Answers cite retrieved sources and quoted spans appear in them.",
                ),
            ],
        ),
        (
            "state",
            "State, cache and concurrency",
            "The same question comes a thousand times, cached and concurrent.",
            [
                (
                    "determinism",
                    "Deterministic path",
                    "Repeated and concurrent calls agree; LLM requests use temperature 0, a seed.",
                ),
                (
                    "caching_policy",
                    "Caching policy",
                    "No cross-key pollution, TTLs hold, failures are not cached, no stampede.",
                ),
                (
                    "idempotency",
                    "Idempotency",
                    "The same request twice, concurrently or after a lost response: one effect.",
                ),
            ],
        ),
        (
            "operations",
            "Operations begin",
            "Alerts fire at 3 AM; something was silently broken for a week.",
            [
                (
                    "slo",
                    "SLO / SLI",
                    "Success rate, latency and cost are measured and held to objectives.",
                ),
                (
                    "error_budget",
                    "Error budget",
                    "The acceptable failure rate is defined and its consumption reported.",
                ),
                (
                    "observability",
                    "Observability",
                    "Faults, retries, fallbacks and zero-hit results leave logs or metrics.",
                ),
            ],
        ),
    ]
    for cid, title, desc, rems in rows:
        b.add_category(cid, title, desc)
        for rid, rtitle, rdesc in rems:
            b.add_remedy(cid, rid, rtitle, rdesc)
    return b.build()


#: The seed taxonomy from "5 Reasons Your Demo Works But Production Crashes".
DEFAULT_TAXONOMY: Taxonomy = _default()
