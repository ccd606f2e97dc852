"""The ``operations`` category: soak runs in virtual time, SLOs, error budgets, silent failures.

- :func:`soak` / :func:`asoak` drive a callable over many inputs on the virtual clock, with
  :class:`Constant`, :class:`Poisson` or :class:`Bursts` arrivals, recording per request its
  outcome, virtual latency, chaos calls and retries, tokens and cost, and WARNING+ logs.
- :func:`check_slo` and :func:`check_cost_cap` (remedy ``slo``), :func:`check_error_budget`
  (``error_budget``), :func:`check_observability` (``observability``) judge a
  :class:`SoakResult`, raise ``AssertionError`` with the figures and record evidence in a test.

Library layer: imports no pytest. See ``docs/operations.md``.
"""

from __future__ import annotations

from ._arrivals import Arrivals, Bursts, Constant, Poisson
from ._budget import FAST_BURN, SLOW_BURN, BurnRule, ErrorBudgetResult, check_error_budget
from ._observability import ObservabilityResult, SilentFailure, check_observability, zero_hits
from ._observe import LogEntry, Observer, Trace, signal
from ._result import Request, SoakResult
from ._slo import CostCapResult, Objective, SloResult, check_cost_cap, check_slo
from ._soak import SoakProgress, SoakTimeout, asoak, soak

__all__ = [
    "FAST_BURN",
    "SLOW_BURN",
    "Arrivals",
    "Bursts",
    "BurnRule",
    "Constant",
    "CostCapResult",
    "ErrorBudgetResult",
    "LogEntry",
    "Objective",
    "ObservabilityResult",
    "Observer",
    "Poisson",
    "Request",
    "SilentFailure",
    "SloResult",
    "SoakProgress",
    "SoakResult",
    "SoakTimeout",
    "Trace",
    "asoak",
    "check_cost_cap",
    "check_error_budget",
    "check_observability",
    "check_slo",
    "signal",
    "soak",
    "zero_hits",
]
