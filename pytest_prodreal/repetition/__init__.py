"""Deprecated import path: the state category's library is ``pytest_prodreal.state`` (0.2.0).

Everything public is re-exported here, so ``from pytest_prodreal.repetition import repeat``
keeps working.
"""

from ..state import *  # noqa: F403
from ..state import __all__ as __all__
