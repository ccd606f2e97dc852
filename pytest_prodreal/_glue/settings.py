"""Command-line options and their ini twins, parsed once into a typed :class:`Settings`.

One table holds every option (as pytest-timeout does), so the option and its ini key always
share the same help text. Bad values raise ``pytest.UsageError`` naming the option and the fix.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..errors import InvalidArgument
from ..report.gates import Gates, split_required, subject_problem
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
    action: str = "store"  # "store", "store_true", "append" or "report" (repeatable, bare = term)
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
        "verified by passing tests with evidence, for every subject; SUBJECT:ID for one "
        "subject only (e.g. prod:all)",
        metavar="IDS",
        action="append",
    ),
    Option(
        "--prodreal-max-unchecked",
        "prodreal_max_unchecked",
        "int",
        "fail the run when more than N remedies are not verified (the launch rule is N=2)",
    ),
    Option(
        "--prodreal-subject-param",
        "prodreal_subject_param",
        "string",
        "the parametrized fixture or argument whose parameter id names each test's subject "
        "(e.g. service: one checklist, verdict and gate result per service)",
        metavar="NAME",
    ),
    Option(
        "--prodreal-seed",
        "prodreal_seed",
        "int",
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
    Option(
        "--prodreal-network-guard",
        "prodreal_network_guard",
        "flag",
        "block every connection and DNS lookup in every test, not only in chaos tests (a "
        "blocked attempt fails the test, naming host, port and client)",
        action="store_true",
        ini_default=False,
    ),
    Option(
        "--prodreal-allow-loopback",
        "prodreal_allow_loopback",
        "flag",
        "let the network guard (chaos tests and --prodreal-network-guard) allow connections to "
        "this machine (localhost, 127.0.0.0/8, ::1), for tests that run a local server",
        action="store_true",
        ini_default=False,
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
    network_guard: bool = False
    allow_loopback: bool = False
    subject_param: str | None = None

    @property
    def active(self) -> bool:
        """Whether a report or gate was asked for (only then does the plugin collect)."""
        return bool(self.reports) or self.gates.any


def add_options(parser: pytest.Parser) -> None:
    """Register the options and ini keys of :data:`OPTIONS`."""
    group = parser.getgroup("prodreal", "production-realism testing (pytest-prodreal)")
    for opt in OPTIONS:
        if opt.action == "store_true":
            group.addoption(
                opt.flag, action="store_true", default=None, dest=opt.ini, help=opt.help
            )
        elif opt.action == "report":
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
        ini_type = _ini_type(opt.ini_type)
        parser.addini(opt.ini, opt.help, type=ini_type, default=opt.ini_default)  # type: ignore[arg-type]
    parser.addini(
        "prodreal_github_summary",
        "append the Markdown report to $GITHUB_STEP_SUMMARY when a report is written and that "
        "variable is set (default: true)",
        type=_ini_type("flag"),  # type: ignore[arg-type]
        default=True,
    )


def _pytest_version() -> tuple[int, int]:
    major, minor = [*pytest.__version__.split("."), "0"][:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


def _ini_type(kind: str) -> object:
    """The ``addini`` type for a row's ``ini_type``.

    ``int`` and ``flag`` (a bool we parse ourselves) are declared so that pytest 9's native
    ``[tool.pytest]`` table takes ``prodreal_seed = 5`` or ``prodreal_github_summary = false``.
    pytest >= 9.2 takes the union ``int | str`` (``bool | str``): every value reaches our parser,
    which names the key and the fix for a bad one (also an empty ``key =``). Older pytest gets
    ``string`` (``bool`` for a flag), which ``[pytest]`` and ``[tool.pytest.ini_options]`` read.
    """
    if kind not in ("int", "flag"):
        return kind
    if _pytest_version() >= (9, 2):
        return (int | str) if kind == "int" else (bool | str)
    return "string" if kind == "int" else "bool"


_LIST_TYPES = frozenset({"args", "linelist", "paths", "pathlist"})


def _raw(config: pytest.Config, key: str) -> tuple[object, str]:
    """The option's value if given on the command line, else the ini value; and its name.

    A value pytest itself rejects (a toml value of the wrong type) becomes a ``UsageError``
    naming the key; so does a list given to a key that takes one value.
    """
    value = config.getoption(key)
    if value is not None:
        return value, "--" + key.replace("_", "-")
    name = f"ini option {key!r}"
    try:
        with warnings.catch_warnings():
            # pytest warns before returning a toml list for a "string" key; we refuse it below.
            warnings.simplefilter("ignore")
            value = config.getini(key)
    except pytest.UsageError as exc:
        reason = _pytest_reason(exc)
        raise pytest.UsageError(f"{name}: {reason}; {_ini_fix(key)}") from None
    if isinstance(value, list) and _ini_kind(key) not in _LIST_TYPES:
        raise pytest.UsageError(
            f"{name}: expected one value, got a list {value!r}; {_ini_fix(key)}"
        )
    return value, name


def _pytest_reason(exc: pytest.UsageError) -> str:
    """Pytest's complaint without its file path and key (our message names the key)."""
    text = str(exc).rpartition(": config option ")[2] or str(exc)
    key, sep, rest = text.partition(" expects ")
    return f"expected {rest}" if sep and key.startswith("'") else text


def _ini_kind(key: str) -> str:
    for opt in OPTIONS:
        if opt.ini == key:
            return opt.ini_type
    return "flag" if key == "prodreal_github_summary" else "string"


def _ini_fix(key: str) -> str:
    example = {
        "int": f"{key} = 5",
        "flag": f"{key} = false",
        "bool": f"{key} = true",
    }.get(_ini_kind(key), f'{key} = "..."' if _ini_kind(key) == "string" else f"{key} = a b")
    return f"write e.g. {example}"


def _parse_int(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise pytest.UsageError(f"{name}: expected a whole number >= 0, got {value!r}")
    text = str(value).strip()
    if not text:
        raise pytest.UsageError(
            f"{name}: empty value; give a whole number >= 0 (e.g. {_example(name, '5')}) or "
            "leave the option out"
        )
    if not (text.isascii() and text.lstrip("+").isdigit()):
        raise pytest.UsageError(f"{name}: expected a whole number >= 0, got {text!r}")
    return int(text)


def _example(name: str, value: str) -> str:
    if name.startswith("--"):
        return f"{name}={value}"
    key = name.removeprefix("ini option ").strip("'")
    return f"{key} = {value}"


_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f"})


def _parse_flag(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    shown = "an empty value" if not text else repr(value)
    raise pytest.UsageError(f"{name}: expected true or false, got {shown}; {_ini_fix(name[12:-1])}")


def _parse_report(value: str, name: str, base: Path) -> ReportTarget:
    kind, sep, path = value.strip().partition(":")
    kind = kind.strip().lower() or "term"
    if kind not in REPORT_TYPES and name.startswith("--") and _is_test_path(value, base):
        # ``pytest --prodreal-report tests/``: argparse's ``nargs="?"`` took the path as the
        # option's value. Say so, rather than call a directory an unknown report type.
        raise pytest.UsageError(
            f"{name}: took {value!r} as its report type, but it is a test path; put the paths "
            f"first (pytest {value} {name}) or write {name}=term {value}"
        )
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


def _is_test_path(value: str, base: Path) -> bool:
    """Whether ``value`` names an existing file or directory (``path::test`` ids included)."""
    path = value.split("::", 1)[0]
    try:
        return bool(path) and (base / path).exists()
    except (OSError, ValueError):  # a name too long, a NUL byte: not a path
        return False


def check_writable(target: ReportTarget, name: str) -> None:
    """Raise ``UsageError`` now if the report file could not be written at the end.

    Creates nothing (a failed command writes nothing, not even a directory): a missing directory
    is made when the report is written, and here only a probe directory, removed at once, shows
    that it could be (``os.access`` says yes to root on ``/proc``: only a real attempt tells).
    """
    path = target.path
    if path is None:
        return
    where = f"{name}: cannot write the {target.kind} report to {str(path)!r}"
    if path.is_dir():
        raise pytest.UsageError(f"{where}: it is a directory; give a file path")
    parent = path.parent
    ancestor = parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise pytest.UsageError(
            f"{where}: cannot create directory {str(parent)!r} ({str(ancestor)!r} is a file); "
            "choose another path"
        )
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".prodreal-probe-", dir=ancestor))
    except OSError as exc:
        if ancestor == parent:
            problem = f"directory {str(parent)!r} is not writable ({exc.strerror or exc})"
        else:
            problem = f"cannot create directory {str(parent)!r} ({exc.strerror or exc})"
        raise pytest.UsageError(f"{where}: {problem}; choose another path") from None


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
    for item in require:
        subject, xid = split_required(item)  # SUBJECT:ID holds for that subject only
        if subject is not None:
            problem = subject_problem(subject) if subject else "an empty subject"
            if problem:
                raise pytest.UsageError(
                    f"{qname}: {item!r}: {problem}; write SUBJECT:ID, e.g. prod:all"
                )
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
        github_summary=_parse_flag(*_raw_ini(config, "prodreal_github_summary")),
        corpus_dir=corpus_dir,
        corpus_mode=corpus_mode,
        subject_param=_parse_subject_param(config),
        network_guard=_parse_flag(*_raw(config, "prodreal_network_guard")),
        allow_loopback=_parse_flag(*_raw(config, "prodreal_allow_loopback")),
    )


def _parse_subject_param(config: pytest.Config) -> str | None:
    raw, name = _raw(config, "prodreal_subject_param")
    if raw is None:  # neither given nor set in the ini file
        return None
    text = str(raw).strip()
    if not text:
        raise pytest.UsageError(
            f"{name}: empty value; name the parametrized fixture or argument whose parameter id "
            f"names each test's subject (e.g. {_example(name, 'service')}) or leave the option out"
        )
    if not text.isidentifier():
        raise pytest.UsageError(
            f"{name}: expected the name of a parametrized fixture or argument, got {text!r}"
        )
    return text


def _raw_ini(config: pytest.Config, key: str) -> tuple[object, str]:
    """An ini-only key's value and name (see :func:`_raw`)."""
    name = f"ini option {key!r}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return config.getini(key), name
    except pytest.UsageError as exc:
        reason = _pytest_reason(exc)
        raise pytest.UsageError(f"{name}: {reason}; {_ini_fix(key)}") from None


def _check_corpus_dir(directory: Path, name: str, mode: str) -> None:
    """Refuse at start-up a corpus directory that could never be created or written."""
    if directory.exists():
        if not directory.is_dir():
            raise pytest.UsageError(f"{name}: {str(directory)!r} is a file, not a directory")
        if mode == "record" and not os.access(directory, os.W_OK):
            raise pytest.UsageError(
                f"{name}: directory {str(directory)!r} is not writable; choose another "
                "directory or use --prodreal-corpus=replay"
            )
        return
    ancestor = directory.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    problem = None
    if not ancestor.is_dir():
        problem = f"{str(ancestor)!r} is a file"
    elif mode == "record":
        try:  # os.access says yes to root on /proc: only a real attempt tells
            os.rmdir(tempfile.mkdtemp(prefix=".prodreal-probe-", dir=ancestor))
        except OSError as exc:
            problem = f"cannot create a directory in {str(ancestor)!r} ({exc.strerror or exc})"
    if problem:
        raise pytest.UsageError(
            f"{name}: cannot create the corpus directory {str(directory)!r}: {problem}; "
            "choose another directory"
        )


def _parse_corpus(config: pytest.Config) -> tuple[Path, str]:
    mode, name = _raw(config, "prodreal_corpus")
    if mode not in CORPUS_MODES:
        raise pytest.UsageError(
            f"{name}: invalid value {mode!r}; choose one of {', '.join(CORPUS_MODES)}"
        )
    raw, dname = _raw(config, "prodreal_corpus_dir")
    if not isinstance(raw, str):
        raise pytest.UsageError(
            f"{dname}: expected a directory name, got {raw!r}; {_ini_fix('prodreal_corpus_dir')}"
        )
    if not raw.strip():
        raise pytest.UsageError(
            f"{dname}: empty value; name a directory (e.g. {_example(dname, 'prodreal-corpus')}) "
            "or leave the option out"
        )
    directory = Path(raw)
    if not directory.is_absolute():
        directory = config.rootpath / directory
    if raw != "prodreal-corpus":  # the default is made when first needed, not probed
        _check_corpus_dir(directory, dname, str(mode))
    elif directory.exists() and not directory.is_dir():
        raise pytest.UsageError(f"{dname}: {str(directory)!r} is a file, not a directory")
    return directory, str(mode)
