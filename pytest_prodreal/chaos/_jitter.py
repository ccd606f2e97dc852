"""Seeded retry jitter for the openai and anthropic SDKs while a chaos runs.

Both SDKs shorten each retry back-off by a random 0-25 %, drawn with ``from random import
random`` in their ``_base_client`` module: from the *global* generator. Under chaos that made
the same seed give different latencies whenever the SDK retried. While a chaos runs, that
module-level ``random`` is replaced by a function drawing from a ``random.Random`` seeded from
the chaos seed (the innermost running chaos's, a fresh generator at each start); the global
``random`` is neither drawn from nor reseeded.

The patch is process-wide and reference-counted, like the client patches (``_clients``): the
first running chaos installs it, the last one to stop puts back exactly the objects it found.
An SDK is never imported here: one already imported is patched at start, one imported while
the chaos runs at its first routed request (:func:`catch_up`), one not installed costs a
``sys.modules`` lookup. Should another patch be layered over ours and undone after the chaos
stopped, our function is left behind; with no chaos running it draws from the global
generator, as the SDK did.
"""

from __future__ import annotations

import random
import sys
import threading
from typing import Any, ClassVar

from ..seeding import derive_seed

__all__ = ["JITTER_MODULES", "acquire", "catch_up", "release", "seeded_random"]

#: The modules whose ``random`` attribute (``from random import random``) is the retry jitter.
JITTER_MODULES: tuple[str, ...] = ("openai._base_client", "anthropic._base_client")


class _State:
    lock = threading.Lock()
    #: One generator per running chaos, innermost (most recently started) last.
    owners: ClassVar[list[tuple[object, random.Random]]] = []
    #: Module name -> (module, the attribute it had before we patched it).
    saved: ClassVar[dict[str, tuple[Any, Any]]] = {}


def seeded_random() -> float:
    """A float in [0, 1) from the innermost running chaos's jitter generator."""
    owners = _State.owners
    if owners:
        try:
            return owners[-1][1].random()
        except IndexError:  # the last chaos stopped in another thread meanwhile
            pass
    return random.random()


def _patch_loaded() -> None:
    """Patch each jitter module already imported and not yet patched (lock held)."""
    for name in JITTER_MODULES:
        if name in _State.saved:
            continue
        module: Any = sys.modules.get(name)
        if module is None or not callable(getattr(module, "random", None)):
            continue
        _State.saved[name] = (module, module.random)
        module.random = seeded_random


def acquire(owner: object, seed: int) -> None:
    """Start seeded jitter for ``owner`` (a chaos starting with ``seed``)."""
    rng = random.Random(derive_seed(seed, "", "prodreal.chaos.sdk-jitter"))
    with _State.lock:
        _State.owners.append((owner, rng))
        _patch_loaded()


def catch_up() -> None:
    """Patch an SDK imported since the chaos started (called for each routed request)."""
    if len(_State.saved) == len(JITTER_MODULES) or not _State.owners:
        return
    if not any(n in sys.modules and n not in _State.saved for n in JITTER_MODULES):
        return
    with _State.lock:
        if _State.owners:
            _patch_loaded()


def release(owner: object) -> None:
    """Stop ``owner``'s seeded jitter; the last owner puts the SDKs' ``random`` back."""
    with _State.lock:
        _State.owners[:] = [x for x in _State.owners if x[0] is not owner]
        if _State.owners:
            return
        while _State.saved:
            _, (module, original) = _State.saved.popitem()
            if getattr(module, "random", None) is seeded_random:
                module.random = original
