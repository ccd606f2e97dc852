"""``python -m pytest_prodreal combine``: merge JSON reports from CI shards and apply gates.

In the spirit of ``coverage combine``: each shard writes ``--prodreal-report=json:PATH``; one
job combines them (in any order) into one report, prints the checklist and fails when a gate is
unmet. Library layer: no pytest.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from functools import reduce
from pathlib import Path

from .._atomic import write_texts_atomic
from ..errors import InvalidArgument
from .model import Gates, RunReport
from .render import render_html, render_json, render_markdown, render_term
from .validate import parse_report_bytes, validate_report

__all__ = ["combine_files", "load_report", "main"]


class CombineError(Exception):
    """A problem with combine's input, reported as one line and exit status 2."""


def load_report(path: Path) -> RunReport:
    """Read and validate one JSON report (raises :class:`CombineError` with a one-line reason)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CombineError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        data = parse_report_bytes(raw)
        validate_report(data)
        return RunReport.from_json(data)
    except InvalidArgument as exc:
        raise CombineError(f"{str(path)!r}{_joined(str(exc))}") from None


def _joined(reason: str) -> str:
    """``'file' is not ...`` reads on; ``'file': tests[0] ...`` needs the colon."""
    return f" {reason}" if reason.startswith(("is ", "has ")) else f": {reason}"


def combine_files(paths: Sequence[Path]) -> RunReport:
    """Merge the reports at ``paths`` (order does not matter)."""
    if not paths:
        raise CombineError("give at least one input report")
    reports = [load_report(p) for p in paths]
    try:
        return reduce(RunReport.merge, reports)
    except InvalidArgument as exc:  # e.g. two shards' taxonomies that cannot be united
        raise CombineError(f"cannot combine the inputs: {exc}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pytest_prodreal",
        description="Tools for pytest-prodreal reports.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser(
        "combine",
        help="merge JSON reports from CI shards and apply the gates",
        description="Merge JSON reports from CI shards (any order) into OUT and apply gates. "
        "Exit status: 0 all gates met, 1 a gate failed, 2 bad input.",
    )
    c.add_argument("out", metavar="OUT.json", help="where to write the combined JSON report")
    c.add_argument("inputs", metavar="IN.json", nargs="+", help="shard reports")
    c.add_argument(
        "--require",
        action="append",
        default=[],
        metavar="IDS",
        help="comma-separated category or remedy ids (or 'all') that must be verified",
    )
    c.add_argument(
        "--max-unchecked",
        default=None,
        metavar="N",
        help="fail when more than N remedies are not verified",
    )
    c.add_argument("--md", metavar="PATH", help="also write the Markdown report to PATH")
    c.add_argument("--html", metavar="PATH", help="also write the HTML report to PATH")
    c.add_argument("-q", "--quiet", action="store_true", help="do not print the checklist")
    return p


def _gates(args: argparse.Namespace) -> Gates:
    require = tuple(x.strip() for item in args.require for x in item.split(",") if x.strip())
    max_unchecked = None
    if args.max_unchecked is not None:
        text = str(args.max_unchecked).strip()
        if not (text.isascii() and text.isdigit()):
            raise CombineError(f"--max-unchecked: expected a whole number >= 0, got {text!r}")
        max_unchecked = int(text)
    try:
        return Gates(require, max_unchecked)
    except InvalidArgument as exc:
        raise CombineError(f"--require/--max-unchecked: {exc}") from None


def _outputs(args: argparse.Namespace, report: RunReport, gates: Gates) -> list[tuple[Path, str]]:
    """Every file to write, rendered in full before anything is written."""
    wanted = [("OUT.json", args.out, render_json)]
    wanted += [("--md", args.md, render_markdown)] if args.md else []
    wanted += [("--html", args.html, render_html)] if args.html else []
    out = []
    for option, path, render in wanted:
        _check_target(Path(path), option)
        out.append((Path(path), render(report, gates)))
    return out


def _check_target(path: Path, option: str) -> None:
    if path.is_dir():
        raise CombineError(f"{option}: {str(path)!r} is a directory; give a file path")
    parent = path.parent
    if not parent.is_dir():
        raise CombineError(
            f"{option}: cannot write {str(path)!r}: directory {str(parent)!r} does not exist; "
            "create it first or choose another path"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m pytest_prodreal``; returns the exit status.

    Exit status 0: every gate met; 1: a gate failed; 2: bad input or output (one line on
    stderr). A command that fails writes nothing: every input is validated and every output
    rendered before the first file is written, and the files are written all or nothing.
    """
    args = _parser().parse_args(argv)
    try:
        gates = _gates(args)
        report = combine_files([Path(p) for p in args.inputs])
        try:
            failures = report.gate_failures(gates)
        except InvalidArgument as exc:
            raise CombineError(f"--require: {exc}") from None
        outputs = _outputs(args, report, gates)
        try:
            write_texts_atomic(outputs)
        except OSError as exc:
            where = exc.filename or ", ".join(str(p) for p, _ in outputs)
            raise CombineError(
                f"cannot write {str(where)!r}: {exc.strerror or exc}; nothing was written, "
                "choose another path"
            ) from None
    except CombineError as exc:
        print(f"prodreal combine: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        for text, _ in render_term(report, None):
            print(text)
    for line in failures:
        print(f"prodreal: gate failed: {line}")
    return 1 if failures else 0
