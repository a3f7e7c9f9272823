"""What R-WAE's disentanglement evaluations generate and how a judge scores it (Tables 2, 3 and 9; Fig. 2).

For test videos ``x: (T, B, C, H, W)`` in [0, 1] and a model with a :class:`SequenceCoder` (``model.coder``):

* **fixed content** (Table 2's SM-MNIST and "content" columns): z^c is the posterior mean of each test video,
  z^m_1:T (and a) are drawn from the priors; a judge should still find the video's static labels;
* **fixed motion** (the "actions" columns, Table 9's dynamic factors): z^m_1:T (and a) are the test video's
  posterior samples, z^c is drawn from N(0, I); a judge should still find its dynamic labels;
* **swaps** (Fig. 2): the content of video i with the motion of video j and the reverse;
* **unconditional** (Fig. 3): z^c, z^m_1:T' (and a) all drawn from the priors, T' = ``generated_frames``
  (default: the test videos' length; R-WAE shows MUG at T' = 10).

:func:`factor_scores` turns the judge's probabilities on such videos into accuracy on the labels of the
held-fixed factor, IS, H(y|x) and H(y) (:mod:`latentvideo.metrics.judge_scores`); the frame-level FID compares
the judge's per-frame features of generated and real frames (:mod:`latentvideo.metrics.frechet`).

The registered protocol ``disentanglement`` runs all of it on a stored, labelled test split with the judge of
the test set's dataset (config ``judges``; its ``judge.pt`` is the job's input). Files: ``metrics.csv`` with, per
judged factor f, ``accuracy_<f>`` (fraction, 95% CI over videos) on videos that hold f's code (static factors:
fixed content; the dataset's dynamic labels: fixed motion), ``inception_score_<f>``, ``intra_entropy_<f>``
and ``inter_entropy_<f>`` (nats) on the same videos, ``judge_accuracy_<f>`` and ``judge_inception_score_<f>`` of
the judge on the real test videos (the reference the paper quotes for its MUG judge), ``static_accuracy`` and
``dynamic_accuracy`` (per video: the mean over its static / dynamic factors of the judge being right), and
``frame_fid_fixed_content`` / ``frame_fid_fixed_motion``; ``samples.npz`` with Fig. 2's swaps and generated
examples (uint8 ``(P, T, H, W, C)``), every test video's posterior-mean z^c ``content_codes (N, Dc)`` and its
labels ``label_<f> (N,)`` (Fig. 6's t-SNE), ``factors``, ``dynamic_factors`` and ``classes_<f>``, and
``unconditional`` (uint8 ``(P, T', H, W, C)``, Fig. 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import torch

from latentvideo.data.dataset_kinds import judged_test_videos, labels_of, split_labels
from latentvideo.data.shards import StoredSplit, to_model_layout
from latentvideo.evaluation.frame_prediction import to_uint8
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, trained_at, write_results
from latentvideo.evaluation.tidy import mean_rows, scalar_row
from latentvideo.metrics.frechet import frechet_distance, gaussian
from latentvideo.metrics.judge_scores import JudgeScores, judge_scores
from latentvideo.models.judge import VideoJudge
from latentvideo.models.sequence_disentangling import SequenceCoder

HELD = ("content", "motion")
EVAL_SEED = 1


class Swaps(NamedTuple):
    """Fig. 2 for pairs (a, b) of test videos, each ``(T, P, C, H, W)`` in [0, 1]: the originals, z^c of a with
    the motion of b, and z^c of b with the motion of a."""

    first: torch.Tensor
    second: torch.Tensor
    content_first_motion_second: torch.Tensor
    content_second_motion_first: torch.Tensor


@torch.no_grad()
def generate_holding(coder: SequenceCoder, x: torch.Tensor, held: str) -> torch.Tensor:
    """Videos ``(T, B, C, H, W)`` that keep the ``held`` code (``content`` or ``motion``) of ``x`` and draw the
    other from its prior (module docstring)."""
    if held not in HELD:
        raise ValueError(f"held must be one of {HELD}, got {held!r}")
    steps, batch = x.shape[:2]
    code = coder.encode(x)
    prior = coder.prior_code(steps, batch, x.device)
    if held == "content":
        return coder.frames(code.content_q.mean, prior.motion, prior.action)
    return coder.frames(prior.content, code.motion, code.action)


@torch.no_grad()
def swaps(coder: SequenceCoder, first: torch.Tensor, second: torch.Tensor) -> Swaps:
    """Exchange the motion of paired videos ``first`` and ``second`` (both ``(T, P, C, H, W)``)."""
    a, b = coder.encode(first), coder.encode(second)
    return Swaps(first, second, coder.frames(a.content_q.mean, b.motion, b.action),
                 coder.frames(b.content_q.mean, a.motion, a.action))


@torch.no_grad()
def judge_outputs(judge: VideoJudge, videos: torch.Tensor) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The judge's ``{factor: (B, K)}`` probabilities and its per-frame features ``(T * B, F)`` of ``videos``."""
    out = judge(videos)
    return ({name: p.cpu().numpy() for name, p in out.probabilities().items()},
            out.frame_features.flatten(0, 1).cpu().numpy())


def factor_scores(probabilities: Mapping[str, np.ndarray], labels: Mapping[str, np.ndarray],
                  factors: tuple[str, ...]) -> dict[str, JudgeScores]:
    """Scores of the held-fixed ``factors``: each factor's probabilities ``(N, K)`` against its labels ``(N,)``."""
    missing = [f for f in factors if f not in probabilities or f not in labels]
    if missing:
        raise ValueError(f"factors {missing} have no judge head or no test labels (judge: {sorted(probabilities)}, "
                         f"labels: {sorted(labels)})")
    return {f: judge_scores(probabilities[f], labels[f]) for f in factors}


def frame_fid(real_features: np.ndarray, generated_features: np.ndarray) -> float:
    """The Fréchet distance of Gaussians fitted to the judge's per-frame features ``(N, F)`` of real and of
    generated frames (R-WAE's "frame-level FID"; the paper does not say which network: here the judge's)."""
    return frechet_distance(*gaussian(real_features), *gaussian(generated_features))


class _Collected(NamedTuple):
    """Everything one pass over the test videos gathers: the judge's ``{held: {factor: (N, K)}}`` probabilities
    and ``{held: (N * T, F)}`` frame features of generated videos (``real`` for the test videos themselves), and
    the posterior-mean content codes ``(N, Dc)``."""

    probabilities: dict[str, dict[str, np.ndarray]]
    features: dict[str, np.ndarray]
    content_codes: np.ndarray


def _collect(coder: SequenceCoder, judge: VideoJudge, videos: np.ndarray, batch_size: int,
             device: torch.device) -> _Collected:
    """Judge the test videos ``(N, T, H, W, C)`` uint8 and the videos generated holding each code of them."""
    probabilities: dict[str, dict[str, list[np.ndarray]]] = {k: {} for k in ("real", *HELD)}
    features: dict[str, list[np.ndarray]] = {k: [] for k in ("real", *HELD)}
    codes = []
    for start in range(0, len(videos), batch_size):
        x = torch.from_numpy(to_model_layout(videos[start:start + batch_size])).to(device)
        with torch.no_grad():
            codes.append(coder.encode(x).content_q.mean.cpu().numpy())
        for held, clip in (("real", x), *((h, generate_holding(coder, x, h)) for h in HELD)):
            p, f = judge_outputs(judge, clip)
            for name, value in p.items():
                probabilities[held].setdefault(name, []).append(value)
            features[held].append(f)
    return _Collected({h: {n: np.concatenate(v) for n, v in d.items()} for h, d in probabilities.items()},
                      {h: np.concatenate(v) for h, v in features.items()}, np.concatenate(codes))


def _examples(coder: SequenceCoder, videos: np.ndarray, pairs: int, device: torch.device) -> dict[str, np.ndarray]:
    """Fig. 2's swaps of test videos ``i`` and ``pairs + i`` and, for the first ones, videos holding their
    content or their motion: uint8 ``(P, T, H, W, C)`` each."""
    if pairs == 0:
        return {}
    x = torch.from_numpy(to_model_layout(videos[:2 * pairs])).to(device)
    out = swaps(coder, x[:, :pairs], x[:, pairs:])
    return {**{name: to_uint8(value) for name, value in out._asdict().items()},
            **{f"fixed_{held}": to_uint8(generate_holding(coder, x[:, :pairs], held)) for held in HELD}}


@torch.no_grad()
def unconditional(coder: SequenceCoder, count: int, frames: int, device: torch.device) -> np.ndarray:
    """``count`` videos of ``frames`` frames with every code drawn from its prior: uint8 ``(P, T', H, W, C)``."""
    code = coder.prior_code(frames, count, device)
    return to_uint8(coder.frames(code.content, code.motion, code.action))


def _factor_rows(meta: dict[str, Any], factors: tuple[str, ...], probabilities: Mapping[str, np.ndarray],
                 labels: Mapping[str, np.ndarray]) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    """The rows of ``factors`` scored on the judge's ``probabilities`` of one set of generated videos, and the
    per-video mean correctness over them ``(N,)`` (None without factors)."""
    if not factors:
        return [], None
    rows = []
    scores = factor_scores(probabilities, labels, factors)
    correct = np.stack([probabilities[f].argmax(axis=1) == labels[f] for f in factors]).astype(np.float64)
    for i, f in enumerate(factors):
        rows += mean_rows(meta, f"accuracy_{f}", correct[i])
        n = len(labels[f])
        rows += [scalar_row(meta, f"{score}_{f}", getattr(scores[f], score), n)
                 for score in ("inception_score", "intra_entropy", "inter_entropy")]
    return rows, correct.mean(axis=0)


def run(job: EvaluationJob) -> ProtocolResult:
    from latentvideo.training.judge_training import load_judge

    dataset = job.meta["dataset"]
    if dataset not in job.judges:
        raise ValueError(f"no judge for dataset {dataset!r} was passed to this job (config judges.{dataset})")
    judge = load_judge(job.judges[dataset])
    judge.model.to(job.device)
    split = StoredSplit(job.testset, verify=True)
    videos = judged_test_videos(job.test_dataset, split, job.evaluation["test_videos"])
    factors = tuple(judge.classes)
    labels = split_labels(job.test_dataset, split, len(videos))
    dynamic = tuple(f for f, label in labels_of(job.test_dataset).items() if label.dynamic and f in factors)
    static = tuple(f for f in factors if f not in dynamic)
    coder = job.model.coder
    torch.manual_seed(EVAL_SEED)
    seen = _collect(coder, judge.model, videos, job.evaluation["batch_size"], job.device)
    meta = {**job.meta, "samples": 1, "test_videos": len(videos)}
    rows = []
    for f in factors:
        real = judge_scores(seen.probabilities["real"][f], labels[f])
        rows += [scalar_row(meta, f"judge_accuracy_{f}", real.accuracy, len(videos)),
                 scalar_row(meta, f"judge_inception_score_{f}", real.inception_score, len(videos))]
    for group, held, chosen in (("static", "content", static), ("dynamic", "motion", dynamic)):
        group_rows, per_video = _factor_rows(meta, chosen, seen.probabilities[held], labels)
        rows += group_rows
        if per_video is not None:
            rows += mean_rows(meta, f"{group}_accuracy", per_video)
    for held in HELD:
        rows.append(scalar_row(meta, f"frame_fid_fixed_{held}", frame_fid(seen.features["real"], seen.features[held]),
                               len(seen.features[held])))
    pairs = min(job.evaluation["saved_videos"], len(videos) // 2)
    torch.manual_seed(EVAL_SEED)
    arrays = {**_examples(coder, videos, pairs, job.device), "content_codes": seen.content_codes,
              "factors": np.array(factors), "dynamic_factors": np.array(dynamic, dtype=str),
              **{f"label_{f}": labels[f] for f in factors},
              **{f"classes_{f}": np.array(judge.classes[f]) for f in factors}}
    torch.manual_seed(EVAL_SEED)
    arrays["unconditional"] = unconditional(coder, job.evaluation["saved_videos"],
                                            job.protocol.get("generated_frames", videos.shape[1]), job.device)
    summary = write_results(job.out_dir, rows, arrays)
    trained = judge.settings
    statement = (f"{trained_at(meta)}; {len(videos)} {dataset} test videos of {videos.shape[1]} frames, judged by "
                 f"the judge of {dataset} ({trained['steps']} steps x batch {trained['batch_size']} at budget "
                 f"{trained['budget']}; static: {', '.join(static) or 'none'}; dynamic: "
                 f"{', '.join(dynamic) or 'none'})")
    lines = [f"{metric} = {value:.4f}" + (f" ± {ci:.4f}" if np.isfinite(ci) else "")
             for metric, (value, ci) in summary.items()
             if "accuracy" in metric or metric.startswith("frame_fid")]
    return ProtocolResult(summary, statement, lines=[*lines, statement],
                          record={"static_factors": list(static), "dynamic_factors": list(dynamic),
                                  "judge": {"file": str(job.judges[dataset]), "settings": trained}})


SETTINGS = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "generated_frames": {"type": "integer", "minimum": 1,
                             "description": "frames of the unconditional samples (Fig. 3; default: the test videos')"},
    },
}
PROTOCOLS = {"disentanglement": ProtocolSpec(
    run=run, requires=("encode",), judged=True, settings_schema=SETTINGS,
    description="R-WAE Tables 2, 3, 9 and Fig. 2: a judge classifier on videos generated holding z^c or z^m")}
