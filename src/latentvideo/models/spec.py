"""How a model module declares the models it provides (see :mod:`latentvideo.models.registry`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from torch import nn


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its class, its hyper-parameter dataclass, and fields fixed by the name.

    ``build(**hyperparameters)`` = ``model_class(config_class(**fixed, **hyperparameters))``.
    """

    model_class: type[nn.Module]
    config_class: type
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def hyperparameter_names(self) -> set[str]:
        """The keyword arguments this model accepts: its config fields not fixed by the name."""
        return {f.name for f in fields(self.config_class)} - set(self.fixed)

    def build(self, **hyperparameters: Any) -> nn.Module:
        return self.model_class(self.config_class(**self.fixed, **hyperparameters))
