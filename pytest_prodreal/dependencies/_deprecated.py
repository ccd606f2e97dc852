"""The pre-0.2 names of the dependencies checks, kept one release as deprecated aliases.

Each alias warns ``DeprecationWarning`` naming its new name, then calls it (an async alias
returns the new check's coroutine, so ``await async_time_budget(...)`` keeps working).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ._breaker import acheck_circuit_breaker, check_circuit_breaker
from ._budget import (
    acheck_graceful_degradation,
    acheck_time_budget,
    check_graceful_degradation,
    check_time_budget,
)

__all__ = [
    "async_circuit_breaker",
    "async_graceful_degradation",
    "async_time_budget",
    "circuit_breaker",
    "graceful_degradation",
    "time_budget",
]

F = TypeVar("F", bound=Callable[..., Any])


def _alias(old: str, new: F) -> F:
    @functools.wraps(new)
    def alias(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        warnings.warn(
            f"pytest_prodreal.dependencies.{old} is deprecated; use {new.__name__} "
            "(same arguments)",
            DeprecationWarning,
            stacklevel=2,
        )
        return new(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = f"Deprecated alias of :func:`{new.__name__}` (warns ``DeprecationWarning``)."
    return cast(F, alias)


time_budget = _alias("time_budget", check_time_budget)
async_time_budget = _alias("async_time_budget", acheck_time_budget)
circuit_breaker = _alias("circuit_breaker", check_circuit_breaker)
async_circuit_breaker = _alias("async_circuit_breaker", acheck_circuit_breaker)
graceful_degradation = _alias("graceful_degradation", check_graceful_degradation)
async_graceful_degradation = _alias("async_graceful_degradation", acheck_graceful_degradation)
