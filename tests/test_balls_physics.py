"""The Bouncing Balls generator (R-NEM's dataset, PROVIDE): collisions, walls, determinism, masks."""

from __future__ import annotations

import copy

import h5py
import numpy as np
import pytest

from latentvideo.data import balls_physics as bp

SPEC = bp.BallsSpec()


def kinetic_energy(masses, velocities):
    return 0.5 * float((masses[:, None] * velocities**2).sum())


def momentum(masses, velocities):
    return (masses[:, None] * velocities).sum(axis=0)


def test_elastic_exchange_conserves_momentum_and_energy_and_swaps_equal_masses():
    rng = np.random.default_rng(0)
    for _ in range(100):
        m_i, m_j = rng.uniform(0.5, 5, 2)
        u_i, u_j = rng.normal(size=2)
        v_i, v_j = bp.elastic_exchange(m_i, m_j, u_i, u_j)
        assert m_i * v_i + m_j * v_j == pytest.approx(m_i * u_i + m_j * u_j, abs=1e-12)
        assert m_i * v_i**2 + m_j * v_j**2 == pytest.approx(m_i * u_i**2 + m_j * u_j**2, abs=1e-12)
    assert bp.elastic_exchange(2.0, 2.0, 0.3, -0.1) == pytest.approx((-0.1, 0.3))


def test_head_on_collision_of_unequal_masses_matches_the_closed_form():
    # ball 0 (mass 1) at the left moving right, ball 1 (mass 3) at the right moving left, on one horizontal line
    positions = np.array([[3.0, 5.0], [5.6, 5.0]])
    velocities = np.array([[0.2, 0.0], [-0.2, 0.0]])
    masses = np.array([1.0, 3.0])
    collided = []
    for _ in range(10):
        events = bp.euler_step(SPEC, positions, velocities, masses)
        collided += events.pairs
    assert collided == [(1, 0)]  # exactly once: no sticking while the pair still overlaps
    # 1-D elastic collision: v0' = ((1 - 3) 0.2 + 2 * 3 * (-0.2)) / 4 = -0.4, v1' = ((3 - 1)(-0.2) + 2 * 0.2) / 4 = 0
    np.testing.assert_allclose(velocities, [[-0.4, 0.0], [0.0, 0.0]], atol=1e-12)


def test_a_wall_reverses_the_normal_component_only():
    positions = np.array([[9.0, 5.0]])
    velocities = np.array([[0.3, 0.1]])
    walls = [bp.euler_step(SPEC, positions, velocities, np.ones(1)).walls[0] for _ in range(4)]
    assert walls.count(True) == 1
    np.testing.assert_allclose(velocities, [[-0.3, 0.1]])


def test_energy_is_conserved_and_momentum_changes_only_at_walls():
    rng = np.random.default_rng(1)
    pair_steps = 0
    for _ in range(20):
        positions, velocities, masses = bp.initial_state(SPEC, 8, rng)
        energy = kinetic_energy(masses, velocities)
        for _ in range(100):
            before = momentum(masses, velocities)
            events = bp.euler_step(SPEC, positions, velocities, masses)
            assert kinetic_energy(masses, velocities) == pytest.approx(energy, rel=1e-12)
            if not events.walls.any():
                np.testing.assert_allclose(momentum(masses, velocities), before, atol=1e-12)
                pair_steps += bool(events.pairs)
    assert pair_steps > 20  # ball-ball collisions away from the walls were exercised


def test_balls_stay_in_the_box_and_start_apart():
    trajectory, _ = bp.video(SPEC, (6, 7, 8), seed=3, index=0)
    n = len(trajectory.masses)
    start = trajectory.positions[0]
    gaps = np.linalg.norm(start[:, None] - start[None], axis=-1)[~np.eye(n, dtype=bool)]
    assert gaps.min() >= 2 * SPEC.radius
    # a ball may cross a wall by at most one step before it is turned back
    reach = np.abs(trajectory.velocities).max() / SPEC.substeps
    assert trajectory.positions.min() >= SPEC.radius - reach
    assert trajectory.positions.max() <= SPEC.box - SPEC.radius + reach
    energies = [kinetic_energy(trajectory.masses, v) for v in trajectory.velocities]
    np.testing.assert_allclose(energies, energies[0], rtol=1e-12)


def test_videos_are_a_function_of_seed_and_index():
    a_traj, a = bp.video(SPEC, (4,), seed=5, index=2)
    b_traj, b = bp.video(SPEC, (4,), seed=5, index=2)
    _, c = bp.video(SPEC, (4,), seed=5, index=3)
    _, d = bp.video(SPEC, (4,), seed=6, index=2)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a_traj.positions, b_traj.positions)
    assert not np.array_equal(a.groups, c.groups) and not np.array_equal(a.groups, d.groups)
    counts = {len(bp.video(SPEC, (6, 7, 8), seed=0, index=i)[0].masses) for i in range(30)}
    assert counts == {6, 7, 8}
    assert set(np.unique(np.concatenate([bp.video(SPEC, (4,), 0, i)[0].masses for i in range(5)]))) <= set(SPEC.masses)


def test_masks_agree_with_the_pixels_and_the_positions():
    trajectory, frames = bp.video(SPEC, (4,), seed=0, index=1)
    assert frames.features.shape == frames.groups.shape == frames.collisions.shape == (51, 64, 64)
    np.testing.assert_array_equal(frames.features, (frames.groups > 0).astype(np.uint8))
    assert (frames.collisions <= frames.features).all()
    assert frames.groups.max() <= 4
    # at the first frame the balls do not overlap: each id is the disc around its ball's centre
    centres = (np.arange(64) + 0.5) * SPEC.box / 64
    for ball in range(4):
        rows, cols = np.nonzero(frames.groups[0] == ball + 1)
        x, y = trajectory.positions[0, ball]
        if SPEC.radius < x < SPEC.box - SPEC.radius and SPEC.radius < y < SPEC.box - SPEC.radius:
            assert abs(centres[cols].mean() - x) < 0.05 and abs(centres[rows].mean() - y) < 0.05
        assert np.sqrt(len(rows) / np.pi) * SPEC.box / 64 == pytest.approx(SPEC.radius, rel=0.1)
    # the collision pixels are those of the balls flagged at that frame
    for t in range(51):
        flagged = np.isin(frames.groups[t], np.flatnonzero(trajectory.collided[t]) + 1)
        np.testing.assert_array_equal(frames.collisions[t], flagged.astype(np.uint8))
    assert not trajectory.collided[-1].any()


def test_collisions_are_flagged_for_both_balls_of_a_pair():
    seen = 0
    for index in range(10):
        trajectory, _ = bp.video(SPEC, (8,), seed=0, index=index)
        per_frame = trajectory.collided.sum(axis=1)
        assert (per_frame != 1).all()  # a collision flags two balls
        seen += int(per_frame.sum())
    assert seen > 0


def test_too_many_balls_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot place ball"):
        bp.initial_state(bp.BallsSpec(radius=3.0), 20, np.random.default_rng(0))


def generated_entry(base_config, raw, frames=6, videos=3):
    entry = copy.deepcopy(base_config["raw_data"]["bouncing_balls"])
    entry["dir"] = str(raw)
    entry["protocol"]["chunk_videos"] = 2
    generator = entry["acquisition"]["generator"]
    assert entry["acquisition"]["kind"] == "generated"
    generator["simulator"] = {"frames": frames}
    for groups in generator["files"].values():
        for split in groups.values():
            split["videos"] = videos
    return entry


def test_generated_files_take_the_r_nem_preprocessing_path(tmp_path, base_config):
    from latentvideo.data import raw_datasets
    from latentvideo.data.bouncing_balls import PALETTE
    from latentvideo.data.shards import StoredSplit

    entry = generated_entry(base_config, tmp_path / "raw")
    inventory = raw_datasets.acquire("bouncing_balls", entry, tmp_path / "inv.json")
    assert {"balls4mass64.h5", "balls678mass64.h5", "generated.json"} <= set(inventory["files"])
    with h5py.File(tmp_path / "raw" / "balls678mass64.h5") as fh:
        assert fh["test/features"].shape == fh["test/collisions"].shape == (6, 3, 64, 64, 1)
    raw_datasets.preprocess("bouncing_balls", entry, tmp_path / "inv.json", tmp_path / "processed")
    spec = bp.BallsSpec(frames=6)
    for split, (balls, seed) in {"balls4_train": ((4,), 1), "balls678_test": ((6, 7, 8), 3)}.items():
        stored = StoredSplit(tmp_path / "processed" / split, verify=True)
        assert len(stored) == 3
        for i in range(3):
            frames = bp.video(spec, balls, seed, i)[1]
            np.testing.assert_array_equal(stored.video(i, "masks")[..., 0], frames.groups)
            np.testing.assert_array_equal(stored.video(i)[..., 0], frames.features * 255)
            first_ball = stored.video(i, "colour")[frames.groups == 1]
            np.testing.assert_array_equal(first_ball, np.broadcast_to(PALETTE[0], first_ball.shape))


def test_generation_is_kept_redone_on_change_and_never_overwrites_foreign_files(tmp_path, base_config, monkeypatch):
    from latentvideo.data import raw_datasets

    raw = tmp_path / "raw"
    entry = generated_entry(base_config, raw)
    raw_datasets.acquire("bouncing_balls", entry, tmp_path / "inv.json")
    made = {p.name: p.stat().st_mtime_ns for p in raw.iterdir()}
    raw_datasets.acquire("bouncing_balls", entry, tmp_path / "inv.json")
    assert {p.name: p.stat().st_mtime_ns for p in raw.iterdir()} == made  # same settings: kept
    before = (raw / "balls4mass64.h5").read_bytes()
    changed = generated_entry(base_config, raw, videos=2)
    raw_datasets.acquire("bouncing_balls", changed, tmp_path / "inv.json")
    with h5py.File(raw / "balls4mass64.h5") as fh:
        assert fh["training/groups"].shape[1] == 2
    assert (raw / "balls4mass64.h5").read_bytes() != before
    assert not [p for p in raw.iterdir() if p.name.startswith(".")]  # no temporaries left

    # killed while rewriting the second file: the next acquisition regenerates (the files are still ours)
    from latentvideo.data import bouncing_balls

    real_writer = bouncing_balls.write_rnem_file

    def killed_at_the_second(path, *args, **kwargs):
        if path.name == "balls678mass64.h5":
            raise KeyboardInterrupt
        real_writer(path, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(bouncing_balls, "write_rnem_file", killed_at_the_second)
        with pytest.raises(KeyboardInterrupt):
            raw_datasets.acquire("bouncing_balls", entry, tmp_path / "inv.json")
    (raw / ".balls678mass64.h5.x1y2.tmp.h5").write_bytes(b"half")  # as a SIGKILL mid-write leaves it
    raw_datasets.acquire("bouncing_balls", entry, tmp_path / "inv.json")
    with h5py.File(raw / "balls678mass64.h5") as fh:
        assert fh["test/groups"].shape[1] == 3
    assert not [p for p in raw.iterdir() if p.name.startswith(".")]

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "balls4mass64.h5").write_bytes(b"R-NEM's own file")
    with pytest.raises(raw_datasets.RawDataMissingError, match="not made by the generator"):
        raw_datasets.acquire("bouncing_balls", generated_entry(base_config, foreign), tmp_path / "inv2.json")
    assert (foreign / "balls4mass64.h5").read_bytes() == b"R-NEM's own file"


def test_a_generated_acquisition_without_its_generator_is_a_config_error(tmp_path, base_config):
    import yaml

    from latentvideo import config

    cfg = copy.deepcopy(base_config)
    del cfg["raw_data"]["bouncing_balls"]["acquisition"]["generator"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(config.ConfigError, match=r"raw_data\.bouncing_balls\.acquisition.*'generator' is a required"):
        config.load(path, "default")
