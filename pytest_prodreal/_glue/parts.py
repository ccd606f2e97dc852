"""The registry of product parts: one tuple of names, each a glue module with a ``PART``.

Adding a part: write ``_glue/<name>.py`` with its fixtures and ``PART = Part(name="<name>", ...)``
and add ``"<name>"`` here. A name with no module, a module with no ``PART`` or a ``PART`` of
another name fails loudly at start-up (nothing is skipped silently).
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType

import pytest

from .part import Part

__all__ = ["PART_NAMES", "load_parts", "register_parts"]

#: Every part with a pytest surface, in wiring order (the clock before what runs on it).
PART_NAMES: tuple[str, ...] = ("clock", "chaos", "inputs", "state", "trust", "operations")


@functools.cache
def load_parts() -> tuple[tuple[Part, ModuleType], ...]:
    """Import each part's glue module and return its ``PART`` with the module."""
    out: list[tuple[Part, ModuleType]] = []
    for name in PART_NAMES:
        module = importlib.import_module(f"{__package__}.{name}")
        part = getattr(module, "PART", None)
        if not isinstance(part, Part) or part.name != name:
            raise RuntimeError(
                f"pytest-prodreal: glue module {module.__name__} must define "
                f"PART = Part(name={name!r}, ...)"
            )
        out.append((part, module))
    return tuple(out)


def register_parts(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register each part's glue module as a plugin (its fixtures and hooks)."""
    for part, module in load_parts():
        name = f"prodreal-{part.name}"
        if not pluginmanager.is_registered(module):
            pluginmanager.register(module, name)


def parts() -> tuple[Part, ...]:
    """The parts' records."""
    return tuple(part for part, _ in load_parts())
