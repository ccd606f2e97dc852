"""The example suite's own HTML report, opened in headless Chromium as a team lead would.

This is the page the README shows. To regenerate ``docs/img/report.png`` from it::

    PRODREAL_SCREENSHOT=1 .venv/bin/python -m pytest -p no:randomly tests/test_browser_examples.py

(Debian's ``chromium`` package must be at ``/usr/bin/chromium``; ``.ci/run`` installs it.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
SCREENSHOT = ROOT / "docs" / "img" / "report.png"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: A laptop screen: what the README's screenshot shows is what fits above the fold.
LAPTOP = {"width": 1366, "height": 900}


@dataclass(frozen=True)
class MainJob:
    """The README's main job, run with every report written."""

    stdout: str
    html: Path
    md: Path
    data: dict[str, Any]


@pytest.fixture(scope="module")
def example_report(tmp_path_factory: pytest.TempPathFactory) -> MainJob:
    """The README's main job with the HTML, Markdown and JSON reports written."""
    out = tmp_path_factory.mktemp("examples-html")
    page, md, data = out / "report.html", out / "report.md", out / "report.json"
    # The README's picture comes from one fixed seed, so regenerating it changes no figure.
    seed = ["--prodreal-seed=2026"] if os.environ.get("PRODREAL_SCREENSHOT") else []
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLES), "-q", "-p", "no:randomly",
         "--prodreal-report", f"--prodreal-report=html:{page}", f"--prodreal-report=md:{md}",
         f"--prodreal-report=json:{data}", "-o", f"prodreal_corpus_dir={out / 'corpus'}", *seed],
        capture_output=True, text=True, check=False, cwd=EXAMPLES,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return MainJob(proc.stdout, page, md, json.loads(data.read_text()))


def test_the_example_report_in_a_real_browser(example_report: MainJob) -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    page_file = example_report.html
    subjects = {s["id"]: s for s in example_report.data["subjects"]}
    assert set(subjects) == {"demo", "production"}
    url = page_file.as_uri()
    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=LAPTOP)
            page.on("request", lambda r: requests.append(r.url))
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type in ("error", "warning") else None,
            )
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(url, wait_until="load")

            # Both verdicts are on screen without scrolling: what the screenshot shows.
            cards = {c.get_attribute("data-subject"): c for c in page.locator(".card").all()}
            assert set(cards) == {"demo", "production"}
            demo = cards["demo"].locator(".verdict")
            prod = cards["production"].locator(".verdict")
            assert demo.inner_text().startswith("✗ NOT READY to launch: ")
            assert prod.inner_text() == (
                "✓ READY to launch: 0 of 15 remedies not verified (launch rule: at most 2)"
            )
            for verdict in (demo, prod):
                box = verdict.bounding_box()
                assert box is not None and box["y"] + box["height"] <= LAPTOP["height"]

            # Each card quotes its subject's totals, the figures the JSON holds.
            for sid, card in cards.items():
                totals = subjects[sid]["totals"]
                text = card.locator(".totals").inner_text()
                assert f"{totals['faults_fired']:,} faults fired" in text, (sid, text)
                assert f"{totals['inputs']:,} inputs generated" in text, (sid, text)

            # Every remedy row, with the JSON's status for each subject side by side.
            rows = page.locator("#checklist tr.remedy")
            remedies = [r["id"] for r in subjects["production"]["remedies"]]
            assert rows.count() == len(remedies) == 15
            for i, rid in enumerate(remedies):
                row = rows.nth(i)
                assert row.get_attribute("data-remedy") == rid
                cells = row.locator(".st").all_inner_texts()
                assert len(cells) == 2, (rid, cells)
                for cell, sid in zip(cells, ("demo", "production"), strict=True):
                    status = {r["id"]: r["status"] for r in subjects[sid]["remedies"]}[rid]
                    assert cell.endswith(f" {status}"), (rid, sid, cell)
            assert page.locator("[data-chart=coverage] svg").first.is_visible()
            # The operations charts draw what the built-in checks recorded: latency per soak,
            # the error budget and its burn, retry amplification, and the fault timeline of the
            # demo's failing dependencies checks; each with data points.
            for chart in ("latency", "error_budget", "burn_rate", "amplification", "timeline"):
                figure = page.locator(f"[data-chart={chart}]").first
                assert figure.is_visible(), chart
                assert figure.locator("[data-value], [data-name]").count() >= 1, chart

            if os.environ.get("PRODREAL_SCREENSHOT"):
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT), full_page=False)
        finally:
            browser.close()
    assert problems == []
    assert requests == [url], "the page must load nothing but itself"


# A word followed by itself after a colon: "invariant: invariant: 0 of 160".
REPEAT = re.compile(r"(?i)(?<![\w.-])([\w.-]+)\s*:\s*\1(?![\w.-])")
TITLES = {
    "virtual_s": "virtual seconds covered",
    "faults_fired": "faults fired",
    "route_calls": "calls through chaos routes",
    "requests": "requests driven",
    "inputs": "inputs generated",
}


def _shown(value: float) -> str:
    return f"{value:,.1f}" if not float(value).is_integer() else f"{value:,.0f}"


def test_every_format_shows_each_subjects_totals(example_report: MainJob) -> None:
    """Real checks against both services: every total is counted, in every report format."""
    subjects = {s["id"]: s["totals"] for s in example_report.data["subjects"]}
    md = example_report.md.read_text()
    page = example_report.html.read_text()
    for sid, totals in subjects.items():
        assert set(totals) == set(TITLES)
        assert all(totals[k] > 0 for k in TITLES), (sid, totals)
        assert totals["virtual_s"] >= 3600, (sid, totals)  # at least an hour of traffic each
        line = " · ".join(f"{_shown(totals[k])} {t}" for k, t in TITLES.items())
        assert f"  totals: {line}" in example_report.stdout, sid
        cells = " | ".join(_shown(totals[k]) for k in TITLES)
        assert re.search(rf"^\| {sid} \| \d+ \| {re.escape(cells)} \|$", md, re.M), sid
        assert f"<div class='muted totals'>{line}</div>" in page, sid


def test_no_format_repeats_a_check_name(example_report: MainJob) -> None:
    checklist = example_report.stdout.split("prodreal: launch checklist", 1)[1]
    for kind, text in {
        "term": checklist,
        "md": example_report.md.read_text(),
        "html": example_report.html.read_text(),
        "json": json.dumps(example_report.data),
    }.items():
        assert [m.group(0) for m in REPEAT.finditer(text)] == [], kind
