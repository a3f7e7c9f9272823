"""Whitney & Fergus 2017 evaluation of a factored / entangled temporal VAE on a stored test set.

Per model: the ELBO on the test videos (nats per frame, reconstruction and KL reported separately), the KSG
mutual information between factors at t and t+1 (bits; same-factor and cross-factor), the cross-time
correlation matrix of the latent units (Figure 2) and independent generations (Figure 3).

Writes to ``out_dir``: ``metrics.csv`` (tidy rows: ``elbo``, ``reconstruction``, ``kl`` with 95% CIs over videos;
``mi_same``, ``mi_cross`` with ``n`` = sample pairs and no CI), ``samples.npz`` (``correlation (D, D)``,
``mi_per_pair (k, k)``, ``mi_groups (k, D / k)``, ``generations (V, 1 + factors, T', H, W, C)`` and ``truth
(V, T', H, W, C)`` uint8, ``factor_dim``) and ``eval.json`` (units, protocol, provenance).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from latentvideo.atomic import atomic_path
from latentvideo.data.shards import to_model_layout
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, trained_at
from latentvideo.evaluation.tidy import mean_rows, to_frame
from latentvideo.data.shards import StoredSplit
from latentvideo.metrics.factor_information import (best_random_partition, contiguous_groups,
                                                    cross_time_correlation, factor_information)
from latentvideo.models.factored_vae import FactoredVAE

EVAL_SEED = 1
UNITS = {"elbo": "nats per frame (sum over pixels and channels, mean over frames and videos)",
         "reconstruction": "nats per frame: E_q log p(x_t | Z_t), Gaussian constant included",
         "kl": "nats per frame: KL(q(Z_t | Z_{t-1}, x_t) || p(Z_t | Z_{t-1})) summed over latent units",
         "mi_same": "bits: mean over factors i of I(z^i_{t+1}; z^i_t) (KSG)",
         "mi_cross": "bits: mean over ordered pairs i != j of I(z^i_{t+1}; z^j_t) (KSG)"}


def _to_uint8(frames: torch.Tensor) -> np.ndarray:
    """float ``(..., C, H, W)`` in [0, 1] -> uint8 ``(..., H, W, C)``."""
    return (frames.clamp(0, 1) * 255).round().byte().movedim(-3, -1).cpu().numpy()


def mi_grouping(model: FactoredVAE, protocol: dict[str, Any]) -> tuple[int, bool]:
    """(number of factors to measure, whether they are random partitions): the model's own factors, or for an
    entangled model (one factor) ``protocol["mi_groups"]`` random partitions of its units."""
    factors = model.config.factors
    groups = protocol.get("mi_groups") or factors
    if factors > 1 and groups != factors:
        raise ValueError(f"mi_groups={groups} but the model has {factors} factors: MI is measured between them")
    if groups < 2:
        raise ValueError("an entangled model (factors: 1) needs evaluation.mi_groups >= 2 in its experiment "
                         "(the number of factors of the factored model it is compared with)")
    return groups, factors == 1


def analyze(model: FactoredVAE, videos: np.ndarray, protocol: dict[str, Any], batch_size: int, saved_videos: int,
            device: torch.device) -> dict[str, Any]:
    """Everything the paper measures, from test videos ``(N, T, H, W, C)`` uint8. Pure: writes nothing."""
    nll, kl, z_paths = [], [], []
    for start in range(0, len(videos), batch_size):
        torch.manual_seed(EVAL_SEED + start)
        x = torch.from_numpy(to_model_layout(videos[start : start + batch_size])).to(device)
        with torch.no_grad():
            terms = model.sequence_terms(x)
        nll.append(terms.nll.mean(0).cpu().numpy())
        kl.append(terms.kl.mean(0).cpu().numpy())
        z_paths.append(terms.z.transpose(0, 1).cpu().numpy())
        print(f"[latentvideo] analysed {min(start + batch_size, len(videos))}/{len(videos)} videos", file=sys.stderr)
    nll_v, kl_v, z = np.concatenate(nll), np.concatenate(kl), np.concatenate(z_paths)  # z: (N, T, D)
    z_t, z_next = z[:, :-1].reshape(-1, z.shape[-1]), z[:, 1:].reshape(-1, z.shape[-1])
    rng = np.random.default_rng(EVAL_SEED)
    pick = rng.permutation(len(z_t))[: protocol["mi_max_pairs"]]
    k = protocol["mi_neighbours"]
    if len(pick) <= k:
        raise ValueError(f"{len(pick)} (z_t, z_t+1) pairs from {len(videos)} test videos: KSG with k={k} needs more; "
                         "enlarge the budget's evaluation.test_videos or the test split")
    groups, partitioned = mi_grouping(model, protocol)
    if partitioned:
        info = best_random_partition(z_t[pick], z_next[pick], groups, protocol["mi_partitions"], k, rng)
    else:
        info = factor_information(z_t[pick], z_next[pick], contiguous_groups(z.shape[-1], groups), k)
    shown = max(1, min(saved_videos, len(videos)))
    x = torch.from_numpy(to_model_layout(videos[:shown])).to(device)
    hold = protocol["hold_step"]
    generations = model.independent_generations(x, hold_step=hold)  # (rows, T', V, C, H, W)
    return {"nll": nll_v, "kl": kl_v, "info": info, "correlation": cross_time_correlation(z_t, z_next),
            "generations": _to_uint8(generations.permute(2, 0, 1, 3, 4, 5)), "truth": _to_uint8(x[hold:].transpose(0, 1)),
            "pairs": len(z_t), "partitioned": partitioned}


def write_results(result: dict[str, Any], meta: dict[str, Any], factor_dim: int, out_dir: str | Path) -> dict[str, Any]:
    """metrics.csv and samples.npz (atomically); returns the summary ``{metric: (value, ci95)}``."""
    out_dir = Path(out_dir)
    info = result["info"]
    elbo = -(result["nll"] + result["kl"])
    rows = (mean_rows(meta, "elbo", elbo) + mean_rows(meta, "reconstruction", -result["nll"])
            + mean_rows(meta, "kl", result["kl"]))
    rows += [{**meta, "metric": "mi_same", "t": "mean", "value": info.same, "ci95": float("nan"), "n": info.n},
             {**meta, "metric": "mi_cross", "t": "mean", "value": info.cross, "ci95": float("nan"), "n": info.n}]
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "samples.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, correlation=result["correlation"].astype(np.float32),
                                mi_per_pair=info.per_pair, mi_groups=info.groups, generations=result["generations"],
                                truth=result["truth"], factor_dim=np.int64(factor_dim))
    with atomic_path(out_dir / "metrics.csv") as tmp:
        to_frame(rows).to_csv(tmp, index=False)
    return {r["metric"]: (r["value"], r["ci95"]) for r in rows}


def run(job: EvaluationJob) -> ProtocolResult:
    """Whitney & Fergus 2017's evaluation on up to ``test_videos`` test videos (one posterior path each)."""
    evaluation, protocol = job.evaluation, job.protocol
    videos = StoredSplit(job.testset, verify=True).read(evaluation["test_videos"])
    if len(videos) == 0:
        raise ValueError(f"{job.testset} holds no test videos")
    meta = {**job.meta, "test_videos": len(videos), "samples": 1}
    result = analyze(job.model, videos, protocol, evaluation["batch_size"], evaluation["saved_videos"], job.device)
    summary = write_results(result, meta, job.model.config.factor_dim, job.out_dir)
    statement = (f"{trained_at(meta)}, {len(videos)} "
                 f"test videos ({meta['digit_source']}), MI from {result['info'].n} of {result['pairs']} "
                 "(z_t, z_t+1) pairs"
                 + (f", best of {protocol['mi_partitions']} random partitions" if result["partitioned"] else ""))
    (elbo, elbo_ci), (rec, rec_ci), (kl, kl_ci) = summary["elbo"], summary["reconstruction"], summary["kl"]
    line = (f"ELBO = {elbo:.1f} ± {elbo_ci:.1f} nats/frame (reconstruction {rec:.1f} ± {rec_ci:.1f}, KL {kl:.2f} ± "
            f"{kl_ci:.2f}); MI same = {summary['mi_same'][0]:.3f} bits, cross = {summary['mi_cross'][0]:.3f} bits "
            f"({statement})")
    return ProtocolResult(summary, statement, lines=[line], record={
        "units": UNITS, "mi_pairs": {"used": result["info"].n, "available": result["pairs"],
                                     "partitioned": result["partitioned"]}})


SETTINGS = {
    "type": "object", "additionalProperties": False,
    "required": ["mi_neighbours", "mi_partitions", "mi_max_pairs", "hold_step"],
    "properties": {
        "mi_neighbours": {"type": "integer", "minimum": 1, "description": "k of the KSG estimator (paper: 3)"},
        "mi_partitions": {"type": "integer", "minimum": 1,
                          "description": "random unit partitions tried for an entangled model (20)"},
        "mi_max_pairs": {"type": "integer", "minimum": 2,
                         "description": "(z_t, z_t+1) pairs MI is estimated from (original: 1000)"},
        "hold_step": {"type": "integer", "minimum": 0,
                      "description": "0-based step whose factors Fig. 3 holds (1 = the paper's t=2)"},
        "mi_groups": {"type": "integer", "minimum": 2,
                      "description": "entangled model: split its units into this many factors (random partitions)"},
    },
}
PROTOCOLS = {"factor_analysis": ProtocolSpec(
    run=run, settings_schema=SETTINGS,
    description="Whitney & Fergus 2017: test ELBO, KSG mutual information between factors, correlations, "
                "independent generations")}
