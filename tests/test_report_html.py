"""The HTML report as a user sees it: rendered in headless Chromium (Debian's package).

A synthetic report with every chart; the example suite's real report (and the README's
screenshot, ``docs/img/report.png``) is tested in ``tests/test_browser_examples.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_prodreal import DEFAULT_TAXONOMY, Evidence
from pytest_prodreal.report.model import Gates, RunInfo, RunReport, TestRecord
from pytest_prodreal.report.render import render_html, render_json

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
REMEDIES = [r.id for r in DEFAULT_TAXONOMY.remedies]
LATENCY = {
    "prod": {"p50_s": 0.21, "p90_s": 0.48, "p95_s": 0.62, "p99_s": 1.4, "max_s": 2.9},
    "demo": {"p50_s": 0.35, "p90_s": 2.1, "p95_s": 8.0, "p99_s": 30.0, "max_s": 60.0},
}


def _report() -> RunReport:
    """Two subjects: prod verifies every remedy; demo fails one check in each category."""
    records = []
    for subject in ("prod", "demo"):
        for i, rid in enumerate(REMEDIES):
            held = subject == "prod" or i % 3 != 0
            figures: dict[str, float | int | str | None] = {"inputs": 20, "faults_fired": 2}
            if rid == "slo":
                figures |= {"scenario": "brownout", "virtual_s": 3600.0, "requests": 360}
                figures |= LATENCY[subject]
            if rid == "error_budget":
                figures |= {
                    "scenario": "brownout",
                    "budget_consumed": 0.4 if held else 2.5,
                    "burn_rate_1h": 3.0 if held else 20.0,
                    "burn_rate_6h": 1.2 if held else 7.5,
                }
            if rid == "time_budget":
                figures |= {"amplification_search": 1.0 if held else 4.0, "amplification_llm": 1.5}
            if not held:
                figures["fault_timeline"] = "0.5:search:timeout;1.5:search:timeout;4:llm:http_500"
            records.append(
                TestRecord(
                    f"tests/test_{subject}.py::test_{rid}",
                    "passed" if held else "failed",
                    declared=(rid,),
                    evidence=(
                        Evidence(rid, held, check=rid, summary=f"{rid}: checked", figures=figures),
                    ),
                    subject=subject,
                )
            )
    return RunReport.from_records(records, runs=[RunInfo(seed=1234, python="3.11")])


def test_html_report_in_a_real_browser(tmp_path: Path) -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    report = _report()
    gates = Gates(("prod:all",))
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(report, gates), encoding="utf-8")
    url = page_file.as_uri()
    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type in ("error", "warning") else None,
            )
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(url, wait_until="load")

            # The verdicts, one card per subject, as the user reads them.
            cards = page.locator(".card")
            assert cards.count() == 2
            verdicts = {
                cards.nth(i).get_attribute("data-subject"): cards.nth(i).locator(".verdict")
                for i in range(2)
            }
            assert verdicts["prod"].inner_text() == (
                "✓ READY to launch: 0 of 15 remedies not verified (launch rule: at most 2)"
            )
            assert verdicts["demo"].inner_text().startswith("✗ NOT READY to launch: 5 of 15")
            assert verdicts["demo"].is_visible() and verdicts["prod"].is_visible()

            # Every remedy row, with a status per subject.
            rows = page.locator("#checklist tr.remedy")
            assert rows.count() == len(REMEDIES)
            for i, rid in enumerate(REMEDIES):
                row = rows.nth(i)
                assert row.get_attribute("data-remedy") == rid and row.is_visible()
                cells = row.locator(".st").all_inner_texts()
                # Subjects side by side, sorted: demo, then prod.
                assert cells[0] == ("✗ failing" if i % 3 == 0 else "✓ verified")
                assert cells[1] == "✓ verified"

            # A chart with its data points: the latency percentiles of both subjects.
            points = page.locator("[data-chart=latency] g.pt")
            assert points.count() == 10
            drawn = {
                (p.get_attribute("data-name"), p.get_attribute("data-figure")): float(
                    p.get_attribute("data-value") or "nan"
                )
                for p in points.all()
            }
            for subject, figs in LATENCY.items():
                for key, value in figs.items():
                    assert drawn[(f"{subject} · brownout", key)] == value
            box = points.first.bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0
            for kind in ("coverage", "error_budget", "burn_rate", "amplification", "timeline"):
                assert page.locator(f"[data-chart={kind}] svg").first.is_visible(), kind
            coverage = page.locator("[data-chart=coverage][data-subject=demo] g.seg")
            assert {s.get_attribute("data-status") for s in coverage.all()} == {
                "verified",
                "failing",
            }
            # The embedded data is the JSON report.
            embedded = page.evaluate(
                "JSON.parse(document.getElementById('prodreal-data').textContent)"
            )
            assert embedded == json.loads(render_json(report, gates))
            page.emulate_media(media="print")
            assert page.locator(".card").first.is_visible()
        finally:
            browser.close()
    assert problems == []
    assert requests == [url], "the page must load nothing but itself"


def test_report_page_is_self_contained_and_names_no_check_twice() -> None:
    page = render_html(_report())
    assert "http://" not in page and "https://" not in page and "src=" not in page
    assert page.count("<script") == 2  # the JSON data and the print helper, nothing fetched
    assert "slo: slo:" not in page and "slo: checked" in page
    assert "<\\/" not in page.split("prodreal-data")[0]


def test_html_degrades_without_operations_figures() -> None:
    report = RunReport.from_records(
        [TestRecord("t::a", "passed", evidence=(Evidence("slo", True),))]
    )
    page = render_html(report)
    assert "No operations figures recorded" in page
    assert "data-chart='latency'" not in page and "data-chart='coverage'" in page


def test_embedded_json_cannot_close_its_script() -> None:
    report = RunReport.from_records(
        [TestRecord("t::a", "passed", evidence=(Evidence("slo", True, summary="</script><b>"),))]
    )
    page = render_html(report)
    data = page.split("id='prodreal-data'>", 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["tests"][0]["evidence"][0]["summary"] == "</script><b>"


def test_browser_is_installed_by_ci() -> None:
    text = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert "apt-get install -y" in text and "chromium" in text
