"""Evaluate a trained model or a baseline on a stored test set; write tidy metrics, samples and provenance.

The model's evaluation protocol (config ``models.<model>.evaluation.protocol``) decides what is measured:
``best_of_n`` (SRVP, SVG): best-of-N PSNR / SSIM of predicted frames; ``factor_analysis`` (Whitney & Fergus
2017): ELBO, mutual information between factors, correlations, independent generations.

Outputs in ``out_dir``: ``metrics.csv`` (tidy, see :mod:`latentvideo.evaluation.tidy`), ``samples.npz``
(best_of_n: conditioning frames, ground truth, best-PSNR and first samples of the first ``saved_videos``
videos, uint8 ``(N, T, H, W, C)``; factor_analysis: see :mod:`latentvideo.evaluation.factor_analysis`) and
``eval.json`` (provenance).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from latentvideo import determinism, folder_lock, provenance
from latentvideo.atomic import atomic_path, sha256_file, write_json
from latentvideo.data.shards import read_manifest, read_videos, to_model_layout
from latentvideo.evaluation import factor_analysis
from latentvideo.evaluation.baselines import BASELINES
from latentvideo.evaluation.best_of_n import Sampler, best_of_n
from latentvideo.evaluation.tidy import metric_rows, to_frame
from latentvideo.devices import describe, pick_device
from latentvideo.training.trainer import load_trained

EVAL_SEED = 1  # SRVP's --test_seed
BASELINE_LABELS = {"copy_last": "Copy last frame", "mean_frame": "Mean conditioning frame"}


def _to_uint8(frames: torch.Tensor) -> np.ndarray:
    """float ``(T, B, C, H, W)`` in [0, 1] -> uint8 ``(B, T, H, W, C)``."""
    return (frames.clamp(0, 1) * 255).round().byte().permute(1, 0, 3, 4, 2).numpy()


def evaluate_sampler(sampler: Sampler, testset: str | Path, cond_frames: int, evaluation: dict[str, Any],
                     meta: dict[str, Any], out_dir: str | Path, device: torch.device) -> dict[str, Any]:
    """Best-of-N PSNR / SSIM of ``sampler`` on the first ``test_videos`` videos of ``testset``."""
    out_dir = Path(out_dir)
    videos = read_videos(testset, limit=evaluation["test_videos"], verify=True)
    if len(videos) < evaluation["test_videos"]:
        raise ValueError(f"{testset} holds {len(videos)} videos, the budget asks for {evaluation['test_videos']}")
    psnr_all, ssim_all, saved = [], [], {"cond": [], "truth": [], "best_psnr": [], "first_sample": []}
    n_saved = 0
    for start in range(0, len(videos), evaluation["batch_size"]):
        torch.manual_seed(EVAL_SEED + start)
        x = torch.from_numpy(to_model_layout(videos[start : start + evaluation["batch_size"]]))
        cond, target = x[:cond_frames].to(device), x[cond_frames:]
        result = best_of_n(sampler, cond, target, evaluation["samples"])
        psnr_all.append(result.psnr.numpy())
        ssim_all.append(result.ssim.numpy())
        keep = max(0, min(evaluation["saved_videos"] - n_saved, x.shape[1]))
        if keep:
            saved["cond"].append(_to_uint8(x[:cond_frames, :keep]))
            saved["truth"].append(_to_uint8(target[:, :keep]))
            saved["best_psnr"].append(_to_uint8(result.best_psnr_frames[:, :keep]))
            saved["first_sample"].append(_to_uint8(result.first_sample_frames[:, :keep]))
            n_saved += keep
        print(f"[latentvideo] evaluated {min(start + evaluation['batch_size'], len(videos))}/{len(videos)} videos",
              file=sys.stderr)
    psnr_v, ssim_v = np.concatenate(psnr_all), np.concatenate(ssim_all)
    rows = metric_rows(meta, "psnr", psnr_v, cond_frames + 1) + metric_rows(meta, "ssim", ssim_v, cond_frames + 1)
    frame = to_frame(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "samples.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **{k: np.concatenate(v) if v else np.empty(0, np.uint8) for k, v in saved.items()})
    with atomic_path(out_dir / "metrics.csv") as tmp:
        frame.to_csv(tmp, index=False)
    summary = {r["metric"]: (r["value"], r["ci95"]) for r in rows if r["t"] == "mean"}
    trained = "" if meta["paper"] == "reference" else f"{meta['train_steps']} steps x batch {meta['batch_size']}, "
    budget = (f"budget {meta['budget']}: {trained}{len(videos)} test videos, best of {evaluation['samples']}, "
              f"digits {meta['digit_source']}")
    for metric, (mean, ci) in summary.items():
        print(f"[latentvideo] {meta['label']} on {meta['dataset']}: {metric} = {mean:.4f} ± {ci:.4f} "
              f"(95% CI over videos; {budget})")
    _write_eval_json(out_dir, testset, device, meta=meta, evaluation=evaluation, summary=summary)
    return summary


def _write_eval_json(out_dir: str | Path, testset: str | Path, device: torch.device, **record: Any) -> None:
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


def _meta(settings_like: dict[str, Any], seed: int | str, digit_source: str, steps: Any, batch: Any) -> dict[str, Any]:
    ev = settings_like["evaluation"]
    return {"paper": settings_like["paper"], "experiment": settings_like["experiment"], "label": settings_like["label"],
            "model": settings_like["model"], "variant": settings_like["variant"],
            "dataset": settings_like["dataset_name"], "seed": seed, "budget": settings_like["budget"],
            "train_steps": steps, "batch_size": batch, "test_videos": ev["test_videos"], "samples": ev["samples"],
            "digit_source": digit_source, "code_version": provenance.code_version()}


def evaluate_model(checkpoint_path: str | Path, experiment: str, testset: str | Path, evaluation: dict[str, Any],
                   protocol: dict[str, Any], out_dir: str | Path, device: str = "auto",
                   threads: int | None = None) -> dict[str, Any]:
    """Evaluate the checkpoint of ``experiment`` by ``protocol`` (``config.evaluation_protocol``); one writer
    per ``out_dir``."""
    with folder_lock.exclusive(out_dir, f"evaluating {experiment}"):
        return _evaluate_model(checkpoint_path, experiment, testset, evaluation, protocol, out_dir, device, threads)


def _evaluate_model(checkpoint_path: str | Path, experiment: str, testset: str | Path, evaluation: dict[str, Any],
                    protocol: dict[str, Any], out_dir: str | Path, device: str, threads: int | None) -> dict[str, Any]:
    dev = pick_device(device)
    determinism.configure(threads, dev)
    trained = load_trained(checkpoint_path, dev)
    model, settings, seed = trained.model, trained.settings, trained.seed
    if settings["experiment"] != experiment:
        raise ValueError(f"{checkpoint_path} was trained for {settings['experiment']!r}, not {experiment!r}")
    if protocol["protocol"] == "factor_analysis":
        evaluation = {**evaluation, "samples": 1}  # one posterior sample path per test video
    settings = {**settings, "evaluation": evaluation}
    source = data_source(read_manifest(testset)["provenance"])
    meta = _meta(settings, seed, source, settings["training"]["steps"], settings["training"]["batch_size"])
    if protocol["protocol"] == "best_of_n":
        return evaluate_sampler(model.sample, testset, settings["dataset"]["cond_frames"], evaluation, meta, out_dir,
                                dev)
    return evaluate_factors(model, protocol, testset, evaluation, meta, out_dir, dev)


def evaluate_factors(model, protocol: dict[str, Any], testset: str | Path, evaluation: dict[str, Any],
                     meta: dict[str, Any], out_dir: str | Path, device: torch.device) -> dict[str, Any]:
    """Whitney & Fergus 2017's evaluation (:mod:`latentvideo.evaluation.factor_analysis`) on up to ``test_videos``."""
    videos = read_videos(testset, limit=evaluation["test_videos"], verify=True)
    if len(videos) == 0:
        raise ValueError(f"{testset} holds no test videos")
    meta = {**meta, "test_videos": len(videos)}
    result = factor_analysis.analyze(model, videos, protocol, evaluation["batch_size"], evaluation["saved_videos"],
                                     device)
    summary = factor_analysis.write_results(result, meta, model.config.factor_dim, out_dir)
    budget = (f"budget {meta['budget']}: {meta['train_steps']} steps x batch {meta['batch_size']}, {len(videos)} test "
              f"videos ({meta['digit_source']}), MI from {result['info'].n} of {result['pairs']} (z_t, z_t+1) pairs"
              + (f", best of {protocol['mi_partitions']} random partitions" if result["partitioned"] else ""))
    (elbo, elbo_ci), (rec, rec_ci), (kl, kl_ci) = summary["elbo"], summary["reconstruction"], summary["kl"]
    print(f"[latentvideo] {meta['label']} on {meta['dataset']}: ELBO = {elbo:.1f} ± {elbo_ci:.1f} nats/frame "
          f"(reconstruction {rec:.1f} ± {rec_ci:.1f}, KL {kl:.2f} ± {kl_ci:.2f}); MI same = "
          f"{summary['mi_same'][0]:.3f} bits, cross = {summary['mi_cross'][0]:.3f} bits ({budget})")
    _write_eval_json(out_dir, testset, device, meta=meta, evaluation=evaluation, protocol=protocol,
                     units=factor_analysis.UNITS, summary=summary,
                     mi_pairs={"used": result["info"].n, "available": result["pairs"],
                               "partitioned": result["partitioned"]})
    return summary


def evaluate_baseline(name: str, dataset_name: str, dataset: dict[str, Any], budget: str, evaluation: dict[str, Any],
                      testset: str | Path, out_dir: str | Path) -> dict[str, Any]:
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; known: {sorted(BASELINES)}")
    determinism.configure(None, torch.device("cpu"))
    source = data_source(read_manifest(testset)["provenance"])
    reference = {"paper": "reference", "experiment": f"{name}-{dataset_name}", "label": BASELINE_LABELS[name],
            "model": name, "variant": "-",
            "dataset_name": dataset_name, "budget": budget, "evaluation": {**evaluation, "samples": 1}}
    meta = _meta(reference, "-", source, 0, 0)
    with folder_lock.exclusive(out_dir, f"evaluating baseline {name} on {dataset_name}"):
        return evaluate_sampler(BASELINES[name], testset, dataset["cond_frames"], {**evaluation, "samples": 1},
                                meta, out_dir, torch.device("cpu"))
