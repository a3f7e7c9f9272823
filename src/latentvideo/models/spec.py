"""How a model module declares the models it provides (see :mod:`latentvideo.models.registry`)."""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from torch import nn


MAX_SIZE = 1 << 16
SCHEMA_BY_TYPE: dict[Any, dict[str, Any]] = {
    int: {"type": "integer", "minimum": 1, "maximum": MAX_SIZE},
    float: {"type": "number", "minimum": 0},
    bool: {"type": "boolean"},
    str: {"type": "string"},
}
SCHEMA_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum")


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its class, its hyper-parameter dataclass, and fields fixed by the name.

    ``build(**hyperparameters)`` = ``model_class(config_class(**fixed, **hyperparameters))``.
    ``weight_files(config)``: the ``model_weights`` entries (user-provided pretrained weights, e.g. PROVIDE's
    frozen SqueezeNet layers) a model of that config needs; the trainer passes each to the model's
    ``load_weight_file(name, path)`` after building it.
    """

    model_class: type[nn.Module]
    config_class: type
    fixed: Mapping[str, Any] = field(default_factory=dict)
    weight_files: Callable[[Any], tuple[str, ...]] = field(default=lambda config: ())

    def needed_weights(self, hyperparameters: Mapping[str, Any]) -> tuple[str, ...]:
        """The ``model_weights`` entries a model of these hyper-parameters loads when it is built for training."""
        return self.weight_files(self.config_class(**self.fixed, **hyperparameters))

    def hyperparameter_names(self) -> set[str]:
        """The keyword arguments this model accepts: its config fields not fixed by the name."""
        return {f.name for f in fields(self.config_class)} - set(self.fixed)

    def hyperparameter_schema(self) -> dict[str, Any]:
        """A JSON schema of the accepted hyper-parameters, typed from the config dataclass's annotations.

        Bounds by type: ``int`` fields are sizes or counts (1 .. MAX_SIZE), ``float`` fields are weights,
        scales or rates (finite, >= 0; finiteness is checked by the config loader, JSON schema cannot say it),
        ``bool`` and ``str`` as annotated. A field's ``metadata`` may narrow this (``minimum``, ``maximum``,
        ``exclusiveMinimum``, ``enum``).
        """
        hints = typing.get_type_hints(self.config_class)
        properties = {}
        for f in fields(self.config_class):
            if f.name in self.fixed:
                continue
            kind = hints[f.name]
            prop: dict[str, Any] = dict(SCHEMA_BY_TYPE.get(kind, {}))
            prop.update({k: v for k, v in f.metadata.items() if k in SCHEMA_KEYWORDS})
            properties[f.name] = prop
        return {"type": "object", "additionalProperties": False, "properties": properties}

    def check(self, hyperparameters: Mapping[str, Any]) -> None:
        """Build the config dataclass only (no model), so its own checks (``__post_init__``) run."""
        self.config_class(**self.fixed, **hyperparameters)

    def build(self, **hyperparameters: Any) -> nn.Module:
        return self.model_class(self.config_class(**self.fixed, **hyperparameters))
