"""The report model: what a run proved, remedy by remedy, and the launch verdict.

Pure data, no pytest. A :class:`RunReport` is built from per-test :class:`TestRecord` objects
(pytest's reports on the controller, or JSON files from CI shards) and merged with
:meth:`RunReport.merge`, which is associative and commutative: shards may be combined in any order
and grouping. Statuses are derived, never stored, so a merged report is judged afresh.

A test may belong to a **subject** (a service, configuration or model version under test): each
subject gets its own checklist, verdict and gates (:meth:`RunReport.for_subject`). Tests without
one belong to the unnamed subject ``""``, the only one of a run that names none.

This module is the one place that parses a JSON report (:meth:`RunReport.from_json`): ``combine``
and any validator build on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from ..errors import InvalidArgument
from ..taxonomy import DEFAULT_TAXONOMY, Category, Remedy, Taxonomy, TaxonomyBuilder
from .gates import Gates, split_required
from .records import OUTCOMES, RunInfo, TestRecord, _canon
from .totals import totals_of

__all__ = [
    "LAUNCH_RULE_MAX_UNCHECKED",
    "OUTCOMES",
    "READ_SCHEMA_VERSIONS",
    "SCHEMA_VERSION",
    "Gates",
    "RemedyResult",
    "RunInfo",
    "RunReport",
    "Status",
    "TestRecord",
]

#: Version of the JSON report's schema (``pytest_prodreal/report/schema/report-v2.schema.json``).
SCHEMA_VERSION = 2

#: The schema versions this release reads (version 1 reports have no subjects).
READ_SCHEMA_VERSIONS = (1, 2)

#: Outcomes of a test that failed: one that carries a marker counts against what it marks.
_FAILED = frozenset({"failed", "error"})

#: The seed's launch rule: three or more unchecked items means not ready to launch.
LAUNCH_RULE_MAX_UNCHECKED = 2


class Status(str, Enum):
    """A remedy's status. Only ``VERIFIED`` counts towards readiness and gates."""

    VERIFIED = "verified"  # a passing test holds passing evidence
    FAILING = "failing"  # some evidence says the check did not hold
    DECLARED = "declared"  # marked, or evidence from a test that did not pass; nothing verified
    MISSING = "missing"  # nothing at all


@dataclass(frozen=True)
class RemedyResult:
    """One remedy's derived status and the tests behind it."""

    remedy: Remedy
    status: Status
    verified_by: tuple[str, ...] = ()
    failing_by: tuple[str, ...] = ()
    declared_by: tuple[str, ...] = ()

    @property
    def tests(self) -> tuple[str, ...]:
        """The tests that explain the status (failing, verified or declaring ones)."""
        return {
            Status.FAILING: self.failing_by,
            Status.VERIFIED: self.verified_by,
            Status.DECLARED: self.declared_by,
            Status.MISSING: (),
        }[self.status]


def _merge_taxonomies(a: Taxonomy, b: Taxonomy) -> Taxonomy:
    """Union of two taxonomies, ordered so that the result ignores argument order.

    The default categories and remedies keep their order; others follow sorted by id. Where two
    reports disagree on a title, the smaller text wins (any fixed rule would do).
    """
    cats: dict[str, tuple[str, str]] = {}
    rems: dict[str, Remedy] = {}
    for tax in (a, b):
        for c in tax.categories:
            prev = cats.get(c.id)
            cats[c.id] = min(prev, (c.title, c.description)) if prev else (c.title, c.description)
            for r in c.remedies:
                old = rems.get(r.id)
                rems[r.id] = min(old, r, key=_remedy_key) if old else r
    default_cats = [c.id for c in DEFAULT_TAXONOMY.categories]
    default_rems = [r.id for r in DEFAULT_TAXONOMY.remedies]
    cat_order = [c for c in default_cats if c in cats] + sorted(set(cats) - set(default_cats))
    rem_order = [r for r in default_rems if r in rems] + sorted(set(rems) - set(default_rems))
    builder = TaxonomyBuilder()
    for cid in cat_order:
        builder.add_category(cid, *cats[cid])
    for rid in rem_order:
        r = rems[rid]
        builder.add_remedy(
            r.category if r.category in cats else cat_order[0], rid, r.title, r.description
        )
    return builder.build()


def _remedy_key(r: Remedy) -> tuple[str, str, str]:
    return (r.category, r.title, r.description)


@dataclass(frozen=True)
class RunReport:
    """Everything a run (or a combination of shards) proved, with derived statuses.

    Build one with :meth:`from_records`, merge with :meth:`merge`, serialise with
    :meth:`to_json` / :meth:`from_json`.
    """

    taxonomy: Taxonomy = DEFAULT_TAXONOMY
    runs: tuple[RunInfo, ...] = ()
    tests: Mapping[str, TestRecord] = field(default_factory=dict)

    @classmethod
    def from_records(
        cls,
        records: Iterable[TestRecord],
        *,
        taxonomy: Taxonomy = DEFAULT_TAXONOMY,
        runs: Sequence[RunInfo] = (),
    ) -> RunReport:
        """A report of one run from its test records (same node id twice: merged)."""
        tests: dict[str, TestRecord] = {}
        for rec in records:
            prev = tests.get(rec.nodeid)
            tests[rec.nodeid] = prev.merge(rec) if prev else rec
        return cls(
            taxonomy=taxonomy,
            runs=tuple(sorted(runs, key=lambda r: _canon(r.to_json()))),
            tests=dict(sorted(tests.items())),
        )

    def merge(self, other: RunReport) -> RunReport:
        """Combine two reports (shards). Associative and commutative."""
        return RunReport.from_records(
            list(self.tests.values()) + list(other.tests.values()),
            taxonomy=_merge_taxonomies(self.taxonomy, other.taxonomy),
            runs=self.runs + other.runs,
        )

    # -- subjects ------------------------------------------------------------------------

    @cached_property
    def _subject_ids(self) -> tuple[str, ...]:
        named = sorted({t.subject for t in self.tests.values() if t.subject})
        if not named:
            return ("",)
        # Tests without a subject form their own checklist only when they say something.
        loose = any(not t.subject and (t.declared or t.evidence) for t in self.tests.values())
        return (*named, "") if loose else tuple(named)

    def subject_ids(self) -> tuple[str, ...]:
        """The subjects of the run, named ones sorted; ``("",)`` when the run names none."""
        return self._subject_ids

    @property
    def has_subjects(self) -> bool:
        """Whether any test names a subject."""
        return self._subject_ids != ("",)

    @cached_property
    def _by_subject(self) -> dict[str, RunReport]:
        if not self.has_subjects:
            return {"": self}
        groups: dict[str, dict[str, TestRecord]] = {s: {} for s in self._subject_ids}
        for nodeid, rec in self.tests.items():
            groups.setdefault(rec.subject, {})[nodeid] = rec
        return {
            s: RunReport(taxonomy=self.taxonomy, runs=self.runs, tests=tests)
            for s, tests in groups.items()
        }

    def for_subject(self, subject: str) -> RunReport:
        """The report of one subject's tests (an empty report for a subject with none)."""
        found = self._by_subject.get(subject)
        return found if found is not None else RunReport(taxonomy=self.taxonomy, runs=self.runs)

    def totals(self) -> dict[str, float]:
        """Virtual seconds, faults, calls, requests and inputs (see :mod:`.totals`)."""
        return dict(self._totals)

    @cached_property
    def _totals(self) -> dict[str, float]:
        return totals_of(self.tests.values())

    # -- derived views -------------------------------------------------------------------

    def remedy_results(self) -> list[RemedyResult]:
        """Each remedy's status, in taxonomy order (over every test, whatever its subject)."""
        return list(self._remedy_results)

    @cached_property
    def _remedy_results(self) -> tuple[RemedyResult, ...]:
        # Derived once per report: reports are immutable, and every renderer asks for it.
        verified: dict[str, set[str]] = {}
        failing: dict[str, set[str]] = {}
        declared: dict[str, set[str]] = {}
        tax = self.taxonomy
        for rec in self.tests.values():
            failed = rec.outcome in _FAILED
            for ev in rec.evidence:
                if not ev.held:
                    failing.setdefault(ev.remedy, set()).add(rec.nodeid)
                elif rec.outcome == "passed":
                    verified.setdefault(ev.remedy, set()).add(rec.nodeid)
                else:
                    # It ran, but a test that failed, was skipped or xfailed verifies nothing.
                    declared.setdefault(ev.remedy, set()).add(rec.nodeid)
            for xid in rec.declared:
                # A failed or errored test counts against what it marks: a remedy, or every
                # remedy of a category (the crash on a messy input was an inputs failure).
                if tax.is_remedy(xid):
                    (failing if failed else declared).setdefault(xid, set()).add(rec.nodeid)
                elif failed and tax.is_category(xid):
                    for rem in tax.category(xid).remedies:
                        failing.setdefault(rem.id, set()).add(rec.nodeid)
        out = []
        for rem in tax.remedies:
            v = tuple(sorted(verified.get(rem.id, ())))
            f = tuple(sorted(failing.get(rem.id, ())))
            d = tuple(sorted(declared.get(rem.id, set()) - set(v) - set(f)))
            status = (
                Status.FAILING
                if f
                else Status.VERIFIED
                if v
                else Status.DECLARED
                if d
                else Status.MISSING
            )
            out.append(RemedyResult(rem, status, v, f, d))
        return tuple(out)

    def category_declared_by(self, category: Category) -> tuple[str, ...]:
        """Tests marked with the category id itself."""
        return tuple(sorted(n for n, r in self.tests.items() if category.id in r.declared))

    def category_failing_tests(self, category: Category) -> tuple[str, ...]:
        """Failed or errored tests that mark the category or one of its remedies."""
        ids = {category.id, *(r.id for r in category.remedies)}
        return tuple(
            sorted(
                n
                for n, r in self.tests.items()
                if r.outcome in _FAILED and not ids.isdisjoint(r.declared)
            )
        )

    def unchecked(self) -> list[RemedyResult]:
        """Remedies that are not verified."""
        return [r for r in self.remedy_results() if r.status is not Status.VERIFIED]

    def counts(self) -> dict[str, int]:
        """How many remedies have each status."""
        out = {s.value: 0 for s in Status}
        for r in self.remedy_results():
            out[r.status.value] += 1
        return out

    def ready(self, max_unchecked: int = LAUNCH_RULE_MAX_UNCHECKED) -> bool:
        """The launch verdict: for each subject, at most ``max_unchecked`` remedies not verified."""
        return all(
            len(self.for_subject(s).unchecked()) <= max_unchecked for s in self.subject_ids()
        )

    def gate_failures(self, gates: Gates) -> list[str]:
        """One line per unmet gate item, subject by subject; empty when every gate holds.

        ``ID`` items hold for every subject, ``SUBJECT:ID`` items for that subject. Raises
        :class:`InvalidArgument` for a required id the taxonomy does not know.
        """
        lines: list[str] = []
        if not gates.any:
            return lines
        subjects = self.subject_ids()
        wanted: dict[str, list[str]] = {s: [] for s in subjects}
        for item in gates.require:
            subject, xid = split_required(item)
            self._resolve_required([xid])  # raises for an unknown id, whatever the subject
            for s in subjects if subject is None else (subject,):
                wanted.setdefault(s, []).append(xid)
        for s, ids in wanted.items():
            prefix = f"subject {s or '(no subject)'!r}: " if self.has_subjects else ""
            if s not in subjects:
                known = ", ".join(x for x in subjects if x) or "none"
                lines.append(
                    f"subject {s!r} has no tests in this run (subjects: {known}); "
                    "check the subject id in --prodreal-require"
                )
                continue
            lines += [prefix + line for line in self.for_subject(s)._gate_lines(ids, gates)]
        return lines

    def _gate_lines(self, ids: Sequence[str], gates: Gates) -> list[str]:
        lines: list[str] = []
        results = {r.remedy.id: r for r in self.remedy_results()}
        for rid, via in self._resolve_required(ids):
            res = results[rid]
            if res.status is Status.VERIFIED:
                continue
            why = {
                Status.FAILING: f"failing in {_few(res.failing_by)}",
                Status.DECLARED: f"declared only, no passing evidence ({_few(res.declared_by)})",
                Status.MISSING: "missing: no test marks it or records evidence for it",
            }[res.status]
            origin = f" (required via {via!r})" if via != rid else ""
            lines.append(f"required remedy {rid!r}{origin} is not verified: {why}")
        if gates.max_unchecked is not None:
            unchecked = [r.remedy.id for r in results.values() if r.status is not Status.VERIFIED]
            if len(unchecked) > gates.max_unchecked:
                lines.append(
                    f"{len(unchecked)} remedies are not verified, more than max-unchecked="
                    f"{gates.max_unchecked} allows: {', '.join(unchecked)}"
                )
        return lines

    def _resolve_required(self, ids: Iterable[str]) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for xid in ids:
            if xid == "all":
                for r in self.taxonomy.remedies:
                    seen.setdefault(r.id, "all")
            elif self.taxonomy.is_category(xid):
                for r in self.taxonomy.category(xid).remedies:
                    seen.setdefault(r.id, xid)
            elif self.taxonomy.is_remedy(xid):
                seen[xid] = xid
            else:
                raise InvalidArgument(self.taxonomy.unknown_id_message(xid))
        order = {r.id: i for i, r in enumerate(self.taxonomy.remedies)}
        return sorted(seen.items(), key=lambda kv: order[kv[0]])

    # -- JSON ------------------------------------------------------------------------------

    def _summary_json(self) -> dict[str, object]:
        counts = self.counts()
        remedies = len(self.taxonomy.remedies)
        unchecked = remedies - counts["verified"]
        return {
            "remedies": remedies,
            **counts,
            "unchecked": unchecked,
            "launch_rule_max_unchecked": LAUNCH_RULE_MAX_UNCHECKED,
            "ready": unchecked <= LAUNCH_RULE_MAX_UNCHECKED,
            "tests": len(self.tests),
        }

    def _remedies_json(self) -> list[dict[str, object]]:
        return [
            {
                "id": r.remedy.id,
                "category": r.remedy.category,
                "status": r.status.value,
                "verified_by": list(r.verified_by),
                "failing_by": list(r.failing_by),
                "declared_by": list(r.declared_by),
            }
            for r in self.remedy_results()
        ]

    def to_json(self, gates: Gates | None = None) -> dict[str, object]:
        """The versioned JSON document (see ``docs/report-schema.md``)."""
        from .. import __version__

        gates = gates or Gates()
        summary = self._summary_json()
        summary["ready"] = self.ready()  # every subject ready (the one subject, usually)
        summary["subjects"] = len(self.subject_ids())
        subjects = []
        for s in self.subject_ids():
            sub = self.for_subject(s)
            subjects.append(
                {
                    "id": s,
                    "summary": sub._summary_json(),
                    "totals": sub.totals(),
                    "remedies": sub._remedies_json(),
                }
            )
        return {
            "schema": "pytest-prodreal/report",
            "schema_version": SCHEMA_VERSION,
            "generator": f"pytest-prodreal {__version__}",
            "runs": [r.to_json() for r in self.runs],
            "taxonomy": self.taxonomy.to_json(),
            "summary": summary,
            "totals": self.totals(),
            "remedies": self._remedies_json(),
            "subjects": subjects,
            "gates": {
                "require": list(gates.require),
                "max_unchecked": gates.max_unchecked,
                "failures": self.gate_failures(gates),
            },
            "tests": [t.to_json() for t in self.tests.values()],
        }

    @classmethod
    def from_json(cls, data: object) -> RunReport:
        """Rebuild from :meth:`to_json` output (schema version 1 or 2); derived members are ignored.

        The one parser of JSON reports: ``combine`` and validators call it. Raises
        :class:`InvalidArgument` when the document is not a prodreal report of a schema version
        this release reads.
        """
        if not isinstance(data, dict) or data.get("schema") != "pytest-prodreal/report":
            raise InvalidArgument("not a pytest-prodreal JSON report (no 'schema' member)")
        version = data.get("schema_version")
        if isinstance(version, bool) or version not in READ_SCHEMA_VERSIONS:
            raise InvalidArgument(
                f"report schema_version {version!r} is not supported (this release reads "
                f"{', '.join(map(str, READ_SCHEMA_VERSIONS))}); combine reports made by "
                "pytest-prodreal releases that read each other"
            )
        runs = data.get("runs", [])
        tests = data.get("tests", [])
        if not isinstance(runs, list) or not isinstance(tests, list):
            raise InvalidArgument("'runs' and 'tests' must be lists")
        if version == 1:  # version 1 had no subjects: a member of that name is not ours
            tests = [{k: v for k, v in t.items() if k != "subject"} if isinstance(t, dict)
                     else t for t in tests]  # fmt: skip
        return cls.from_records(
            (TestRecord.from_json(t) for t in tests),
            taxonomy=Taxonomy.from_json(data.get("taxonomy")),
            runs=[RunInfo.from_json(r) for r in runs],
        )


def _few(nodeids: Sequence[str], n: int = 2) -> str:
    shown = ", ".join(nodeids[:n])
    return shown + (f" and {len(nodeids) - n} more" if len(nodeids) > n else "")
