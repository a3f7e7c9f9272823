"""Model registry: a name in config -> (config dataclass, model class). Adding a model = one module + one entry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from latentvideo.models.srvp import SRVP, SRVPConfig
from latentvideo.models.svg import SVG, SVGConfig


def _svg_lp(**kw: Any) -> SVG:
    return SVG(SVGConfig(learned_prior=True, **kw))


def _svg_fp(**kw: Any) -> SVG:
    return SVG(SVGConfig(learned_prior=False, **kw))


def _srvp(**kw: Any) -> SRVP:
    return SRVP(SRVPConfig(**kw))


_REGISTRY: dict[str, tuple[Callable[..., nn.Module], type]] = {
    "srvp": (_srvp, SRVPConfig),
    "svg_lp": (_svg_lp, SVGConfig),
    "svg_fp": (_svg_fp, SVGConfig),
}


def model_names() -> list[str]:
    return sorted(_REGISTRY)


def hyperparameter_names(name: str) -> set[str]:
    """The keyword arguments a registered model accepts (its config dataclass fields)."""
    fields = {f.name for f in dataclasses.fields(_REGISTRY[name][1])}
    return fields - {"learned_prior"} if name.startswith("svg") else fields


def build_model(name: str, hyperparameters: Mapping[str, Any]) -> nn.Module:
    """Build model ``name`` from its hyper-parameters; unknown names or keys raise a ValueError naming them."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; registered models: {', '.join(model_names())}")
    unknown = set(hyperparameters) - hyperparameter_names(name)
    if unknown:
        raise ValueError(
            f"model {name!r} has no hyper-parameter(s) {sorted(unknown)}; accepted: {sorted(hyperparameter_names(name))}"
        )
    factory, _ = _REGISTRY[name]
    return factory(**hyperparameters)
