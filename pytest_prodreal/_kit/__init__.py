"""The check kit: what every category's checks share (internal to the project, not public API).

- :mod:`.result` — :class:`CheckResult`, the base of every check result (``held``, ``counted``,
  ``summary``, ``figures``, ``explain()``).
- :mod:`.record` — :func:`conclude`, the one way a check ends: record evidence inside a test,
  raise ``AssertionError`` when it did not hold, and record nothing (with a warning) when it
  exercised nothing.
- :mod:`.validate` — argument checks raising :class:`~pytest_prodreal.errors.InvalidArgument`
  with a message naming the argument and the fix.
- :mod:`.steps` — write a check once as a generator of steps; run it sync or async.

Library layer: imports no pytest. ``CONTRIBUTING.md`` walks through adding a check with it.
"""

from __future__ import annotations

from .record import conclude, in_test, record_if_in_test
from .result import CheckResult
from .steps import Call, Steps, adrive, drive

__all__ = [
    "Call",
    "CheckResult",
    "Steps",
    "adrive",
    "conclude",
    "drive",
    "in_test",
    "record_if_in_test",
]
