"""Evaluation protocols: every module of this package may declare ``PROTOCOLS = {name: ProtocolSpec(...)}``.

A protocol measures one trained model (or a reference predictor) on a stored test set and writes the tidy
``metrics.csv`` and its ``samples.npz`` into the job's folder. Which protocol a job runs is the model's
(config ``models.<m>.evaluation.protocol``) unless its *evaluation variant* names another
(``evaluation_variants.<v>.protocol``: e.g. SRVP's latent interpolation beside its best-of-N scores).

Adding a protocol is one module with its ``PROTOCOLS`` plus the config that uses it; modules are discovered
when a protocol is first looked up, not when this package is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from latentvideo.atomic import atomic_path
from latentvideo.discovery import declarations
from latentvideo.evaluation.tidy import to_frame


@dataclass(frozen=True)
class EvaluationJob:
    """Everything one evaluate job knows.

    model: the trained model in eval mode, or a reference predictor (a sampler function).
    settings: the experiment's resolved settings (``config.experiment_settings``), ``dataset`` included.
    protocol: the protocol's settings (model block < experiment overrides < variant overrides), ``protocol``
        key included. variant: the evaluation variant's name; variant_settings: its entry (``sample``: keyword
        arguments of ``model.sample``, ``samples``: the best-of-N count ...).
    evaluation: the budget's test protocol (``test_videos``, ``samples``, ``batch_size``, ``saved_videos``).
    testset: the stored test split it reads; test_dataset: the config entry of its dataset (``cond_frames`` ...),
    the experiment's own unless the variant names another. meta: the identity columns of its tidy rows.
    metric_weights: the config's ``metric_weights`` (the user's weight files of the perceptual metrics,
    :mod:`latentvideo.evaluation.perceptual`). judges: ``{dataset: judge.pt}`` of a judged protocol (the judge
    classifiers trained by the DAG, :mod:`latentvideo.training.judge_training`).
    """

    model: Any
    settings: Mapping[str, Any]
    protocol: Mapping[str, Any]
    variant: str
    variant_settings: Mapping[str, Any]
    evaluation: Mapping[str, Any]
    testset: Path
    test_dataset: Mapping[str, Any]
    meta: Mapping[str, Any]
    out_dir: Path
    device: torch.device
    metric_weights: Mapping[str, Any] = field(default_factory=dict)
    judges: Mapping[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class ProtocolResult:
    """What a protocol reports besides its files: ``summary {metric: (value, ci95)}``, a one-line statement
    of what was measured at which budget (kept in ``eval.json``), extra ``eval.json`` fields, the lines to
    print (default: one per metric with its 95% CI and the statement), and ``not_computed {metric: why}``."""

    summary: dict[str, tuple[float, float]]
    statement: str
    record: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    not_computed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProtocolSpec:
    """A registered protocol.

    run: writes ``metrics.csv`` and ``samples.npz`` into ``job.out_dir`` and returns a :class:`ProtocolResult`.
    settings_schema: JSON schema of its settings (the keys of ``models.<m>.evaluation`` besides ``protocol``,
        which experiments and variants may override). variant_keys: the further keys an evaluation variant may
        set for it. requires: the methods a model needs for it (checked when the config is loaded).
    perceptual_metrics(dataset): the perceptual metrics (``lpips``, ``fvd``) it computes on a dataset (its
        config entry), whose weight files are then the job's inputs (:mod:`latentvideo.evaluation.perceptual`).
    judged: it scores generated videos with the judge classifier of its test set's dataset (config ``judges``),
        whose ``judge.pt`` is then the job's input.
    """

    run: Callable[[EvaluationJob], ProtocolResult]
    description: str
    settings_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "additionalProperties": False,
                                                                        "properties": {}})
    variant_keys: frozenset[str] = frozenset()
    requires: tuple[str, ...] = ()
    perceptual_metrics: Callable[[Mapping[str, Any]], list[str]] = field(default=lambda dataset: [])
    judged: bool = False


def registered_protocols() -> dict[str, ProtocolSpec]:
    """Collect ``PROTOCOLS`` from every module of ``latentvideo.evaluation``; a name declared twice is an error."""
    import latentvideo.evaluation as package

    return declarations(package, "PROTOCOLS", "evaluation protocol")


def trained_at(meta: Mapping[str, Any]) -> str:
    """The start of a protocol's statement: ``budget <b>: <steps> steps x batch <B>`` of the trained model."""
    return f"budget {meta['budget']}: {meta['train_steps']} steps x batch {meta['batch_size']}"


def write_results(out_dir: Path, rows: list[dict[str, Any]], arrays: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """A protocol's two files, atomically: ``samples.npz`` (``arrays``, compressed) and the tidy ``metrics.csv``
    (``rows``); returns the summary ``{metric: (value, ci95)}`` of the ``t = mean`` rows of computed metrics."""
    with atomic_path(out_dir / "samples.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    with atomic_path(out_dir / "metrics.csv") as tmp:
        to_frame(rows).to_csv(tmp, index=False)
    return {r["metric"]: (r["value"], r["ci95"]) for r in rows if r["t"] == "mean" and not r.get("note")}


def protocol(name: str) -> ProtocolSpec:
    specs = registered_protocols()
    if name not in specs:
        raise ValueError(f"unknown evaluation protocol {name!r}; registered: {', '.join(sorted(specs))}")
    return specs[name]
