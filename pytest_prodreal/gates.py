"""Deprecated import path: use ``pytest_prodreal.report.gates`` (moved in 0.2.0)."""

from .report.gates import *  # noqa: F403
from .report.gates import __all__ as __all__
