"""Evaluate a trained model or a baseline on a stored test set; write tidy metrics, samples and provenance.

Which protocol measures the model is looked up in the registry (:mod:`latentvideo.evaluation.protocols`):
the model's own (config ``models.<model>.evaluation.protocol``) or the one its evaluation variant names.
The protocol writes ``metrics.csv`` (tidy, see :mod:`latentvideo.evaluation.tidy`) and ``samples.npz`` into
``out_dir``; this driver adds ``eval.json`` (what was measured, the test set's manifest sha256, device,
provenance) and ``summary.json`` (``{metric: {mean, ci95}}`` with the budget: the file ``dvc metrics show``
reads) and holds the folder's lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from latentvideo import determinism, folder_lock, provenance
from latentvideo.atomic import sha256_file, write_json
from latentvideo.data.shards import read_manifest
from latentvideo.devices import describe, pick_device
from latentvideo.evaluation.baselines import BASELINE_LABELS, BASELINES
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, protocol as lookup_protocol
from latentvideo.training.trainer import load_trained


def _write_eval_json(out_dir: Path, testset: str | Path, device: torch.device, **record: Any) -> None:
    """``eval.json``: ``record`` plus the test set's manifest sha256 and provenance, the device and versions."""
    write_json(Path(out_dir) / "eval.json", {
        **record, "testset_manifest_sha256": sha256_file(Path(testset) / "manifest.json"),
        "testset": read_manifest(testset).get("provenance", {}), "device": describe(device),
        "provenance": provenance.collect(),
    })


def data_source(testset_provenance: dict[str, Any]) -> str:
    """The digit source of a generated test set, or ``<dataset>:<substitute|original>`` for a raw dataset."""
    if "digit_source" in testset_provenance:
        return testset_provenance["digit_source"]
    return f"{testset_provenance['dataset']}:{'substitute' if testset_provenance.get('substitute') else 'original'}"


def _meta(settings_like: dict[str, Any], variant: str, seed: int | str, digit_source: str, steps: Any,
          batch: Any, evaluation: dict[str, Any]) -> dict[str, Any]:
    return {"paper": settings_like["paper"], "experiment": settings_like["experiment"], "label": settings_like["label"],
            "model": settings_like["model"], "variant": settings_like["variant"], "evaluation": variant,
            "dataset": settings_like["dataset_name"], "seed": seed, "budget": settings_like["budget"],
            "train_steps": steps, "batch_size": batch, "test_videos": evaluation["test_videos"],
            "samples": evaluation["samples"], "digit_source": digit_source, "code_version": provenance.code_version()}


def _run(job: EvaluationJob) -> dict[str, Any]:
    """Run ``job``'s protocol, print its summary line by line, write ``eval.json``; returns the summary."""
    job.out_dir.mkdir(parents=True, exist_ok=True)
    result: ProtocolResult = lookup_protocol(job.protocol["protocol"]).run(job)
    meta = job.meta
    lines = result.lines or [f"{metric} = {mean:.4f} ± {ci:.4f} (95% CI over videos; {result.statement})"
                             for metric, (mean, ci) in result.summary.items()]
    lines += [f"{metric}: {why}" for metric, why in result.not_computed.items()]
    for line in lines:
        print(f"[latentvideo] {meta['label']} on {meta['dataset']}: {line}")
    write_json(job.out_dir / "summary.json", {
        "budget": meta["budget"], "test_videos": result.record.get("test_videos", job.evaluation["test_videos"]),
        **{metric: {"mean": float(mean), "ci95": float(ci)} for metric, (mean, ci) in result.summary.items()},
        **({"not_computed": result.not_computed} if result.not_computed else {})})
    _write_eval_json(job.out_dir, job.testset, job.device, meta=dict(meta), evaluation=dict(job.evaluation),
                     protocol=dict(job.protocol), variant={"name": job.variant, **job.variant_settings},
                     statement=result.statement, summary=result.summary, not_computed=result.not_computed,
                     **result.record)
    return result.summary


def evaluate_model(checkpoint_path: str | Path, experiment: str, testset: str | Path, job: dict[str, Any],
                   out_dir: str | Path, device: str = "auto", threads: int | None = None) -> dict[str, Any]:
    """Evaluate the checkpoint of ``experiment`` as ``job`` says (``config.evaluation_job``: its ``label``, the
    budget's ``evaluation``, the ``protocol`` settings, the ``variant`` name and its ``variant_settings``); one
    writer per ``out_dir``."""
    with folder_lock.exclusive(out_dir, f"evaluating {experiment} ({job['variant']})"):
        dev = pick_device(device)
        determinism.configure(threads, dev)
        trained = load_trained(checkpoint_path, dev)
        settings = trained.settings
        if settings["experiment"] != experiment:
            raise ValueError(f"{checkpoint_path} was trained for {settings['experiment']!r}, not {experiment!r}")
        source = data_source(read_manifest(testset)["provenance"])
        meta = _meta({**settings, "label": job["label"], "dataset_name": job["dataset"]}, job["variant"], trained.seed,
                     source, settings["training"]["steps"], settings["training"]["batch_size"], job["evaluation"])
        return _run(EvaluationJob(trained.model, settings, job["protocol"], job["variant"], job["variant_settings"],
                                  job["evaluation"], Path(testset), job["dataset_config"], meta, Path(out_dir), dev,
                                  job.get("metric_weights", {}),
                                  {d: Path(p) for d, p in job.get("judges", {}).items()}))


def evaluate_baseline(name: str, dataset_name: str, dataset: dict[str, Any], budget: str, evaluation: dict[str, Any],
                      testset: str | Path, out_dir: str | Path, metric_weights: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
    """A reference predictor (:mod:`latentvideo.evaluation.baselines`) by protocol ``best_of_n`` (one sample:
    it is deterministic), with the dataset's perceptual metrics where ``metric_weights`` provide them."""
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; known: {sorted(BASELINES)}")
    determinism.configure(None, torch.device("cpu"))
    source = data_source(read_manifest(testset)["provenance"])
    evaluation = {**evaluation, "samples": 1}
    reference = {"paper": "reference", "experiment": f"{name}-{dataset_name}", "label": BASELINE_LABELS[name],
                 "model": name, "variant": "-", "dataset_name": dataset_name, "budget": budget, "dataset": dataset}
    meta = _meta(reference, "standard", "-", source, 0, 0, evaluation)
    with folder_lock.exclusive(out_dir, f"evaluating baseline {name} on {dataset_name}"):
        return _run(EvaluationJob(BASELINES[name], reference, {"protocol": "best_of_n"}, "standard", {}, evaluation,
                                  Path(testset), dataset, meta, Path(out_dir), torch.device("cpu"),
                                  metric_weights or {}))
