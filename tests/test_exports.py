"""Every module lists its public names in __all__, and they all exist."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import mockrt

MODULES = sorted(
    m.name.removeprefix("mockrt.")
    for m in pkgutil.walk_packages(mockrt.__path__, "mockrt.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_module_all_names_exist_and_are_sorted_out(name: str) -> None:
    module = importlib.import_module(f"mockrt.{name}")
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"mockrt.{name} has no __all__"
    for public in exported:
        assert hasattr(module, public), f"mockrt.{name}.__all__ names missing {public}"
    defined = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and getattr(v, "__module__", None) == module.__name__
        and callable(v)
    }
    assert defined <= set(exported), f"public but not in __all__: {defined - set(exported)}"


def test_package_root_exports_the_main_entry_points() -> None:
    for name in mockrt.__all__:
        assert hasattr(mockrt, name)
