"""``python -m pytest_prodreal``: see :mod:`pytest_prodreal.combine`."""

from __future__ import annotations

from .combine import main

if __name__ == "__main__":
    raise SystemExit(main())
