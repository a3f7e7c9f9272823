"""File layout of the DAG and what each figure or table reads (used by the Snakefile, the render command and
the DVC export).

Keeping these here (not in the rule files) keeps the workflow lint-clean and lets tests reason about the DAG
without Snakemake. Which experiments and evaluation variants a budget builds: :mod:`latentvideo.selection`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from latentvideo import config, selection
from latentvideo.data.dataset_kinds import budget_entry, kind_of
from latentvideo.data.kinds import moving_digits
from latentvideo.evaluation.baselines import BASELINE_LABELS

DIGITS = moving_digits.DIGITS  # the digit pools (rule prepare_digits)
MNIST_RAW = "data/raw/mnist"
OUTPUT_SUFFIXES = {"figure": ("pdf", "png"), "table": ("md", "tex", "csv", "html")}
OUTPUT_DIRS = {"figure": "results/figures", "table": "results/tables"}
NOT_RUN_LIST = "results/not_run.md"  # budgets.<b>.not_run_outputs: list


def processed(name: str) -> str:
    return f"data/processed/{name}"


def testset_input(cfg: Mapping[str, Any], dataset: str) -> str:
    """The DAG target holding ``dataset``'s test split (its kind says: a generated test set, or a preprocessed
    raw dataset)."""
    return kind_of(cfg, dataset).test_split(cfg, dataset, budget_entry(cfg, dataset)).target


def testset(cfg: Mapping[str, Any], dataset: str) -> str:
    """The directory of ``dataset``'s test split (what the evaluate command reads), inside or equal to
    :func:`testset_input`."""
    return kind_of(cfg, dataset).test_split(cfg, dataset, budget_entry(cfg, dataset)).directory


def stored_source(cfg: Mapping[str, Any], dataset: str) -> list[str]:
    """The stored data a dataset's training batches and generated test set come from (its kind says: the digit
    pools, its preprocessed raw dataset, or nothing when it is generated from seeds)."""
    return kind_of(cfg, dataset).sources(cfg, budget_entry(cfg, dataset))


def training_input(cfg: Mapping[str, Any], experiment: str) -> list[str]:
    """What an experiment trains on (:func:`stored_source` of its dataset) and the pretrained weight files its
    model loads (``model_weights``)."""
    weights = [entry["path"] for entry in config.model_weight_files(cfg, experiment).values()]
    return [*stored_source(cfg, cfg["experiments"][experiment]["dataset"]), *weights]


def generated_datasets(cfg: Mapping[str, Any]) -> list[str]:
    """Datasets whose test set the ``make_testset`` rule generates (from digits, or from seeds alone)."""
    return [name for name in cfg["datasets"] if kind_of(cfg, name).generated]


def _weight_files(cfg: Mapping[str, Any], protocol_name: str, dataset: str) -> list[str]:
    from latentvideo.evaluation.perceptual import weight_inputs
    from latentvideo.evaluation.protocols import protocol

    metrics = protocol(protocol_name).perceptual_metrics(config.dataset_entry(cfg, dataset))
    return weight_inputs(metrics, cfg.get("metric_weights", {}))


def evaluation_weights(cfg: Mapping[str, Any], experiment: str, evaluation: str) -> list[str]:
    """The user's weight files (``metric_weights``) an evaluate job reads, those that exist: its inputs, so adding
    or changing one reruns it (a missing one makes its metric "not computed", not the job fail)."""
    return _weight_files(cfg, config.evaluation_protocol(cfg, experiment, evaluation)["protocol"],
                         config.evaluation_dataset(cfg, experiment, evaluation))


def baseline_weights(cfg: Mapping[str, Any], dataset: str) -> list[str]:
    """:func:`evaluation_weights` of a reference baseline (protocol ``best_of_n``) on ``dataset``."""
    return _weight_files(cfg, "best_of_n", dataset)


def judge_dir(dataset: str) -> str:
    """The train_judge job's folder: ``judge.pt`` and ``judge.json``."""
    return f"results/judges/{dataset}"


def judge_file(dataset: str) -> str:
    return f"{judge_dir(dataset)}/judge.pt"


def evaluation_judges(cfg: Mapping[str, Any], experiment: str, evaluation: str) -> list[str]:
    """The judges (``judge.pt``) an evaluate job reads: its inputs, so retraining a judge re-scores."""
    return [judge_file(d) for d in config.judged_datasets(cfg, experiment, evaluation)]


def judge_inputs(cfg: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The train_judge job's inputs: the dataset's stored training source and its test split."""
    return {"data": stored_source(cfg, dataset), "testset": testset_input(cfg, dataset)}


def run_dir(experiment: str, seed: int | str) -> str:
    return f"results/runs/{experiment}/seed{seed}"


def eval_dir(experiment: str, evaluation: str, seed: int | str) -> str:
    return f"results/eval/{experiment}/{evaluation}/seed{seed}"


def baseline_dir(baseline: str, dataset: str) -> str:
    return f"results/baselines/{baseline}/{dataset}"


class FigureInstance(NamedTuple):
    """One rendered figure or table: a declaration (``figures.<name>``), for one dataset if it is ``for_each``.

    inputs: one record per file set it reads (``kind`` experiment / baseline / not_run, with experiment, label,
    paper, model, variant, dataset, evaluation, seed and the ``metrics`` / ``samples`` paths it has; not_run
    records say why instead). datasets: the config entries of the datasets it shows.
    """

    name: str
    stem: str
    kind: str
    notebook: str
    instance: str | None
    inputs: list[dict[str, Any]]
    datasets: dict[str, dict[str, Any]]
    paper_numbers: str | None
    parameters: dict[str, Any]
    outputs: dict[str, str]
    executed_notebook: str


def _experiment_record(cfg: Mapping[str, Any], experiment: str, evaluation: str) -> dict[str, Any]:
    exp = cfg["experiments"][experiment]
    return {"experiment": experiment, "label": exp["label"], "paper": exp["paper"], "model": exp["model"],
            "variant": exp["variant"], "dataset": exp["dataset"], "evaluation": evaluation}


def _not_run_reason(cfg: Mapping[str, Any], name: str, experiment: str) -> str:
    """Why the active budget does not run ``experiment`` for figure ``name``: its raw data is not enabled (and
    how to enable it), or the budget's ``experiments`` list leaves it out (and which budgets run it)."""
    disabled = selection.disabled_raw_data(cfg, experiment)
    if disabled:
        return "; ".join(f"raw_data.{raw} is not enabled (set raw_data.{raw}.enabled: true and acquire it: README "
                         f"'Data')" for raw in disabled)
    elsewhere = selection.budgets_running(cfg, name, experiment)
    return (f"not run at budget {cfg['budget']} (budgets.{cfg['budget']}.experiments)"
            + (f"; run at {' or '.join(elsewhere)}" if elsewhere else ""))


def _instance(cfg: Mapping[str, Any], name: str, dataset: str | None) -> FigureInstance:
    decl = cfg["figures"][name]
    stem = f"{name}_{dataset}" if dataset else name
    files = decl.get("files", ["metrics"])
    suffix = {"metrics": "metrics.csv", "samples": "samples.npz"}
    run = set(selection.figure_experiments(cfg, name))
    inputs = []
    shown: list[str] = []
    for experiment, evaluation in selection.figure_pairs(cfg, name):
        if dataset and cfg["experiments"][experiment]["dataset"] != dataset:
            continue
        record = _experiment_record(cfg, experiment, evaluation)
        if experiment not in run:
            inputs.append({**record, "kind": "not_run", "seed": None, "reason": _not_run_reason(cfg, name, experiment)})
        elif selection.budget_skips_evaluation(cfg, evaluation):
            elsewhere = [b for b in selection.budgets_evaluating(cfg, evaluation)
                         if b in selection.budgets_running(cfg, name, experiment)]
            inputs.append({**record, "kind": "not_run", "seed": None,
                           "reason": f"{evaluation} not evaluated at budget {cfg['budget']} (budgets.{cfg['budget']}"
                                     f".evaluations)" + (f"; run at {' or '.join(elsewhere)}" if elsewhere else "")})
        else:
            seeds = selection.experiment_seeds(cfg, experiment)
            for seed in seeds[:1] if decl.get("seeds", "all") == "first" else seeds:
                inputs.append({**record, "kind": "experiment", "seed": seed,
                               **{f: f"{eval_dir(experiment, evaluation, seed)}/{suffix[f]}" for f in files}})
        if cfg["experiments"][experiment]["dataset"] not in shown:
            shown.append(cfg["experiments"][experiment]["dataset"])
    if decl.get("baselines", False):
        ran = [d for d in shown if any(r["kind"] == "experiment" and r["dataset"] == d for r in inputs)]
        for baseline in cfg["baselines"]:
            for d in ran:
                inputs.append({"kind": "baseline", "experiment": f"{baseline}-{d}", "label": BASELINE_LABELS[baseline],
                               "paper": "reference", "model": baseline, "variant": "-", "dataset": d,
                               "evaluation": "standard", "seed": "-",
                               **{f: f"{baseline_dir(baseline, d)}/{suffix[f]}" for f in files}})
    kind = decl["kind"]
    return FigureInstance(
        name=name, stem=stem, kind=kind, notebook=decl["notebook"], instance=dataset, inputs=inputs,
        datasets={d: config.dataset_entry(cfg, d) for d in shown}, paper_numbers=decl.get("paper_numbers"),
        parameters=dict(decl.get("parameters", {})),
        outputs={s: f"{OUTPUT_DIRS[kind]}/{stem}.{s}" for s in OUTPUT_SUFFIXES[kind]},
        executed_notebook=f"results/notebooks/{stem}.ipynb")


def _stems(cfg: Mapping[str, Any], names: list[str] | None = None) -> dict[str, tuple[str, str | None]]:
    """``{stem: (figure name, dataset or None)}`` of every rendered output of the declared figures (or of
    ``names``): one per figure, or one per dataset of a ``for_each: dataset`` figure."""
    out: dict[str, tuple[str, str | None]] = {}
    for name in cfg["figures"] if names is None else names:
        if cfg["figures"][name].get("for_each") == "dataset":
            datasets = dict.fromkeys(cfg["experiments"][e]["dataset"] for e in selection.declared_experiments(cfg, name))
            out.update({f"{name}_{d}": (name, d) for d in datasets})
        else:
            out[name] = (name, None)
    return out


def figure_instances(cfg: Mapping[str, Any], names: list[str] | None = None) -> dict[str, FigureInstance]:
    """Every rendered output of the declared figures (or of ``names``), by stem."""
    return {stem: _instance(cfg, name, dataset) for stem, (name, dataset) in _stems(cfg, names).items()}


def figure_instance(cfg: Mapping[str, Any], stem: str) -> FigureInstance:
    stems = _stems(cfg)
    if stem not in stems:
        raise ValueError(f"no figure or table {stem!r}; declared: {', '.join(sorted(stems))}")
    return _instance(cfg, *stems[stem])


def figure_stems(cfg: Mapping[str, Any], kind: str) -> list[str]:
    """Stems of every declared output of ``kind`` (figure or table): the render rules' wildcard values."""
    return [stem for stem, (name, _) in _stems(cfg).items() if cfg["figures"][name]["kind"] == kind]


def render_inputs(cfg: Mapping[str, Any], stem: str) -> dict[str, Any]:
    """The render job's inputs: the notebook, every result file it reads, the paper numbers."""
    inst = figure_instance(cfg, stem)
    files = [r[f] for r in inst.inputs for f in ("metrics", "samples") if f in r]
    return {"notebook": inst.notebook, "results": files,
            **({"paper_numbers": inst.paper_numbers} if inst.paper_numbers else {})}


def raw_inventory(name: str) -> str:
    return f"data/raw/{name}.inventory.json"


def raw_targets(cfg: Mapping[str, Any]) -> list[str]:
    """The processed directory of every enabled raw dataset that is acquired (downloaded, placed by hand or a
    substitute). A generated one (``acquisition.kind: generated``) costs compute, not a download: it is made
    when an experiment of the budget reads it, like a generated test set."""
    return [processed(n) for n, entry in cfg["raw_data"].items()
            if entry["enabled"] and entry["acquisition"]["kind"] != "generated"]


def training_curves(experiment: str, seed: int | str) -> str:
    return f"results/runs/{experiment}/seed{seed}/training_curves.png"


def reads_a_run(inst: FigureInstance) -> bool:
    """Whether an output reads any result of the active budget (else every row and panel says why not)."""
    return any(r["kind"] != "not_run" for r in inst.inputs)


def lists_not_run(cfg: Mapping[str, Any]) -> bool:
    """Whether the active budget lists its not-run outputs instead of rendering them (``not_run_outputs``)."""
    return cfg["budgets"][cfg["budget"]].get("not_run_outputs", "render") == "list"


def budget_instances(cfg: Mapping[str, Any]) -> dict[str, FigureInstance]:
    """Every output of the active budget's figures and tables, by stem."""
    return figure_instances(cfg, selection.budget_figures(cfg))


def final_targets(cfg: Mapping[str, Any]) -> list[str]:
    """Everything ``snakemake`` builds by default for the configured budget: enabled raw datasets, every
    output of the budget's figures and tables (with ``not_run_outputs: list``: those that read a run of the
    budget, and :data:`NOT_RUN_LIST` naming the others), and the training curves of every run they read."""
    instances = budget_instances(cfg)
    if lists_not_run(cfg):
        instances = {stem: inst for stem, inst in instances.items() if reads_a_run(inst)}
    runs = dict.fromkeys((r["experiment"], r["seed"]) for inst in instances.values() for r in inst.inputs
                         if r["kind"] == "experiment")
    return [*raw_targets(cfg), *[path for inst in instances.values() for path in inst.outputs.values()],
            *[training_curves(e, s) for e, s in runs], *([NOT_RUN_LIST] if lists_not_run(cfg) else [])]
