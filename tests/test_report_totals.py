"""Every report format shows each subject's totals (issue 14 item 5), plain and under -n 2.

Virtual seconds covered, faults fired, calls through chaos routes, requests driven and inputs
generated: added up from the evidence figures, each test counting its largest figure once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

SUITE = """
import pytest
from pytest_prodreal import record_evidence

FIGURES = {
    "demo": {"virtual_s": 1800.5, "faults_fired": 7, "route_calls": 40, "requests": 300},
    "prod": {"virtual_s": 3600.0, "faults_fired": 12, "dependency_calls": 90, "requests": 720},
}

@pytest.fixture(params=["demo", "prod"])
def service(request):
    return request.param

@pytest.mark.prodreal("operations")
def test_soak(service):
    # Two checks over one soak: the same clock and counters, counted once.
    record_evidence("slo", held=True, figures=FIGURES[service])
    record_evidence("error_budget", held=True, figures=FIGURES[service])

@pytest.mark.prodreal("inputs")
def test_inputs(service):
    record_evidence("canary", held=True, figures={"inputs": 25 if service == "demo" else 40})

def test_no_evidence(service):
    pass
"""

#: What each subject's totals must read, in the report's own units.
EXPECTED = {
    "demo": {"virtual_s": 1800.5, "faults_fired": 7, "route_calls": 40, "requests": 300,
             "inputs": 25},
    "prod": {"virtual_s": 3600.0, "faults_fired": 12, "route_calls": 90, "requests": 720,
             "inputs": 40},
}  # fmt: skip
SHOWN = {
    "demo": ["1,800.5", "7", "40", "300", "25"],
    "prod": ["3,600", "12", "90", "720", "40"],
}
TITLES = [
    "virtual seconds covered",
    "faults fired",
    "calls through chaos routes",
    "requests driven",
    "inputs generated",
]


def _line(subject: str) -> str:
    return " · ".join(f"{n} {t}" for n, t in zip(SHOWN[subject], TITLES, strict=True))


@pytest.fixture
def run(pytester: pytest.Pytester, xdist_args: list[str]) -> tuple[Path, str]:
    """The suite run with every report: (its directory, the terminal output)."""
    pytester.makepyfile(test_t=SUITE)
    result = pytester.runpytest(
        "--prodreal-subject-param=service",
        "--prodreal-report",
        "--prodreal-report=json:r.json",
        "--prodreal-report=md:r.md",
        "--prodreal-report=html:r.html",
        "-p",
        "no:randomly",
        *xdist_args,
    )
    result.assert_outcomes(passed=6)
    return pytester.path, result.stdout.str()


def test_terminal_shows_each_subjects_totals(run: tuple[Path, str]) -> None:
    out = run[1]
    for subject in EXPECTED:
        assert f"\n  totals: {_line(subject)}\n" in out, out[-1500:]


def test_json_holds_each_subjects_totals(run: tuple[Path, str]) -> None:
    data = json.loads((run[0] / "r.json").read_text())
    assert {s["id"]: s["totals"] for s in data["subjects"]} == EXPECTED
    # The run's totals add the subjects up.
    assert data["totals"] == {
        k: EXPECTED["demo"][k] + EXPECTED["prod"][k] for k in EXPECTED["demo"]
    }


def test_markdown_has_a_totals_row_per_subject(run: tuple[Path, str]) -> None:
    md = (run[0] / "r.md").read_text()
    assert "| subject | tests | " + " | ".join(TITLES) + " |" in md
    for subject, shown in SHOWN.items():
        assert f"| {subject} | 3 | " + " | ".join(shown) + " |" in md


def test_html_shows_totals_in_the_cards_and_the_table(run: tuple[Path, str]) -> None:
    page = (run[0] / "r.html").read_text()
    table = page.split("<table id='totals'>", 1)[1].split("</table>", 1)[0]
    rows = {
        m.group(1): re.findall(r"<td data-total='\w+'>([^<]*)</td>", m.group(2))
        for m in re.finditer(r"<tr><td>([\w-]+)</td>(.*?)</tr>", table, re.S)
    }
    assert rows == SHOWN
    for subject in EXPECTED:
        card = page.split(f"data-subject='{subject}'>", 1)[1].split("</div></div>", 1)[0]
        assert f"<div class='muted totals'>{_line(subject)}" in card
    # The embedded data is the JSON report's.
    data = page.split("id='prodreal-data'>", 1)[1].split("</script>", 1)[0]
    assert {s["id"]: s["totals"] for s in json.loads(data)["subjects"]} == EXPECTED
