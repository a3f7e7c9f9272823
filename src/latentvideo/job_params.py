"""The one source of job parameters: the config keys each job of the DAG depends on, with their values.

Snakemake receives them as a rule's ``params`` (so its ``params`` rerun trigger re-runs a job when one of its
keys changes) and ``dvc.yaml`` as each stage's ``params`` (so ``dvc repro`` does the same). A key is a dotted
path into ``config/config.yaml``. Changing a dataset key (``max_speed``) thus rebuilds its test set and
retrains and re-evaluates its models; changing a figure's declaration re-renders only that figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from latentvideo import selection
from latentvideo.data.dataset_kinds import budget_entry


def _get(cfg: Mapping[str, Any], key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        node = node[part]
    return node


def _budget_key(cfg: Mapping[str, Any], key: str) -> list[str]:
    """``budgets.<b>.<key>`` when the active budget has it."""
    return [f"budgets.{cfg['budget']}.{key}"] if key in cfg["budgets"][cfg["budget"]] else []


def _digits(cfg: Mapping[str, Any], w: Mapping[str, str]) -> list[str]:
    return ["digits", *_budget_key(cfg, "digits_source")]


def _uses_digits(cfg: Mapping[str, Any], dataset: str) -> bool:
    """Whether a dataset is generated from the digit pools."""
    from latentvideo.targets import DIGITS, stored_source

    return stored_source(cfg, dataset) == [DIGITS]


def _dataset_keys(cfg: Mapping[str, Any], dataset: str) -> list[str]:
    """A dataset's entry and the active budget's overrides of it (``budgets.<b>.datasets.<name>``)."""
    overrides = cfg["budgets"][cfg["budget"]].get("datasets", {})
    return [f"datasets.{dataset}", *([f"budgets.{cfg['budget']}.datasets.{dataset}"] if dataset in overrides else [])]


def _testset(cfg: Mapping[str, Any], w: Mapping[str, str]) -> list[str]:
    digits = _digits(cfg, w) if _uses_digits(cfg, w["dataset"]) else []
    return [*_dataset_keys(cfg, w["dataset"]), *digits, f"budgets.{cfg['budget']}.evaluation.test_videos"]


def _raw(cfg: Mapping[str, Any], w: Mapping[str, str]) -> list[str]:
    return [f"raw_data.{w['raw']}"]


def _experiment_keys(cfg: Mapping[str, Any], experiment: str, fields: tuple[str, ...]) -> list[str]:
    return [f"experiments.{experiment}.{f}" for f in fields if f in cfg["experiments"][experiment]]


def _train(cfg: Mapping[str, Any], w: Mapping[str, str]) -> list[str]:
    """Not the label: renaming a row re-renders and re-evaluates, it does not retrain."""
    exp = cfg["experiments"][w["experiment"]]
    keys = [*_experiment_keys(cfg, w["experiment"], ("paper", "model", "dataset", "variant", "hyperparameters")),
            f"models.{exp['model']}.hyperparameters", f"models.{exp['model']}.optimizer",
            *_dataset_keys(cfg, exp["dataset"]), f"budgets.{cfg['budget']}.training",
            *_budget_key(cfg, "hyperparameters"), *(["digits"] if _uses_digits(cfg, exp["dataset"]) else [])]
    raw = budget_entry(cfg, exp["dataset"]).get("raw")
    if raw is not None:
        keys.append(f"raw_data.{raw}")
    from latentvideo.config import model_weight_files

    keys += [f"model_weights.{name}" for name in model_weight_files(cfg, w["experiment"])]
    return keys


def _weights(cfg: Mapping[str, Any], protocol_name: str, dataset: str) -> list[str]:
    """The ``metric_weights`` entries a job's perceptual metrics read (a new path or pinned sum reruns it)."""
    from latentvideo.config import dataset_entry
    from latentvideo.evaluation.perceptual import FILES
    from latentvideo.evaluation.protocols import protocol

    names = [n for m in protocol(protocol_name).perceptual_metrics(dataset_entry(cfg, dataset)) for n in FILES[m]]
    return [f"metric_weights.{n}" for n in names if n in cfg.get("metric_weights", {})]


def _evaluate(cfg: Mapping[str, Any], w: Mapping[str, str]) -> list[str]:
    from latentvideo.config import evaluation_protocol

    exp = cfg["experiments"][w["experiment"]]
    dataset = cfg["evaluation_variants"][w["evaluation"]].get("dataset", exp["dataset"])
    return [f"budgets.{cfg['budget']}.evaluation", f"models.{exp['model']}.evaluation",
            *_experiment_keys(cfg, w["experiment"], ("label", "evaluation")), f"evaluation_variants.{w['evaluation']}",
            *_dataset_keys(cfg, dataset),
            *_weights(cfg, evaluation_protocol(cfg, w["experiment"], w["evaluation"])["protocol"], dataset)]


def _baseline(cfg: Mapping[str, Any], w: Mapping[str, str]) -> list[str]:
    return [f"budgets.{cfg['budget']}.evaluation", *_dataset_keys(cfg, w["dataset"]),
            *_weights(cfg, "best_of_n", w["dataset"])]


def _render(cfg: Mapping[str, Any], w: Mapping[str, str]) -> list[str]:
    from latentvideo.targets import figure_instance

    instance = figure_instance(cfg, w["figure"])
    experiments = sorted({r["experiment"] for r in instance.inputs if r["kind"] != "baseline" and r["experiment"]})
    return ["kernel", f"figures.{instance.name}", f"budgets.{cfg['budget']}.description",
            *(["dataset_titles"] if "dataset_titles" in cfg else []),
            *_budget_key(cfg, "experiments"), *_budget_key(cfg, "evaluations"),
            *[f"experiments.{e}.label" for e in experiments],
            *[key for d in sorted(instance.datasets) for key in _dataset_keys(cfg, d)],
            *[f"evaluation_variants.{v}" for v in selection.figure_evaluations(cfg, instance.name)]]


def _not_run_list(cfg: Mapping[str, Any], w: Mapping[str, str]) -> list[str]:
    """Which outputs read no run, and why: the budget (its figures, experiments, evaluations, description), every
    figure declaration, every experiment (labels, datasets) and evaluation variant, the enabled raw data."""
    return [f"budgets.{cfg['budget']}", "figures", "experiments", "evaluation_variants", "raw_data",
            *(["dataset_titles"] if "dataset_titles" in cfg else [])]


def _judge(cfg: Mapping[str, Any], w: Mapping[str, str]) -> list[str]:
    """Its own entry and the budget's overrides; its dataset's keys; how many real test videos score it."""
    overrides = cfg["budgets"][cfg["budget"]].get("judges", {})
    return [f"judges.{w['dataset']}",
            *([f"budgets.{cfg['budget']}.judges.{w['dataset']}"] if w["dataset"] in overrides else []),
            *_dataset_keys(cfg, w["dataset"]), *(_digits(cfg, w) if _uses_digits(cfg, w["dataset"]) else []),
            f"budgets.{cfg['budget']}.evaluation.test_videos"]


KEYS: dict[str, Callable[[Mapping[str, Any], Mapping[str, str]], list[str]]] = {
    "acquire_mnist": lambda cfg, w: ["digits.mnist"],
    "prepare_digits": _digits,
    "make_testset": _testset,
    "acquire_raw": _raw,
    "preprocess_raw": _raw,
    "train": _train,
    "train_judge": _judge,
    "evaluate": _evaluate,
    "baseline": _baseline,
    "plot_training": lambda cfg, w: [],  # drawn from the run's own files; no config key changes it
    "render_figure": _render,
    "render_table": _render,
    "list_not_run": _not_run_list,
}


def job_param_keys(cfg: Mapping[str, Any], rule: str, wildcards: Mapping[str, str]) -> list[str]:
    """The dotted config keys one job of ``rule`` depends on (DVC ``params``)."""
    if rule not in KEYS:
        raise KeyError(f"no job parameters declared for rule {rule!r} (declared: {sorted(KEYS)})")
    return KEYS[rule](cfg, dict(wildcards))


def job_params(cfg: Mapping[str, Any], rule: str, wildcards: Mapping[str, str]) -> dict[str, Any]:
    """``{key: value}`` of :func:`job_param_keys` (Snakemake ``params``: its rerun trigger compares them)."""
    return {key: _get(cfg, key) for key in job_param_keys(cfg, rule, wildcards)}
