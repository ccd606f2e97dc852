"""Deprecated import path: use ``pytest_prodreal.report.combine`` (moved in 0.2.0)."""

from .report.combine import *  # noqa: F403
from .report.combine import __all__ as __all__
