"""Kind ``raw_video``: clips of a preprocessed raw dataset (``raw_data.<raw>``, e.g. KTH, Human3.6M, BAIR).

The raw dataset's declaration (:class:`latentvideo.data.raw_datasets.RawDataset`) says what its frames are
(channels), how the official loader draws training clips, and which split is the test set; its protocol in
the config gives the conditioning and test lengths. Training reads the ``train`` split memory-mapped; the
validation batch is a fixed draw of clips from the ``val`` split where preprocessing wrote one (KTH,
Human3.6M: 5% of the training videos), else from the training split (5th Avenue, BAIR), and the training log
says which. Model selection (SRVP on KTH and Human3.6M) scores fixed windows drawn once from the same split
(the official code redraws random windows at every validation; fixed ones make the choice reproducible).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from latentvideo.atomic import sha256_file
from latentvideo.data.clip_sampling import ClipSampling, draw_clips, eligible_videos
from latentvideo.data.dataset_kinds import (DatasetKind, LabelledRequest, LabelledVideos, TestSplit, TrainingData,
                                           TrainingRequest, labelled_windows, labels_entry, labels_of,
                                           split_labels)
from latentvideo.data.raw_datasets import RawDataset, declaration
from latentvideo.data.shards import StoredSplit, read_manifest
from latentvideo.data.training_stream import StoredClipSteps

VALIDATION_STREAM = 3  # default_rng([seed, 3]) draws the validation clips
SELECTION_STREAM = 4  # default_rng([seed, 4]) draws the model-selection windows


def processed(raw: str) -> str:
    return f"data/processed/{raw}"


def raw_declaration(cfg: Mapping[str, Any], entry: Mapping[str, Any]) -> RawDataset:
    """The :class:`RawDataset` a dataset entry reads (its ``raw_data.<raw>``'s dataset module)."""
    return declaration(entry["raw"], cfg["raw_data"][entry["raw"]])


def raw_reference_problems(cfg: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> list[str]:
    """``datasets.<name>.raw`` must be a key of ``raw_data`` whose dataset module is declared."""
    if entry["raw"] not in cfg["raw_data"]:
        return [f"datasets.{name}.raw: {entry['raw']!r} is not under raw_data"]
    try:
        raw_declaration(cfg, entry)
    except ValueError as err:
        return [f"datasets.{name}.raw: {err}"]
    return []


def _protocol(cfg: Mapping[str, Any], entry: Mapping[str, Any]) -> Mapping[str, Any]:
    return cfg["raw_data"][entry["raw"]]["protocol"]


def derived(cfg: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """``channels``, the clip sampling, the protocol's conditioning and test lengths (what evaluation and the
    models need) and the labels its videos carry, so that they are part of the experiment's resolved settings."""
    spec, protocol = raw_declaration(cfg, entry), _protocol(cfg, entry)
    clips = spec.clips(protocol)
    out: dict[str, Any] = {"channels": spec.channels, "clips": {"step": clips.step, "order": clips.order}}
    for key in ("cond_frames", "test_length"):
        if key in protocol:
            out[key] = protocol[key]
    if "test_length" not in out and spec.video_length(protocol) is not None:
        out["test_length"] = spec.video_length(protocol)  # BAIR: the test videos are the stored 30 frames
    return {**out, **labels_entry(spec.labels(protocol))}


def problems(cfg: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> list[str]:
    unusable = raw_reference_problems(cfg, name, entry)
    if unusable:
        return unusable
    spec, protocol = raw_declaration(cfg, entry), _protocol(cfg, entry)
    span, longest = spec.clips(protocol).span(entry["train_length"]), spec.video_length(protocol)
    if longest is not None and span > longest:
        return [f"datasets.{name}.train_length: a clip of {entry['train_length']} frames spans {span} stored frames, "
                f"more than the {longest} of every video of raw_data.{entry['raw']}"]
    return []


def _fixed_clips(split: StoredSplit, sampling: ClipSampling, n: int, length: int, seed: int,
                 stream: int = VALIDATION_STREAM) -> np.ndarray:
    """``n`` clips of ``length`` frames drawn once from ``split`` (videos with replacement, random starts):
    uint8 ``(n, length, H, W, C)``, a function of ``(seed, stream)``."""
    rng = np.random.default_rng([seed, stream])
    eligible = eligible_videos(split, sampling.span(length))
    return draw_clips(split, sampling, eligible[rng.integers(0, len(eligible), size=n)], length, rng)


def open_training(request: TrainingRequest) -> TrainingData:
    dataset, data_dir = request.dataset, request.data_dir
    sampling = ClipSampling(**dataset.get("clips", {}))
    length = dataset["train_length"]
    train = StoredSplit(data_dir / "train", verify=True)
    has_val = (data_dir / "val" / "manifest.json").is_file()
    val = StoredSplit(data_dir / "val", verify=True) if has_val else train
    where = (f"validation split ({len(val)} videos)" if has_val
             else f"fixed batch of training clips (no validation split; {len(train)} videos)")
    top = read_manifest(data_dir)
    return TrainingData(
        steps=lambda start: StoredClipSteps(train, sampling, request.batch_size, length, request.seed, start,
                                            request.stop),
        validation=_fixed_clips(val, sampling, request.val_videos, length, request.seed),
        validation_source=f"{where}: {sampling.describe(length)}",
        source=f"{top['dataset']}:{top['acquisition']}", sha256=sha256_file(data_dir / "train" / "manifest.json"),
        manifest_sha256=sha256_file(data_dir / "manifest.json"),
        selection_windows=lambda n, length: _fixed_clips(val, sampling, n, length, request.seed, SELECTION_STREAM))


def labelled(request: LabelledRequest) -> LabelledVideos:
    """Labelled videos for a judge: one ``length``-frame window of each of ``n_videos`` stored videos drawn with
    replacement from the ``train`` split, or the ``val`` split where preprocessing wrote one (else ``train``
    again), placed by the entry's ``labelled_window`` (default ``start``: the first frames), with the labels the
    raw dataset declares (:func:`labels_of` of the resolved entry)."""
    labels = labels_of(request.dataset)
    if not labels:
        raise ValueError(f"raw_data.{request.dataset['raw']} declares no labels: no judge can be trained on it")
    name = "val" if request.split == "validation" and (request.data_dir / "val" / "manifest.json").is_file() else "train"
    split = StoredSplit(request.data_dir / name)
    rng = np.random.default_rng([*request.seed, 5])
    chosen = np.sort(rng.integers(0, len(split), size=request.n_videos))
    videos = labelled_windows(split, chosen, request.length, request.dataset.get("labelled_window", "start"))
    stored = split_labels(request.dataset, split)
    return LabelledVideos(videos, {f: values[chosen] for f, values in stored.items()},
                          {f: label.classes for f, label in labels.items()})


def test_split(cfg: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> TestSplit:
    target = processed(entry["raw"])
    return TestSplit(target, f"{target}/{raw_declaration(cfg, entry).test_split}")


KINDS = {
    "raw_video": DatasetKind(
        description="clips of a preprocessed raw dataset (raw_data.<raw>)",
        channels=lambda cfg, entry: raw_declaration(cfg, entry).channels,
        sources=lambda cfg, entry: [processed(entry["raw"])],
        test_split=test_split,
        open_training=open_training,
        derived=derived,
        problems=problems,
        raw_inputs=lambda entry: [entry["raw"]],
        selects=True,
        labelled=labelled,
    ),
}
