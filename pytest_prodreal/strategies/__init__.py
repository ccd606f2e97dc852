"""Messy-input Hypothesis strategies (the library lives in ``pytest_prodreal.inputs.strategies``).

This is the public import path: ``from pytest_prodreal import strategies as ps``.
"""

from ..inputs.strategies import *  # noqa: F403
from ..inputs.strategies import __all__ as __all__
