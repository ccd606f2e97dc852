"""The issue's "Bad input" list, item by item: each is a one-line ``InvalidArgument`` naming the
argument (sync and async soaks alike). ``tests/test_operations.py`` has the first cases; these
cover the rest of each item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_prodreal import InvalidArgument
from pytest_prodreal.operations import (
    Bursts,
    Constant,
    Poisson,
    asoak,
    check_cost_cap,
    check_error_budget,
    check_observability,
    check_slo,
    soak,
)

RATES = [
    (lambda: Poisson(0), r"^Poisson: rate=0 must be a positive, finite number of requests"),
    (lambda: Constant(-2.0), r"^Constant: rate=-2.0 must be a positive"),
    (lambda: Constant("fast"), r"^Constant: rate='fast' must be a positive"),
    (lambda: Poisson(float("inf")), r"^Poisson: rate=inf must be a positive, finite"),
    (lambda: Bursts(size=0), r"^Bursts: size=0 must be a whole number >= 1"),
    (lambda: Bursts(base_rate=-1), r"^Bursts: base_rate=-1 must be a finite number >= 0"),
]


@pytest.mark.parametrize(("make", "match"), RATES)
def test_non_positive_rates(make: Callable[[], object], match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        make()


SOAKS = [
    ({"duration": 0}, r"duration=0 must be a positive, finite number of virtual seconds"),
    ({"duration": float("nan")}, r"duration=nan must be a positive"),
    ({"requests": 1, "timeout_s": 0}, r"timeout_s=0 must be a positive, finite number of real"),
    ({"requests": 1.5}, r"requests=1.5 must be a whole number >= 1"),
    ({"requests": 1, "concurrency": 0}, r"concurrency=0 must be a whole number >= 1"),
    ({"requests": 1, "arrivals": 2.0}, r"arrivals=2.0 must be Constant\(rate\), Poisson"),
    ({"requests": 1, "seed": "x"}, r"seed='x' must be an int"),
    ({"requests": 1, "prices": {}}, r"prices=\{\} must be a non-empty dict of model"),
    ({"requests": 1, "prices": {"m": {"input": -1, "output": 1}}}, r"prices\['m'\] input=-1"),
]


@pytest.mark.parametrize(("kwargs", "match"), SOAKS)
def test_bad_soak_arguments_name_the_argument(
    prodreal_clock: Any, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidArgument, match=rf"^soak: {match}"):
        soak(str, [1], **kwargs)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("inputs", "kwargs", "match"),
    [
        ([], {"requests": 1}, r"inputs is empty; give at least one value"),
        ([1], {"duration": -1}, r"duration=-1 must be a positive"),
        ([1], {"requests": 1, "concurrency": 0}, r"concurrency=0 must be a whole number"),
        ([1], {"requests": 1, "timeout_s": -3}, r"timeout_s=-3 must be a positive"),
        ([1], {"requests": 1, "duration": 5}, r"pass exactly one of duration="),
    ],
)
async def test_bad_async_soak_arguments_name_the_argument(
    prodreal_clock: Any, inputs: list[Any], kwargs: dict[str, Any], match: str
) -> None:
    async def call(_: object) -> int:
        return 1

    with pytest.raises(InvalidArgument, match=rf"^asoak: {match}"):
        await asoak(call, inputs, **kwargs)


def test_bad_check_arguments_name_the_argument(prodreal_clock: Any) -> None:
    result = soak(str, [1], requests=3)
    cases: list[tuple[Callable[[], object], str]] = [
        (
            lambda: check_slo(result, latency_s={100.5: 1}),
            r"percentile 100.5 must be in \(0, 100\]",
        ),
        (lambda: result.percentile(-1), r"percentile -1 must be in \(0, 100\]"),
        (lambda: check_slo(result, success_rate=1.5), r"success_rate=1.5 must be a rate"),
        (lambda: check_error_budget(result, slo=float("nan")), r"slo=nan must be a finite"),
        (lambda: check_error_budget(result, window=-1), r"window=-1 must be a positive"),
        (lambda: check_error_budget(result, expect="maybe"), r"unknown expect 'maybe'"),
        (lambda: check_cost_cap(result), r"give max_cost= \(USD per request\) and/or max_calls="),
        (lambda: check_cost_cap(result, max_calls=0), r"max_calls=0 must be a whole number"),
        (lambda: check_observability(result, max_noise=-1), r"max_noise=-1 must be a finite"),
    ]
    for make, match in cases:
        with pytest.raises(InvalidArgument, match=match) as info:
            make()
        assert "\n" not in str(info.value)  # one line


def test_a_cost_cap_or_objective_without_a_price_table(prodreal_clock: Any) -> None:
    result = soak(str, [1], requests=2)  # no prices=
    with pytest.raises(InvalidArgument, match="max_cost= is a cost cap without a price table"):
        check_cost_cap(result, max_cost=0.01, max_calls=3)
    with pytest.raises(InvalidArgument, match="cost_per_request= needs a price table"):
        check_slo(result, success_rate=0.5, cost_per_request=0.01)
