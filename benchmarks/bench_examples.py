"""The example suite as a whole (issue 14): wall time against the virtual time it covers."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def examples_wall_s() -> dict[str, object]:
    """Wall seconds of ``pytest examples`` (both services), with the virtual seconds covered.

    The virtual seconds per subject come from the JSON report's totals.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "r.json"
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", str(EXAMPLES), "-q", "-p", "no:randomly",
             f"--prodreal-report=json:{report}"],
            capture_output=True, text=True, check=False, cwd=EXAMPLES,
        )  # fmt: skip
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(proc.stdout[-2000:])
        data = json.loads(report.read_text())
    covered = {
        s.get("id", "?"): s.get("totals", {}).get("virtual_s")
        for s in data.get("subjects", [])
        if isinstance(s, dict)
    }
    return {
        "value": round(wall, 2),
        "unit": "s",
        "goal": "<= 60 s on the 2-core CI machine, covering >= 1 virtual hour per subject",
        "virtual_s_per_subject": covered,
    }


BENCHMARKS = {"examples_wall_s": examples_wall_s}
