"""``python -m pytest_prodreal``: see :mod:`pytest_prodreal.report.combine`."""

from __future__ import annotations

from .report.combine import main

if __name__ == "__main__":
    raise SystemExit(main())
