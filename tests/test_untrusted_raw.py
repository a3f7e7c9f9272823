"""Untrusted raw data: archives and folders from the web are read, never trusted (issue 11, item 7)."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zipfile

import numpy as np
import pytest
import raw_fixtures as fx
from test_raw_datasets import build, entry_for

from latentvideo.data import raw_datasets, tfrecord
from latentvideo.data.acquire import ChecksumError
from latentvideo.data.digits import read_idx
from latentvideo.data.raw_sources import (
    CorruptMemberError,
    RawSource,
    SizeLimits,
    UnsafeMemberError,
    check_raw_folder,
    find_members,
)

AVI = "person01_boxing_d1_uncomp.avi"


def _tar(path, members):
    """members: (name, bytes or None, type) tuples; None data with LNKTYPE/SYMTYPE are links to /etc/passwd."""
    with tarfile.open(path, "w") as tf:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = "/etc/passwd"
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))


def test_dot_slash_member_names_are_accepted_in_zip_and_tar(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as zf:
        zf.writestr(f"./kth/{AVI}", b"zip bytes")
    _tar(tmp_path / "b.tar", [(f"./kth/{AVI}", b"tar bytes", tarfile.REGTYPE)])
    for archive, data in (("a.zip", b"zip bytes"), ("b.tar", b"tar bytes")):
        with RawSource(tmp_path / archive) as src:
            assert src.names() == [f"kth/{AVI}"]
            assert src.read(f"kth/{AVI}") == data


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE, tarfile.CHRTYPE])
def test_tar_links_and_special_members_are_refused_by_name(tmp_path, kind):
    _tar(tmp_path / "x.tar", [(AVI, b"ok", tarfile.REGTYPE), ("evil_link", b"", kind)])
    with pytest.raises(UnsafeMemberError, match=r"x.tar: refusing link or special member\(s\) \['evil_link'\]"):
        find_members(tmp_path, "*.avi")


def test_zip_symlinks_are_refused_by_name(tmp_path):
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as zf:
        zf.writestr(AVI, b"ok")
        link = zipfile.ZipInfo("evil_link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(UnsafeMemberError, match=r"x.zip: refusing link or special member\(s\) \['evil_link'\]"):
        find_members(tmp_path, "*.avi")


def test_a_folder_symlink_leading_outside_the_raw_folder_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / AVI).write_bytes(b"someone else's video")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "inside.avi").write_bytes(b"x")
    os.symlink(outside / AVI, raw / AVI)
    with pytest.raises(UnsafeMemberError, match=rf"refusing {raw / AVI}, a symbolic link leading outside"):
        find_members(raw, "*.avi")
    (raw / AVI).unlink()
    os.symlink(outside, raw / "linked_folder")
    with pytest.raises(UnsafeMemberError, match="linked_folder, a symbolic link leading outside"):
        find_members(raw, "*.avi")
    (raw / "linked_folder").unlink()
    os.symlink(raw / "inside.avi", raw / "alias.avi")  # a link inside the folder is fine
    assert [m.name for m in find_members(raw, "*.avi")] == ["alias.avi", "inside.avi"]


def test_member_and_total_size_caps_stop_decompression_bombs(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(AVI, b"\0" * (3 << 20))  # 3 MB of zeros: a few kB on disk
    assert bomb.stat().st_size < 50_000
    with pytest.raises(UnsafeMemberError, match=rf"bomb.zip: member '{AVI}' declares 3 MB, over the 1 MB cap"):
        check_raw_folder(tmp_path, SizeLimits.from_config({"max_member_mb": 1}))
    with pytest.raises(UnsafeMemberError, match="over the 0 GB cap|more than 0 GB"):
        check_raw_folder(tmp_path, SizeLimits.from_config({"max_total_gb": 0.002}))
    assert check_raw_folder(tmp_path, SizeLimits()) == 3 << 20


def test_configured_limits_apply_to_acquisition_and_preprocessing(tmp_path, base_config):
    fx.kth(tmp_path / "raw")
    entry = entry_for(base_config, "kth", tmp_path / "raw")
    entry["limits"] = {"max_member_mb": 0.001}
    with pytest.raises(UnsafeMemberError, match="over the 0 MB cap per member"):
        raw_datasets.acquire("kth", entry, tmp_path / "inv.json")
    assert not (tmp_path / "inv.json").exists()


def _bair_tar(raw, payload: bytes):
    raw.mkdir(parents=True, exist_ok=True)
    data = tfrecord.write_records([payload])  # valid CRCs around whatever the payload is
    _tar(raw / "bair.tar", [(f"softmotion30_44k/{split}/traj_0_to_0.tfrecords", data, tarfile.REGTYPE)
                            for split in ("train", "test")])


@pytest.mark.parametrize("payload,reason", [
    (b"\x0a\xff\xff\xff\xff\x0f" + b"garbage", "claims"),  # field 1 claims ~4 GB
    (b"\x0a\x85", "varint truncated"),
    (b"\x0a\x08\x0a\x06\x0a\x02\xff\xfe\x12\x00", "is not UTF-8"),  # feature name bytes ff fe
    (b"\x0f\x01", "unsupported protobuf wire type 7"),
])
def test_tfrecord_with_valid_crc_but_garbage_payload_names_file_and_record(tmp_path, base_config, payload, reason):
    _bair_tar(tmp_path / "raw", payload)
    with pytest.raises(CorruptMemberError, match=rf"bair.tar:softmotion30_44k/train/traj_0_to_0.tfrecords record 0: "
                                                 rf".*{reason}"):
        build("bair", entry_for(base_config, "bair", tmp_path / "raw"), tmp_path)


def test_hdf5_with_other_dataset_names_is_named(tmp_path, base_config):
    import h5py

    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("balls4mass64.h5", "balls678mass64.h5"):
        with h5py.File(raw / name, "w") as fh:
            fh.create_dataset("training/images", data=np.zeros((2, 2, 4, 4, 1)))
    with pytest.raises(CorruptMemberError, match=r"balls4mass64.h5: no HDF5 dataset training/features"):
        build("bouncing_balls", entry_for(base_config, "bouncing_balls", raw), tmp_path)
    (raw / "balls4mass64.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(CorruptMemberError, match="balls4mass64.h5: cannot read HDF5"):
        build("bouncing_balls", entry_for(base_config, "bouncing_balls", raw), tmp_path)


@pytest.mark.parametrize("content,reason", [
    (gzip.compress(b"\0\0\x08\x03" + b"\0\0\0\x02")[:-6], "cannot be read"),  # truncated gzip
    (gzip.compress(b"\0\0\x08\x03\0\0"), "not an unsigned-byte idx file"),  # header cut in the dims
    (gzip.compress(b"\0\0\x08\x01" + (10).to_bytes(4, "big") + b"\1" * 3), "expected 10 values"),
    (b"not gzip at all", "cannot be read"),
])
def test_corrupt_idx_files_are_named(tmp_path, content, reason):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(content)
    with pytest.raises(CorruptMemberError, match=rf"{path}: {reason}"):
        read_idx(path)


def test_a_download_without_a_pinned_sum_is_refused_unless_allowed(tmp_path, base_config, capsys):
    fx.sprites(tmp_path / "mirror", options=2)
    src = next((tmp_path / "mirror").iterdir())
    entry = entry_for(base_config, "sprites", tmp_path / "raw", options=2, train_characters=12)
    entry["acquisition"] = {"kind": "download", "files": {src.name: {"urls": [src.as_uri()], "sha256": None}}}
    with pytest.raises(ChecksumError, match=rf"no sha256 pinned for \['{src.name}'\].*allow_unpinned: true"):
        raw_datasets.acquire("sprites", entry, tmp_path / "inv.json")
    assert not (tmp_path / "raw" / src.name).exists()
    inv = raw_datasets.acquire("sprites", entry, tmp_path / "inv.json", allow_unpinned=True)
    digest = fx.write_sum(src)
    assert inv["files"][src.name]["sha256"] == digest and digest in capsys.readouterr().out


def test_every_configured_download_is_https(base_config):
    for name, entry in base_config["raw_data"].items():
        for fname, source in entry["acquisition"].get("files", {}).items():
            assert all(url.startswith("https://") for url in source["urls"]), (name, fname)
