"""Unknown keyword arguments of the operations checks: ``InvalidArgument``, not ``TypeError``.

``check_slo(result, p97_s=1)`` would otherwise fail with Python's ``TypeError: ... got an
unexpected keyword argument``, which names neither the valid objectives nor the fix.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from .._kit.validate import suggest
from ..errors import InvalidArgument

__all__ = ["known_keywords"]

P = ParamSpec("P")
R = TypeVar("R")


def _percentile_hint(name: str) -> str:
    """`` For the p97 latency pass latency_s={97: ...}.`` for a ``p<N>_s`` keyword."""
    found = re.fullmatch(r"p(\d+(?:_\d+)?)_s", name)
    if not found:
        return ""
    pct = found.group(1).replace("_", ".")
    return f" For the p{pct} latency pass latency_s={{{pct}: <seconds>}}."


def known_keywords(
    noun: str = "argument", *, percentiles: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a check so an unknown keyword raises one-line ``InvalidArgument``.

    The message names the keyword, a near miss (``Did you mean 'p95_s'?``) and every keyword
    the check takes (its ``noun``s: "objective" for :func:`check_slo`). ``percentiles`` adds
    the ``latency_s={97: ...}`` hint for ``p97_s=``. Calls with known keywords cost one set
    lookup per keyword.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        params = inspect.signature(func).parameters
        known = [
            n for n, p in params.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        keywords = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]
        accepted = frozenset(known)
        where = func.__name__

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            __tracebackhide__ = True
            for name in kwargs:
                if name not in accepted:
                    value = kwargs[name]
                    hint = suggest(name, keywords)
                    if percentiles:
                        extra = _percentile_hint(name)
                        if extra:
                            hint += extra.replace("<seconds>", repr(value))
                    raise InvalidArgument(
                        f"{where}: unknown {noun} {name}={value!r}.{hint} "
                        f"{noun.capitalize()}s: {', '.join(keywords)}"
                    )
            return func(*args, **kwargs)

        return wrapper

    return decorate
