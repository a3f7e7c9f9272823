"""Every raw dataset: a fixture in its raw format -> the real acquisition + preprocessing code path."""

from __future__ import annotations

import copy
import hashlib
import json
import zipfile

import numpy as np
import pytest
import raw_fixtures as fx

from latentvideo.data import raw_datasets
from latentvideo.data.acquire import ChecksumError
from latentvideo.data.raw_sources import CorruptMemberError, UnsafeMemberError, find_members
from latentvideo.data.shards import StoredSplit


def entry_for(base_config, name, raw, **protocol):
    entry = copy.deepcopy(base_config["raw_data"][name])
    entry["dir"] = str(raw)
    if entry["acquisition"]["kind"] in ("download", "generated"):
        entry["acquisition"] = {"kind": "manual"}
    entry["protocol"].update(protocol)
    return entry


def build(name, entry, tmp_path, workers=1):
    inv = tmp_path / f"{name}.inventory.json"
    raw_datasets.acquire(name, entry, inv)
    out = tmp_path / "processed" / name
    manifest = raw_datasets.preprocess(name, entry, inv, out, workers=workers)
    return out, manifest


def split_digest(path):
    return hashlib.sha256(b"".join((p.name.encode() + p.read_bytes()) for p in sorted(path.rglob("*.npy")))).hexdigest()


def test_kth_zips_of_avis(tmp_path, base_config):
    fx.kth(tmp_path / "raw")
    entry = entry_for(base_config, "kth", tmp_path / "raw", test_windows=6)
    out, manifest = build("kth", entry, tmp_path)
    train, val, test = (StoredSplit(out / s, verify=True) for s in ("train", "val", "test"))
    assert (len(train), len(val)) == (3, 1)  # persons 1, 2 x 2 actions; 5% rounds up to one video
    assert set(train.label("person")) | set(val.label("person")) == {1, 2}
    assert train.video(0).shape == (45, 64, 64, 1) and train.video(0).dtype == np.uint8
    assert len(test) == 6 and test.video(0).shape == (40, 64, 64, 1)
    assert set(test.label("person")) <= {21, 22}
    # The bright bar survives decoding + the 160x120 -> 64x64 bicubic scaling, moving right.
    first = train.video(0)[:, 32, :, 0].astype(int)
    assert first.max() > 200 and np.argmax(first[1]) > np.argmax(first[0])
    # Windows are cut from the decoded test video at the recorded start.
    assert manifest["splits"]["test"] == {"windows": 6, "length": 40, "source_videos": 4}
    # Deterministic, whatever the worker count.
    (tmp_path / "again").mkdir()
    out2, _ = build("kth", entry, tmp_path / "again", workers=2)
    assert split_digest(out) == split_digest(out2)


def test_human36m_tgz_crop_subsample_and_all_skipped(tmp_path, base_config):
    fx.human36m(tmp_path / "raw")
    entry = entry_for(base_config, "human36m", tmp_path / "raw", crop_box=[14, 14, 114, 114], test_windows=4,
                      test_length=5, val_fraction=0.0)
    out, manifest = build("human36m", entry, tmp_path)
    train, test_videos, test = (StoredSplit(out / s, verify=True) for s in ("train", "test_videos", "test"))
    assert sorted(train.label("subject")) == [1, 5] and not any("_ALL" in n for n in train.label("name"))
    assert sorted(test_videos.label("subject")) == [9, 11]
    assert train.video(0).shape == (40, 64, 64, 3)  # 50 Hz kept for training
    assert test.video(0).shape == (5, 64, 64, 3)
    v = int(np.flatnonzero(test_videos.label("name") == test.label("name")[0])[0])
    start = int(test.label("start")[0])
    np.testing.assert_array_equal(test.video(0), test_videos.video(v)[start : start + 33 : 8])


def test_bair_tar_of_tfrecords_pixels_unchanged(tmp_path, base_config):
    truth = fx.bair(tmp_path / "raw")
    out, _ = build("bair", entry_for(base_config, "bair", tmp_path / "raw"), tmp_path)
    for split in ("train", "test"):
        stored = StoredSplit(out / split, verify=True)
        assert len(stored) == len(truth[split])
        for i, video in enumerate(truth[split]):
            np.testing.assert_array_equal(stored.video(i), video)  # exactly the bytes: no min/max rescaling
    assert list(StoredSplit(out / "train").label("file")[:3]) == ["traj_0_to_2.tfrecords"] * 3  # trajectory order


def test_bair_truncated_record_names_the_member(tmp_path, base_config):
    import io
    import tarfile

    from latentvideo.data import tfrecord

    raw = tmp_path / "raw"
    raw.mkdir()
    example, _ = fx.bair_example(np.random.default_rng(1))
    data = tfrecord.write_records([example])[:-100]
    with tarfile.open(raw / "bair.tar", "w") as tf:
        for name in ("softmotion30_44k/train/traj_0_to_0.tfrecords", "softmotion30_44k/test/traj_0_to_0.tfrecords"):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with pytest.raises(CorruptMemberError, match=r"bair.tar:softmotion30_44k/train/traj_0_to_0.tfrecords: record 0"):
        build("bair", entry_for(base_config, "bair", raw), tmp_path)
    assert not (tmp_path / "processed" / "bair").exists()  # nothing half-written


def test_clevrer_windows_and_mask_ids(tmp_path, base_config):
    from latentvideo.data.clevrer import camera_window

    fx.clevrer(tmp_path / "raw")
    entry = entry_for(base_config, "clevrer", tmp_path / "raw", min_window=20, test_length=20,
                      test_groups={"test_345": [3, 5], "test_6": [6, 6]})
    with pytest.raises(ValueError, match="no video was written"):  # no 6-object video in the fixture
        build("clevrer", entry, tmp_path)
    entry["protocol"]["test_groups"] = {"test_345": [3, 5]}
    out, manifest = build("clevrer", entry, tmp_path)
    train, test = StoredSplit(out / "train", verify=True), StoredSplit(out / "test_345", verify=True)
    assert len(train) == 1 and train.video(0).shape == (50, 64, 64, 3)
    # Video 10001's object 0 leaves the view at frame 20: window [0, 20) is exactly min_window long.
    assert list(test.label("video_id")) == [10000, 10001]
    assert camera_window({"object_property": [1], "motion_trajectory": [
        {"frame_id": f, "objects": [{"inside_camera_view": f >= 2}]} for f in range(5)]}) == (2, 5)
    masks = test.video(0, "masks")
    assert masks.shape == (20, 64, 64, 1) and set(np.unique(masks)) == {0, 1, 2, 3}
    # Object i (id i + 1) sits at x = 80 + 100 i + f in the 480-px frame; the 320 crop starts at 80,
    # and 64/320 = 0.2: its left edge lands at column (100 i + f) * 0.2 in every frame.
    for f in (0, 10, 19):
        for i in range(3):
            cols = np.flatnonzero(masks[f, 30, :, 0] == i + 1)
            assert abs(cols[0] - (100 * i + f) * 0.2) <= 1
    assert manifest["splits"]["test_345"]["mask_stats"]["unmatched"] == 2 * 20


def test_coco_rle_matches_pycocotools():
    mask_util = pytest.importorskip("pycocotools.mask")
    from latentvideo.data import coco_rle

    rng = np.random.default_rng(0)
    for _ in range(50):
        m = (rng.random((40, 30)) < rng.random()).astype(np.uint8)
        ref = mask_util.encode(np.asfortranarray(m))
        assert coco_rle.encode(m)["counts"] == ref["counts"].decode()
        np.testing.assert_array_equal(coco_rle.decode({"size": ref["size"], "counts": ref["counts"]}), m)


def test_bouncing_balls_h5_binary_colour_ids(tmp_path, base_config):
    truth = fx.bouncing_balls(tmp_path / "raw")
    entry = entry_for(base_config, "bouncing_balls", tmp_path / "raw", chunk_videos=2)
    out, _ = build("bouncing_balls", entry, tmp_path)
    from latentvideo.data.bouncing_balls import PALETTE

    test = StoredSplit(out / "balls678_test", verify=True)
    groups = truth["balls678mass64.h5/test"]
    assert len(test) == groups.shape[1]
    for j in range(len(test)):
        ids = groups[:, j].astype(np.uint8)
        np.testing.assert_array_equal(test.video(j, "masks"), ids)
        np.testing.assert_array_equal(test.video(j), (ids > 0).astype(np.uint8) * 255)
        colour = test.video(j, "colour")
        np.testing.assert_array_equal(colour[ids[..., 0] == 3], np.broadcast_to(PALETTE[2], colour[ids[..., 0] == 3].shape))
        assert (colour[ids[..., 0] == 0] == 0).all()
    four = StoredSplit(out / "balls678_test_4colors").video(0, "colour")
    ids = groups[:, 0, ..., 0]
    np.testing.assert_array_equal(four[ids == 5], np.broadcast_to(PALETTE[0], four[ids == 5].shape))  # 4 colours repeat


def test_sprites_sheets_frames_labels_and_split(tmp_path, base_config):
    from latentvideo.data.sprites import ACTIONS, ROWS, SLOTS, character_attributes

    fx.sprites(tmp_path / "raw", options=2)
    entry = entry_for(base_config, "sprites", tmp_path / "raw", options=2, train_characters=12)
    out, _ = build("sprites", entry, tmp_path)
    train, test = StoredSplit(out / "train", verify=True), StoredSplit(out / "test", verify=True)
    assert (len(train), len(test)) == (12 * 9, 4 * 9)
    perm = np.random.RandomState(423).permutation(16)
    assert list(test.label("character")[:4]) == list(perm[12:])
    assert character_attributes(1295, 6) == (5, 5, 5, 5) and character_attributes(7, 6) == (0, 0, 1, 1)
    for i in (0, 40, 107):
        video, action = train.video(i), ACTIONS[int(train.label("action")[i])]
        direction = ("front", "left", "right")[int(train.label("direction")[i])]
        body, _, _, hair = train.label("attributes")[i]
        for slot, col in enumerate(SLOTS[action]):
            expected_bg = (ROWS[action][direction] * 10, col * 10, 100 + body)
            assert tuple(video[slot, 32, 32]) == expected_bg
            assert tuple(video[slot, 2, 2]) == ((255, 255, 255) if hair == 1 else expected_bg)
    assert set(train.label("action_direction")) == set(range(9))


def test_mug_jpeg_sequences(tmp_path, base_config):
    fx.mug(tmp_path / "raw")
    out, _ = build("mug", entry_for(base_config, "mug", tmp_path / "raw"), tmp_path)
    train, test = StoredSplit(out / "train", verify=True), StoredSplit(out / "test", verify=True)
    assert (len(train), len(test)) == (4, 1)
    assert train.video(0).shape == (12, 64, 64, 3)  # 24 frames, every other one
    assert set(train.label("expression")) | set(test.label("expression")) == {0, 3, 5}


def test_timit_sphere_and_riff_spectra(tmp_path, base_config):
    fx.timit(tmp_path / "raw")
    out, manifest = build("timit", entry_for(base_config, "timit", tmp_path / "raw"), tmp_path)
    train = StoredSplit(out / "train", verify=True)
    # 0.5 s at 16 kHz -> 48 frames of 10 ms -> 2 segments of 20 per utterance.
    assert len(train) == 4 and manifest["splits"]["test"] == {"utterances": 1, "segments": 2}
    seg = train.video(0)[:, 0, :, 0]
    assert train.video(0).shape == (20, 1, 200, 1) and seg.dtype == np.float32
    # 1 kHz tone: FFT bin 1000 / (16000 / 400) = 25, i.e. index 24 once DC is dropped; 2 kHz -> 49.
    assert int(np.argmax(seg.mean(0))) == 24
    assert int(np.argmax(train.video(2)[:, 0, :, 0].mean(0))) == 49
    assert list(train.label("speaker")) == ["FCJF0"] * 4


@pytest.mark.parametrize("fps, chunks", [(None, 50), (2, 4)])  # the default (25 fps), the paper's 2 fps
def test_fifth_ave_substitute_from_the_wheel(tmp_path, base_config, fps, chunks):
    entry = copy.deepcopy(base_config["raw_data"]["fifth_ave"])
    entry["dir"] = str(tmp_path / "raw")
    if fps is not None:
        entry["protocol"]["fps"] = fps
    out, manifest = build("fifth_ave", entry, tmp_path)
    train = StoredSplit(out / "train", verify=True)
    assert train.video(0).shape == (5, 64, 64, 3)
    assert manifest["acquisition"] == "substitute" and train.manifest["provenance"]["substitute"] is True
    assert manifest["splits"]["train"]["chunks"] + manifest["splits"]["test"]["chunks"] == chunks  # 10 s clip


def test_download_kind_resumes_and_checks_sha256(tmp_path, base_config):
    fx.sprites(tmp_path / "mirror", options=2)
    src = next((tmp_path / "mirror").iterdir())
    good = fx.write_sum(src)
    entry = entry_for(base_config, "sprites", tmp_path / "raw", options=2, train_characters=12)
    entry["acquisition"] = {"kind": "download", "files": {src.name: {"urls": [src.as_uri()], "sha256": "0" * 64}}}
    with pytest.raises(ChecksumError) as err:
        raw_datasets.acquire("sprites", entry, tmp_path / "inv.json")
    assert src.name in str(err.value) and "0" * 64 in str(err.value) and good in str(err.value)
    assert not (tmp_path / "raw" / src.name).exists() and not (tmp_path / "inv.json").exists()
    # A partial download resumes (file:// ignores Range, so it restarts cleanly) and verifies.
    (tmp_path / "raw").mkdir(exist_ok=True)
    (tmp_path / "raw" / (src.name + ".part")).write_bytes(src.read_bytes()[:100])
    entry["acquisition"]["files"][src.name]["sha256"] = good
    inv = raw_datasets.acquire("sprites", entry, tmp_path / "inv.json")
    assert inv["files"][src.name]["sha256"] == good and inv["pinned_sha256"] == {src.name: good}


def test_manual_placement_missing_says_how(tmp_path, base_config):
    entry = entry_for(base_config, "human36m", tmp_path / "nothing")
    with pytest.raises(raw_datasets.RawDataMissingError, match="licensed.*raw_data.human36m.dir"):
        raw_datasets.acquire("human36m", entry, tmp_path / "inv.json")
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "readme.txt").write_text("x")
    with pytest.raises(raw_datasets.RawDataMissingError, match=r"no file matching \['\*.mp4'\]"):
        raw_datasets.acquire("human36m", entry, tmp_path / "inv.json")


def test_archive_member_escaping_is_refused(tmp_path):
    fx.unsafe_zip(tmp_path / "bad.zip")
    with pytest.raises(UnsafeMemberError, match=r"bad.zip: refusing member '../escape/"):
        find_members(tmp_path, "*.avi")


def test_truncated_archive_names_the_member(tmp_path, base_config):
    fx.kth(tmp_path / "raw", persons=(1, 21), actions=("boxing",))
    zpath = tmp_path / "raw" / "boxing.zip"
    with zipfile.ZipFile(zpath) as zf:
        info = zf.getinfo("person21_boxing_d1_uncomp.avi")
    data = bytearray(zpath.read_bytes())
    data[info.header_offset + 60 : info.header_offset + 400] = b"\0" * 340  # corrupt person21's bytes
    zpath.write_bytes(bytes(data))
    with pytest.raises(CorruptMemberError, match=r"boxing.zip:person21_boxing_d1_uncomp.avi"):
        build("kth", entry_for(base_config, "kth", tmp_path / "raw", test_windows=2), tmp_path)
    assert not (tmp_path / "processed" / "kth").exists()


def test_changed_raw_file_after_acquisition_is_caught(tmp_path, base_config):
    fx.mug(tmp_path / "raw", takes=2)
    entry = entry_for(base_config, "mug", tmp_path / "raw", test_fraction=0.5)
    raw_datasets.acquire("mug", entry, tmp_path / "inv.json")
    victim = next((tmp_path / "raw").rglob("img_0000.jpg"))
    victim.write_bytes(victim.read_bytes()[:50])
    with pytest.raises(ChecksumError, match="changed since acquisition"):
        raw_datasets.preprocess("mug", entry, tmp_path / "inv.json", tmp_path / "out")
    assert json.loads((tmp_path / "inv.json").read_text())["kind"] == "manual"
