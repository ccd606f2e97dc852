"""Deprecated import path: use ``pytest_prodreal.report.model`` (moved in 0.2.0)."""

from .report.model import *  # noqa: F403
from .report.model import __all__ as __all__
