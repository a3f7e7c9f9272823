"""Train a judge classifier (:mod:`latentvideo.models.judge`) on a dataset's real labelled videos and measure it
on the real test split (R-WAE reports its MUG judge's test accuracy, 95.11%, and IS, 5.20, the same way).

Each step draws a fresh batch of labelled training videos from the dataset kind (``DatasetKind.labelled``,
seeded by ``[seed, step]``) and takes one Adam step on the sum over factors of the cross-entropies. The result
is ``judge.pt`` (state_dict, the network's config, the class names, the settings; loaded with
``weights_only=True``) and ``judge.json`` (per factor: test accuracy, IS, H(y|x), H(y) on real test videos).
A judge trains in minutes: a killed job starts again (its outputs are written atomically, never half).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from latentvideo.atomic import atomic_path
from latentvideo.data.dataset_kinds import LabelledRequest, judged_test_videos, kind_named, labels_of, split_labels
from latentvideo.data.shards import StoredSplit, to_model_layout
from latentvideo.metrics.judge_scores import judge_scores
from latentvideo.models.judge import JudgeConfig, VideoJudge
from latentvideo.progress import Progress


class TrainedJudge(NamedTuple):
    """The network in eval mode, the class names of each factor and the settings it was trained with."""

    model: VideoJudge
    classes: dict[str, tuple[str, ...]]
    settings: dict[str, Any]


def _as_input(videos: np.ndarray) -> torch.Tensor:
    """uint8 ``(N, T, H, W, C)`` -> float ``(T, N, C, H, W)`` in [0, 1]."""
    return torch.from_numpy(to_model_layout(videos))


def video_probabilities(judge: VideoJudge, videos: np.ndarray, batch_size: int,
                        device: torch.device = torch.device("cpu")) -> dict[str, np.ndarray]:
    """The judge's ``{factor: (n, K)}`` probabilities on ``videos``: uint8 ``(n, T, H, W, C)``."""
    out: dict[str, list[np.ndarray]] = {}
    with torch.no_grad():
        for start in range(0, len(videos), batch_size):
            for name, p in judge.probabilities(_as_input(videos[start:start + batch_size]).to(device)).items():
                out.setdefault(name, []).append(p.cpu().numpy())
    return {name: np.concatenate(parts) for name, parts in out.items()}


def train_judge(settings: Mapping[str, Any], dataset: Mapping[str, Any], data_dir: str | Path,
                test_dir: str | Path, out_dir: str | Path, progress: str = "auto", progress_every: float = 30.0,
                device: torch.device = torch.device("cpu")) -> dict[str, Any]:
    """Train on ``dataset`` (resolved entry) with ``settings`` (``steps``, ``batch_size``, ``lr``, ``width``,
    ``features``, ``seed``, ``test_videos``, ``budget``) and write ``judge.pt`` and ``judge.json`` into ``out_dir``;
    returns the record of ``judge.json``. ``device``: where it trains (the weights are saved from the CPU)."""
    kind = kind_named(dataset["kind"])
    if kind.labelled is None or not labels_of(dataset):
        raise ValueError(f"dataset {dataset.get('name', dataset['kind'])!r} carries no labels: it cannot train a judge")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(settings["seed"])
    length = dataset["train_length"]
    first = kind.labelled(LabelledRequest(dataset, Path(data_dir), "train", 2, length, (settings["seed"], settings["steps"])))  # only to read the shapes and classes
    frame_shape = first.videos.shape[2:]
    config = JudgeConfig(channels=frame_shape[2], frame_size=frame_shape[0],
                         classes={name: len(names) for name, names in first.classes.items()},
                         width=settings["width"], features=settings["features"])
    judge = VideoJudge(config).to(device)
    optimizer = torch.optim.Adam(judge.parameters(), lr=settings["lr"])
    bar = Progress(f"judge {dataset.get('name', dataset['kind'])}", settings["steps"], mode=progress,
                   every=progress_every)
    for step in range(settings["steps"]):
        batch = kind.labelled(LabelledRequest(dataset, Path(data_dir), "train", settings["batch_size"], length,
                                              (settings["seed"], step)))
        logits = judge(_as_input(batch.videos).to(device)).logits
        loss = sum(F.cross_entropy(logits[name], torch.from_numpy(batch.labels[name]).to(device)) for name in logits)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        bar.update(step + 1, {"cross_entropy": float(loss.detach())})
    judge.eval()
    split = StoredSplit(test_dir, verify=True)
    videos = judged_test_videos(dataset, split, settings["test_videos"])  # ragged takes: the labelled window
    n = len(videos)
    probabilities = video_probabilities(judge, videos, settings["batch_size"], device)
    factors = {}
    labels = split_labels(dataset, split, n)
    for name, p in probabilities.items():
        scores = judge_scores(p, labels[name])
        factors[name] = {**scores._asdict(), "classes": list(first.classes[name])}
    record = {"dataset": dict(dataset), "budget": settings["budget"], "steps": settings["steps"],
              "batch_size": settings["batch_size"], "test_videos": n, "factors": factors,
              "statement": (f"judge trained at budget {settings['budget']}: {settings['steps']} steps x batch "
                            f"{settings['batch_size']} on real training videos; scored on {n} real test videos")}
    bar.close(", ".join(f"{name} accuracy {f['accuracy']:.3f}" for name, f in factors.items()))
    with atomic_path(out_dir / "judge.pt") as tmp:
        torch.save({"model": {k: v.cpu() for k, v in judge.state_dict().items()},
                    "config": {"channels": config.channels, "frame_size": config.frame_size,
                               "classes": dict(config.classes), "width": config.width, "features": config.features},
                    "classes": {k: list(v) for k, v in first.classes.items()}, "settings": dict(settings)}, tmp)
    with atomic_path(out_dir / "judge.json") as tmp:
        Path(tmp).write_text(json.dumps(record, indent=2))
    return record


def load_judge(path: str | Path) -> TrainedJudge:
    """A trained judge from its ``judge.pt``, in eval mode."""
    state = torch.load(path, weights_only=True, map_location="cpu")
    judge = VideoJudge(JudgeConfig(**state["config"]))
    judge.load_state_dict(state["model"])
    return TrainedJudge(judge.eval(), {k: tuple(v) for k, v in state["classes"].items()}, dict(state["settings"]))
