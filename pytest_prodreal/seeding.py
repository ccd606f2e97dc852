"""Reproducible randomness: one run seed, one derived seed per test.

Like pytest-randomly, a test's seed is derived from the run seed and the test's node id, so it
does not depend on test order, ``-k`` selection or how pytest-xdist splits the run.
"""

from __future__ import annotations

import os
import random
import zlib

__all__ = ["derive_seed", "fresh_seed", "rng_for"]


def fresh_seed() -> int:
    """A new run seed from the OS's entropy (what ``--prodreal-seed`` defaults to)."""
    return int.from_bytes(os.urandom(4), "big")


def derive_seed(run_seed: int, nodeid: str, salt: str = "") -> int:
    """The seed for ``nodeid`` (and an optional ``salt``, e.g. a fixture name) in a run.

    Uses CRC-32 rather than ``hash()``: Python salts string hashes per process, which would give
    each xdist worker a different answer.
    """
    key = f"{nodeid}\x00{salt}".encode()
    return (int(run_seed) * 1_000_003 + zlib.crc32(key)) % (2**32)


def rng_for(run_seed: int, nodeid: str, salt: str = "") -> random.Random:
    """A fresh ``random.Random`` seeded with :func:`derive_seed`."""
    return random.Random(derive_seed(run_seed, nodeid, salt))
