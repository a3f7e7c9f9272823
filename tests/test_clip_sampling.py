"""The one stored-split reader, training clips drawn as each official loader does, and the dataset kinds."""

from __future__ import annotations

import json
import pickle
import tracemalloc

import numpy as np
import pytest

from latentvideo import config, targets
from latentvideo.data.clip_sampling import ClipSampling, eligible_videos, step_videos
from latentvideo.data.dataset_kinds import open_training_data, registered_kinds
from latentvideo.data.shards import ShardWriter, StoredSplit
from latentvideo.data.training_stream import StoredClipSteps


def ragged_split(path, lengths, per_shard=2):
    """Videos of 4x4 frames whose channel 0 holds the video's index and channel 1 the frame's."""
    with ShardWriter(path, {"dataset": "toy", "split": path.name}, ragged=True, videos_per_shard=per_shard) as w:
        for v, n in enumerate(lengths):
            frames = np.zeros((n, 4, 4, 2), dtype=np.uint8)
            frames[..., 0], frames[..., 1] = v, np.arange(n)[:, None, None]
            w.add({"frames": frames}, {"person": v})
    return StoredSplit(path, verify=True)


def ids(clip):
    """(video, first frame, frame step) of a clip made by ragged_split."""
    frames = clip[:, 0, 0, 1].astype(int)
    return int(clip[0, 0, 0, 0]), frames[0], (frames[1] - frames[0]) if len(frames) > 1 else 0


def test_ragged_windows_read_across_shards(tmp_path):
    split = ragged_split(tmp_path / "train", [3, 9, 5, 12, 7])
    assert len(split) == 5 and list(split.lengths) == [3, 9, 5, 12, 7] and split.frame_shape() == (4, 4, 2)
    assert ids(split.window(3, 2, 4, step=3)) == (3, 2, 3)  # frames 2, 5, 8, 11 of video 3 (second shard)
    assert split.video(4).shape == (7, 4, 4, 2) and list(split.label("person")) == [0, 1, 2, 3, 4]
    with pytest.raises(IndexError, match="video 3 has 12 frames"):
        split.window(3, 2, 5, step=3)
    with pytest.raises(ValueError, match="different lengths"):
        split.read()
    split.window(0, 0, 2)
    clone = pickle.loads(pickle.dumps(split))  # data-loader workers get the split without its open maps
    assert clone._maps == {} and ids(clone.window(1, 1, 3)) == (1, 1, 1)


def test_windows_are_drawn_only_from_long_enough_videos_at_every_start_and_phase(tmp_path):
    split = ragged_split(tmp_path / "train", [3, 9, 5, 12, 30])
    sampling = ClipSampling(step=3)
    steps = StoredClipSteps(split, sampling, batch_size=8, seq_len=3, seed=0, start=0, stop=400)
    seen = [ids(clip) for i in range(200) for clip in steps[i].numpy()]
    assert {v for v, _, _ in seen} == {1, 3, 4}  # a clip spans 7 stored frames: videos 0 and 2 are too short
    assert {s for _, s, _ in seen} == set(range(24)) and {d for _, _, d in seen} == {3}
    assert all(s + 7 <= [3, 9, 5, 12, 30][v] for v, s, _ in seen)
    starts = [s for v, s, _ in seen if v == 4]  # 24 possible starts of video 4: any phase of the subsampling
    assert {s % 3 for s in starts} == {0, 1, 2}
    with pytest.raises(ValueError, match="no video has the 61 frames.*longest: 30"):
        StoredClipSteps(split, ClipSampling(step=3), 2, 21, 0, 0, 1)


def test_batches_depend_only_on_seed_and_step(tmp_path):
    split = ragged_split(tmp_path / "train", [9, 12, 10, 11])
    for order in ("uniform", "epochs"):
        full = StoredClipSteps(split, ClipSampling(order=order), 2, 4, 7, 0, 9)
        resumed = StoredClipSteps(split, ClipSampling(order=order), 2, 4, 7, 5, 9)
        assert np.array_equal(full[6].numpy(), resumed[1].numpy()) and full[0].shape == (2, 4, 4, 4, 2)


def test_the_epoch_order_visits_every_video_once_per_epoch_and_drops_the_last_batch():
    eligible = np.arange(10, 17)  # 7 videos, batches of 3: two batches per epoch, one video left out each epoch
    rng = np.random.default_rng(0)
    for epoch in range(3):
        seen = np.concatenate([step_videos(eligible, ClipSampling(order="epochs"), 3, 1, 2 * epoch + k, rng)
                               for k in range(2)])
        assert len(set(seen)) == 6 and set(seen) <= set(eligible)
    with pytest.raises(ValueError, match="7 training videos cannot fill one batch of 8"):
        step_videos(eligible, ClipSampling(order="epochs"), 8, 1, 0, rng)
    with pytest.raises(ValueError, match="step >= 1"):
        ClipSampling(step=0)


def test_training_reads_clips_with_flat_memory(tmp_path):
    """200 videos of 100 frames of 64x64x3 (246 MB) on disk; opening them and drawing 20 batches of 8 clips
    allocates a small fraction of that (the shards are memory-mapped)."""
    root = tmp_path / "big"
    with ShardWriter(root / "train", {"dataset": "big"}, ragged=True, videos_per_shard=50) as w:
        frames = np.zeros((100, 64, 64, 3), dtype=np.uint8)
        for v in range(200):
            w.add({"frames": frames})
    (root / "manifest.json").write_text(json.dumps({"dataset": "big", "acquisition": "original"}))
    tracemalloc.start()
    data = open_training_data({"kind": "raw_video", "raw": "big", "train_length": 10,
                               "clips": {"step": 2, "order": "uniform"}}, root, 8, 0, 20, 4)
    batches = data.steps(0)
    for i in range(len(batches)):
        assert batches[i].shape == (8, 10, 64, 64, 3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20e6, f"peak {peak / 1e6:.0f} MB"
    assert "fixed batch of training clips" in data.validation_source and "one frame in 2" in data.validation_source


def test_raw_video_validation_comes_from_the_validation_split(tmp_path):
    root = tmp_path / "kthlike"
    ragged_split(root / "train", [20, 25, 30])
    ragged_split(root / "val", [22])
    (root / "manifest.json").write_text(json.dumps({"dataset": "kthlike", "acquisition": "original"}))
    data = open_training_data({"kind": "raw_video", "raw": "kthlike", "train_length": 6}, root, 2, 0, 5, 3)
    assert data.validation_source.startswith("validation split (1 videos)")
    assert {ids(clip)[0] for clip in data.validation} == {0} and data.validation.shape == (3, 6, 4, 4, 2)


def test_every_kind_is_described_by_the_schema_and_answers_for_every_configured_dataset(repo):
    cfg = config.load(repo / "config" / "config.yaml", "default")
    schema = config.load_schema()
    assert schema["properties"]["datasets"]["additionalProperties"]["properties"]["kind"]["enum"] == sorted(
        registered_kinds())
    for name, entry in cfg["datasets"].items():
        assert targets.testset(cfg, name).startswith(targets.testset_input(cfg, name))
        assert isinstance(targets.stored_source(cfg, name), list)
    assert config.dataset_entry(cfg, "fifth_ave")["channels"] == 3


def test_an_unknown_kind_names_the_registered_ones(repo):
    raw = config.read_yaml(repo / "config" / "config.yaml")
    raw["datasets"]["pendulum"]["kind"] = "teapot"
    with pytest.raises(config.ConfigError, match="teapot"):
        config.validate(raw)


def test_eligible_videos_names_the_longest(tmp_path):
    split = ragged_split(tmp_path / "s", [3, 4])
    assert list(eligible_videos(split, 4)) == [1]


def test_the_real_video_datasets_take_lengths_channels_and_sampling_from_their_raw_protocols(repo):
    cfg = config.load(repo / "config" / "config.yaml", "paper")
    kth, human, bair = (config.dataset_entry(cfg, name) for name in ("kth", "human36m", "bair"))
    assert (kth["channels"], kth["cond_frames"], kth["test_length"], kth["clips"]) == (
        1, 10, 40, {"step": 1, "order": "uniform"})  # grey; 10 -> 30 test windows; random windows
    assert (human["channels"], human["cond_frames"], human["test_length"], human["clips"]) == (
        3, 8, 53, {"step": 8, "order": "uniform"})  # one frame in 8, any phase
    assert (bair["channels"], bair["cond_frames"], bair["test_length"], bair["clips"]) == (
        3, 2, 30, {"step": 1, "order": "epochs"})  # the 30 stored frames; an epoch order over the videos
    assert targets.testset(cfg, "kth") == "data/processed/kth/test"
    assert targets.stored_source(cfg, "human36m") == ["data/processed/human36m"]
    raw = config.read_yaml(repo / "config" / "config.yaml")
    raw["datasets"]["bair"]["train_length"] = 31
    with pytest.raises(config.ConfigError, match="datasets.bair.train_length: a clip of 31 frames spans 31 stored "
                                                  "frames, more than the 30"):
        config.validate(raw)
