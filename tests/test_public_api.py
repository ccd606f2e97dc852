"""The top-level public API: one list drives the lazy table, ``__all__`` and the type imports."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

import pytest_prodreal


def _type_checking_names() -> dict[str, str]:
    tree = ast.parse(inspect.getsource(pytest_prodreal))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                for alias in imp.names:
                    names[alias.asname or alias.name] = (imp.module or "").split(".")[0]
    return names


def test_type_checking_imports_name_the_lazy_table() -> None:
    assert _type_checking_names() == pytest_prodreal._LAZY


def test_all_is_the_eager_names_and_the_lazy_table() -> None:
    assert set(pytest_prodreal.__all__) == set(pytest_prodreal._EAGER) | set(pytest_prodreal._LAZY)
    assert len(pytest_prodreal.__all__) == len(set(pytest_prodreal.__all__))


@pytest.mark.parametrize("name", sorted(pytest_prodreal._LAZY))
def test_every_lazy_name_resolves_to_its_module(name: str) -> None:
    module = importlib.import_module(f"pytest_prodreal.{pytest_prodreal._LAZY[name]}")
    assert getattr(pytest_prodreal, name) is getattr(module, name)


@pytest.mark.parametrize("name", sorted(pytest_prodreal._EAGER))
def test_every_eager_name_exists(name: str) -> None:
    assert hasattr(pytest_prodreal, name)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pytest_prodreal.nope  # noqa: B018
