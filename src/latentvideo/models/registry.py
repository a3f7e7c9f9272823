"""Model registry: every module of this package may declare ``MODELS = {name: ModelSpec(...)}``.

Adding a model is one module (with its ``MODELS``) plus one entry under ``models:`` in the config.
Modules are discovered when a model is first looked up, not when this package is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from latentvideo.discovery import declarations
from latentvideo.models.spec import ModelSpec


def registered_models() -> dict[str, ModelSpec]:
    """Collect ``MODELS`` from every module of ``latentvideo.models``; a name declared twice is an error."""
    import latentvideo.models as package

    return declarations(package, "MODELS", "model")


def model_names() -> list[str]:
    return sorted(registered_models())


def hyperparameter_names(name: str) -> set[str]:
    """The keyword arguments a registered model accepts (its config dataclass fields not fixed by the name)."""
    return registered_models()[name].hyperparameter_names()


def build_model(name: str, hyperparameters: Mapping[str, Any]) -> nn.Module:
    """Build model ``name`` from its hyper-parameters; unknown names or keys raise a ValueError naming them."""
    specs = registered_models()
    if name not in specs:
        raise ValueError(f"unknown model {name!r}; registered models: {', '.join(sorted(specs))}")
    accepted = specs[name].hyperparameter_names()
    unknown = set(hyperparameters) - accepted
    if unknown:
        raise ValueError(f"model {name!r} has no hyper-parameter(s) {sorted(unknown)}; accepted: {sorted(accepted)}")
    return specs[name].build(**hyperparameters)
