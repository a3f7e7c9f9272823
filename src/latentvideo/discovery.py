"""Registries by declaration: collect a named mapping that modules of a package declare beside their code."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any


def declarations(package: ModuleType, attribute: str, what: str) -> dict[str, Any]:
    """Merge ``<module>.<attribute>`` (a ``{name: spec}`` mapping) over every module of ``package``, importing
    them now (never at the package's import); a name declared twice is an error naming both modules."""
    found: dict[str, Any] = {}
    where: dict[str, str] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, spec in getattr(module, attribute, {}).items():
            if name in found:
                raise ValueError(f"{what} {name!r} is declared twice ({where[name]} and {module.__name__})")
            found[name], where[name] = spec, module.__name__
    return found
