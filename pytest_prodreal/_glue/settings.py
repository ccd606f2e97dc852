"""Command-line options and their ini twins, parsed once into a typed :class:`Settings`.

One table holds every option (as pytest-timeout does), so the option and its ini key always
share the same help text. Bad values raise ``pytest.UsageError`` naming the option and the fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..errors import InvalidArgument
from ..report.gates import Gates
from ..taxonomy import Taxonomy

__all__ = ["REPORT_TYPES", "ReportTarget", "Settings", "add_options", "parse_settings"]

#: Report types and where each goes when no PATH is given (``None``: the terminal).
REPORT_TYPES: dict[str, str | None] = {
    "term": None,
    "json": "prodreal-report.json",
    "md": "prodreal-report.md",
    "html": "prodreal-report.html",
}

CORPUS_MODES = ("record", "replay", "off")


@dataclass(frozen=True)
class Option:
    """One row of the options table: a command-line option and its ini twin (same help)."""

    flag: str
    ini: str
    ini_type: str
    help: str
    metavar: str = "N"
    action: str = "store"  # "store", "append" (repeatable) or "report" (repeatable, bare = term)
    ini_default: object = None


#: Every option of every part. The ini twin of each option shares its help text.
OPTIONS: tuple[Option, ...] = (
    Option(
        "--prodreal-report",
        "prodreal_report",
        "args",
        "write the launch-readiness report: TYPE[:PATH], TYPE one of term, json, md, html; "
        "bare means term; repeatable (default paths: prodreal-report.json/.md/.html)",
        metavar="TYPE[:PATH]",
        action="report",
    ),
    Option(
        "--prodreal-require",
        "prodreal_require",
        "args",
        "fail the run unless these comma-separated category or remedy ids (or 'all') are "
        "verified by passing tests with evidence",
        metavar="IDS",
        action="append",
    ),
    Option(
        "--prodreal-max-unchecked",
        "prodreal_max_unchecked",
        "string",
        "fail the run when more than N remedies are not verified (the launch rule is N=2)",
    ),
    Option(
        "--prodreal-seed",
        "prodreal_seed",
        "string",
        "the run seed (a whole number >= 0) every random choice of the plugin derives from; "
        "default: a fresh one per run, printed in the header",
    ),
    Option(
        "--prodreal-corpus-dir",
        "prodreal_corpus_dir",
        "string",
        "directory holding the failure corpus, one JSON Lines file per test (relative to the "
        "rootdir; default: prodreal-corpus)",
        metavar="DIR",
        ini_default="prodreal-corpus",
    ),
    Option(
        "--prodreal-corpus",
        "prodreal_corpus",
        "string",
        "failure corpus mode: record (replay saved failures first, save new ones; the default), "
        "replay (never write) or off",
        metavar="MODE",
        ini_default="record",
    ),
)


@dataclass(frozen=True)
class ReportTarget:
    """One requested report: its type and file (``None``: the terminal)."""

    kind: str
    path: Path | None


@dataclass(frozen=True)
class Settings:
    """Everything the options and ini keys asked for, validated."""

    reports: tuple[ReportTarget, ...] = ()
    gates: Gates = field(default_factory=Gates)
    seed: int | None = None
    github_summary: bool = True
    corpus_dir: Path = Path("prodreal-corpus")
    corpus_mode: str = "record"

    @property
    def active(self) -> bool:
        """Whether a report or gate was asked for (only then does the plugin collect)."""
        return bool(self.reports) or self.gates.any


def add_options(parser: pytest.Parser) -> None:
    """Register the options and ini keys of :data:`OPTIONS`."""
    group = parser.getgroup("prodreal", "production-realism testing (pytest-prodreal)")
    for opt in OPTIONS:
        if opt.action == "report":
            group.addoption(
                opt.flag,
                action="append",
                nargs="?",
                const="term",
                default=None,
                metavar=opt.metavar,
                dest=opt.ini,
                help=opt.help,
            )
        else:
            group.addoption(
                opt.flag,
                action=opt.action,
                default=None,
                metavar=opt.metavar,
                dest=opt.ini,
                help=opt.help,
            )
        parser.addini(opt.ini, opt.help, type=opt.ini_type, default=opt.ini_default)  # type: ignore[arg-type]
    parser.addini(
        "prodreal_github_summary",
        "append the Markdown report to $GITHUB_STEP_SUMMARY when a report is written and that "
        "variable is set (default: true)",
        type="bool",
        default=True,
    )


def _raw(config: pytest.Config, key: str) -> tuple[object, str]:
    """The option's value if given on the command line, else the ini value; and its name."""
    value = config.getoption(key)
    if value is not None:
        return value, "--" + key.replace("_", "-")
    return config.getini(key), f"ini option {key!r}"


def _parse_int(value: object, name: str) -> int | None:
    if value is None or value == "" or value == []:
        return None
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0 or not text.lstrip("+").isdigit():
        raise pytest.UsageError(f"{name}: expected a whole number >= 0, got {text!r}")
    return number


def _parse_report(value: str, name: str, base: Path) -> ReportTarget:
    kind, sep, path = value.strip().partition(":")
    kind = kind.strip().lower() or "term"
    if kind not in REPORT_TYPES:
        raise pytest.UsageError(
            f"{name}: unknown report type {kind!r}; use one of "
            f"{', '.join(REPORT_TYPES)}, optionally as TYPE:PATH (e.g. json:out/prodreal.json)"
        )
    if sep and not path.strip():
        raise pytest.UsageError(f"{name}: {value!r} has an empty PATH; write {kind}:PATH or {kind}")
    default = REPORT_TYPES[kind]
    chosen = path.strip() if sep else default
    return ReportTarget(kind, (base / chosen) if chosen else None)


def check_writable(target: ReportTarget, name: str) -> None:
    """Raise ``UsageError`` now if the report file could not be written at the end."""
    path = target.path
    if path is None:
        return
    if path.is_dir():
        raise pytest.UsageError(
            f"{name}: cannot write the {target.kind} report to {str(path)!r}: it is a directory; "
            "give a file path"
        )
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise pytest.UsageError(
            f"{name}: cannot write the {target.kind} report to {str(path)!r}: cannot create "
            f"directory {str(parent)!r} ({exc.strerror or exc}); choose another path"
        ) from None
    if not os.access(parent, os.W_OK):
        raise pytest.UsageError(
            f"{name}: cannot write the {target.kind} report to {str(path)!r}: directory "
            f"{str(parent)!r} is not writable; choose another path"
        )


def parse_settings(config: pytest.Config, taxonomy: Taxonomy) -> Settings:
    """Read and validate options and ini values (raises ``pytest.UsageError``)."""
    base = config.invocation_params.dir
    raw_reports, rname = _raw(config, "prodreal_report")
    reports: list[ReportTarget] = []
    for item in raw_reports or []:  # type: ignore[attr-defined]
        reports.append(_parse_report(str(item), rname, base))
    # The same target twice is written once.
    reports = list(dict.fromkeys(reports))

    raw_require, qname = _raw(config, "prodreal_require")
    require: list[str] = []
    for item in raw_require or []:  # type: ignore[attr-defined]
        require.extend(x.strip() for x in str(item).split(",") if x.strip())
    if raw_require and not require:
        raise pytest.UsageError(f"{qname}: give category or remedy ids (comma-separated) or 'all'")
    for xid in require:
        if xid != "all" and xid not in taxonomy:
            raise pytest.UsageError(f"{qname}: {taxonomy.unknown_id_message(xid)}")

    raw_max, mname = _raw(config, "prodreal_max_unchecked")
    max_unchecked = _parse_int(raw_max, mname)
    raw_seed, sname = _raw(config, "prodreal_seed")
    seed = _parse_int(raw_seed, sname)

    try:
        gates = Gates(tuple(dict.fromkeys(require)), max_unchecked)
    except InvalidArgument as exc:  # pragma: no cover - _parse_int already checked
        raise pytest.UsageError(f"{mname}: {exc}") from None
    corpus_dir, corpus_mode = _parse_corpus(config)
    return Settings(
        reports=tuple(reports),
        gates=gates,
        seed=seed,
        github_summary=bool(config.getini("prodreal_github_summary")),
        corpus_dir=corpus_dir,
        corpus_mode=corpus_mode,
    )


def _parse_corpus(config: pytest.Config) -> tuple[Path, str]:
    mode, name = _raw(config, "prodreal_corpus")
    if mode not in CORPUS_MODES:
        raise pytest.UsageError(
            f"{name}: invalid value {mode!r}; choose one of {', '.join(CORPUS_MODES)}"
        )
    raw, dname = _raw(config, "prodreal_corpus_dir")
    if not str(raw).strip():
        raise pytest.UsageError(f"{dname}: must name a directory, got an empty value")
    directory = Path(str(raw))
    if not directory.is_absolute():
        directory = config.rootpath / directory
    if directory.exists() and not directory.is_dir():
        raise pytest.UsageError(f"{dname}: {str(directory)!r} is a file, not a directory")
    return directory, str(mode)
