"""The networks behind the perceptual metrics (LPIPS, FVD), loaded for an evaluate job from the weight files the
user declared (config ``metric_weights``; never downloaded).

A metric whose weights are absent, changed or of another format is *not computed*: the job goes on with the
other metrics and every output says why (a tidy row with the reason, ``summary.json``'s ``not_computed``, the
table cells), never a zero or a blank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import torch

from latentvideo.evaluation.best_of_n import FrameMetric, lpips_metric
from latentvideo.metrics.weight_files import WeightFileError, weight_file

HOW_TO = "README 'Metric weights' says where to obtain it and the format expected"
FILES = {"lpips": ("lpips_alexnet", "lpips_linear"), "fvd": ("i3d",)}
"""The ``metric_weights`` entries each metric needs."""


class Loaded(NamedTuple):
    """What could be loaded: ``networks`` ``{metric: module}`` in eval mode on the job's device; ``not_computed``
    ``{metric: why}``; ``weights`` ``{metric_weights entry: sha256}`` of the files used (for ``eval.json``)."""

    networks: dict[str, torch.nn.Module]
    not_computed: dict[str, str]
    weights: dict[str, str]


def _load(metric: str, paths: list[str]) -> torch.nn.Module:
    if metric == "lpips":
        from latentvideo.metrics.lpips import LPIPS

        return LPIPS.from_files(*paths)
    from latentvideo.metrics.i3d import I3D

    return I3D.from_file(paths[0])


def load_networks(metrics: Iterable[str], metric_weights: Mapping[str, Any], device: torch.device) -> Loaded:
    """The networks of ``metrics`` (``lpips``, ``fvd``) from the files of ``metric_weights`` (the config's
    block): each missing, changed or malformed file makes its metric not computed, saying which file and why."""
    networks, not_computed, weights = {}, {}, {}
    for metric in metrics:
        if metric not in FILES:
            raise ValueError(f"no perceptual metric {metric!r}; known: {sorted(FILES)}")
        try:
            found = [weight_file(name, metric_weights.get(name), HOW_TO) for name in FILES[metric]]
            networks[metric] = _load(metric, [str(f.path) for f in found]).to(device).eval()
        except WeightFileError as err:
            not_computed[metric] = f"not computed: {err}"
            continue
        weights.update({name: f.sha256 for name, f in zip(FILES[metric], found)})
    return Loaded(networks, not_computed, weights)


def perceptual_frame_metrics(loaded: Loaded) -> dict[str, FrameMetric]:
    """The frame metrics of ``loaded`` best-of-N scores (LPIPS: lower is better)."""
    return {name: lpips_metric(net) for name, net in loaded.networks.items() if name == "lpips"}


def weight_inputs(metrics: Iterable[str], metric_weights: Mapping[str, Any]) -> list[str]:
    """The declared weight files of ``metrics`` that exist (a job's inputs: adding or changing one reruns it)."""
    paths = [metric_weights.get(name, {}).get("path") for metric in metrics for name in FILES.get(metric, ())]
    return [p for p in paths if p and Path(p).is_file()]
