"""``python -m pytest_prodreal combine``: merge JSON reports from CI shards and apply gates.

In the spirit of ``coverage combine``: each shard writes ``--prodreal-report=json:PATH``; one
job combines them (in any order) into one report, prints the checklist and fails when a gate is
unmet. Library layer: no pytest.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from functools import reduce
from pathlib import Path

from .._atomic import write_text_atomic
from ..errors import InvalidArgument
from .model import Gates, RunReport
from .render import render_html, render_json, render_markdown, render_term

__all__ = ["combine_files", "load_report", "main"]


class CombineError(Exception):
    """A problem with combine's input, reported as one line and exit status 2."""


def load_report(path: Path) -> RunReport:
    """Read one JSON report (raises :class:`CombineError` with a one-line reason)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CombineError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CombineError(
            f"{str(path)!r} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "pass files written by --prodreal-report=json:PATH"
        ) from None
    try:
        return RunReport.from_json(data)
    except InvalidArgument as exc:
        raise CombineError(f"{str(path)!r}: {exc}") from None


def combine_files(paths: Sequence[Path]) -> RunReport:
    """Merge the reports at ``paths`` (order does not matter)."""
    if not paths:
        raise CombineError("give at least one input report")
    return reduce(RunReport.merge, (load_report(p) for p in paths))


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
        if not text.isdigit():
            raise CombineError(f"--max-unchecked: expected a whole number >= 0, got {text!r}")
        max_unchecked = int(text)
    return Gates(require, max_unchecked)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m pytest_prodreal``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        gates = _gates(args)
        report = combine_files([Path(p) for p in args.inputs])
        try:
            failures = report.gate_failures(gates)
        except InvalidArgument as exc:
            raise CombineError(f"--require: {exc}") from None
        for path, text in (
            (args.out, render_json(report, gates)),
            (args.md, render_markdown(report, gates) if args.md else ""),
            (args.html, render_html(report, gates) if args.html else ""),
        ):
            if path:
                try:
                    write_text_atomic(Path(path), text)
                except OSError as exc:
                    raise CombineError(
                        f"cannot write {str(path)!r}: {exc.strerror or exc}"
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
