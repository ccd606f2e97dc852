"""No report repeats a check's name (issue 14 item 6: "invariant: invariant: 0 of 160")."""

from __future__ import annotations

import re

import pytest

from pytest_prodreal import Evidence
from pytest_prodreal.report.render import evidence_text

# Checks that lead their summary with their own name, in the ways checks write it, and one
# that does not (the report then adds the name once).
SUITE = """
import pytest
from pytest_prodreal import record_evidence

CASES = [
    ("canary", "invariant", "invariant: 0 of 160 perturbed inputs broke the expectation"),
    ("slo", "check_slo", "check_slo: 3/3 objectives met over 740 requests"),
    ("guardrails", "Guardrails", "guardrails: 0 of 9 attack inputs violated"),
    ("abstain", "abstain", "abstain"),
    ("time_budget", "time_budget", "slowest of 5 runs took 9.400 virtual s"),
]

@pytest.mark.parametrize("remedy, check, summary", CASES)
def test_check(remedy, check, summary):
    record_evidence(remedy, held=True, check=check, summary=summary, figures={"inputs": 1})
"""

# A word (or dotted/underscored name) followed by itself after a colon: "x: x" or "x: x:".
REPEAT = re.compile(r"(?i)(?<![\w.-])([\w.-]+)\s*:\s*\1(?![\w.-])")


@pytest.mark.parametrize(
    ("check", "summary", "shown"),
    [
        ("invariant", "invariant: 0 of 160", "invariant: 0 of 160"),
        ("invariant", "Invariant: 0 of 160", "Invariant: 0 of 160"),
        ("invariant", "invariant : 0 of 160", "invariant : 0 of 160"),
        ("abstain", "abstain", "abstain"),
        ("abstain", "", "abstain"),
        ("", "3 answers judged", "3 answers judged"),
        ("time_budget", "slowest run 9.4 s", "time_budget: slowest run 9.4 s"),
        ("check_slo", "slo: 3/3 met", "check_slo: slo: 3/3 met"),  # another word: kept
    ],
)
def test_evidence_text_names_the_check_once(check: str, summary: str, shown: str) -> None:
    assert evidence_text(Evidence("slo", True, check=check, summary=summary)) == shown


def test_no_format_repeats_a_check_name(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    pytester.makepyfile(test_n=SUITE)
    result = pytester.runpytest(
        "--prodreal-report",
        "--prodreal-report=json:r.json",
        "--prodreal-report=md:r.md",
        "--prodreal-report=html:r.html",
        "-v",
        "-p",
        "no:randomly",
        *xdist_args,
    )
    result.assert_outcomes(passed=5)
    checklist = result.stdout.str().split("prodreal: launch checklist", 1)[1]
    outputs = {
        "term": checklist,
        "json": (pytester.path / "r.json").read_text(),
        "md": (pytester.path / "r.md").read_text(),
        "html": (pytester.path / "r.html").read_text(),
    }
    for kind, text in outputs.items():
        repeats = [m.group(0) for m in REPEAT.finditer(text)]
        assert repeats == [], (kind, repeats)
    page = outputs["html"]
    for line in (
        "invariant: 0 of 160 perturbed inputs broke the expectation",
        "check_slo: 3/3 objectives met over 740 requests",
        "guardrails: 0 of 9 attack inputs violated",
        "time_budget: slowest of 5 runs took 9.400 virtual s",
    ):
        assert f"<div>{line}</div>" in page, line
    assert "<div>abstain</div>" in page
