"""Deprecated import path: use ``pytest_prodreal.report.render`` (moved in 0.2.0)."""

from .report.render import *  # noqa: F403
from .report.render import __all__ as __all__
