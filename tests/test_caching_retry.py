"""check_caching_policy and services that retry their dependency inside one call."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from pytest_prodreal.clock import VirtualClock
from pytest_prodreal.state import DependencyFailed, FakeDependency, check_caching_policy


def _cached(retries: int, cache_failures: bool) -> Any:
    def make(dependency: FakeDependency) -> Any:
        store: dict[str, tuple[float, str]] = {}
        lock = threading.Lock()  # single flight: concurrent misses wait for the first

        def get(key: str) -> str:
            with lock:
                return fill(key)

        def fill(key: str) -> str:
            hit = store.get(key)
            if hit is not None and time.monotonic() - hit[0] < 300:
                return hit[1]
            for attempt in range(retries + 1):
                try:
                    value = str(dependency(key))
                    break
                except DependencyFailed:
                    if attempt == retries:
                        value = "fallback"
                        if not cache_failures:
                            return value
            store[key] = (time.monotonic(), value)
            return value

        return get

    return make


def test_a_retry_that_reached_the_recovered_dependency_may_be_cached() -> None:
    with VirtualClock() as clock:
        result = check_caching_policy(
            _cached(retries=1, cache_failures=False), keys=["a", "b"], ttl=300, clock=clock
        )
    assert result.held


def test_a_cached_fallback_still_fails() -> None:
    with VirtualClock() as clock, pytest.raises(AssertionError, match="failures_not_cached"):
        check_caching_policy(
            _cached(retries=0, cache_failures=True), keys=["a", "b"], ttl=300, clock=clock
        )
