"""The README's main job: the example suite passes and its report verifies what it claims."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_example_suite_passes_and_verifies_ten_remedies(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLES), "-q", f"--prodreal-report=json:{report}",
         "--prodreal-report=term"],
        capture_output=True, text=True, check=False, cwd=EXAMPLES,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]
    data = json.loads(report.read_text())
    status = {r["id"]: r["status"] for r in data["remedies"]}
    verified = sorted(rid for rid, s in status.items() if s == "verified")
    assert verified == sorted(
        [
            "shadow_traffic", "canary", "failure_corpus",
            "time_budget", "circuit_breaker", "graceful_degradation",
            "determinism", "caching_policy", "idempotency", "slo",
        ]
    )  # fmt: skip
    assert "NOT READY to launch: 5 of 15 remedies not verified" in proc.stdout
