"""Exceptions and warnings raised by pytest-prodreal's library layer.

These import nothing from pytest, so scripts can catch them too.
"""

from __future__ import annotations

__all__ = ["EvidenceError", "InvalidArgument", "ProdrealError", "ProdrealWarning"]


class ProdrealError(Exception):
    """Base class of every error pytest-prodreal raises on purpose."""


class InvalidArgument(ProdrealError, ValueError, TypeError):
    """A library function was called with an argument it cannot accept.

    It subclasses both ``ValueError`` and ``TypeError`` (as Hypothesis's does), so callers that
    catch either keep working. The message names the argument and says what is allowed.
    """


class EvidenceError(ProdrealError, RuntimeError):
    """Evidence was recorded where it cannot count (outside a running test, or an unknown id)."""


class ProdrealWarning(UserWarning):
    """A degraded but continuing situation, such as a chaos fault that never fired."""
