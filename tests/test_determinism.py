"""Determinism as a contract: same thread count -> same bits across processes; initialisation and evaluation
independent of the thread count (see :mod:`latentvideo.determinism`)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import torch

from latentvideo import config, determinism
from latentvideo.data.dataset_kinds import build_test_set
from latentvideo.evaluation.driver import evaluate_model
from latentvideo.training import checkpoint
from latentvideo.training.trainer import build_training_state, train

FIRST_CALL = """
import torch
from latentvideo import determinism
from latentvideo.models import build_model
determinism.configure(2, torch.device("cpu"))
torch.manual_seed(0)
encoder = build_model("srvp", {}).encoder
x = torch.rand(30, 1, 64, 64, generator=torch.Generator().manual_seed(1))
with torch.no_grad():
    first, second = (encoder(x).code for _ in range(2))  # the first ends in the process's first 2-thread tanh
print(int(torch.equal(first, second)))
"""


def test_the_first_vector_math_call_of_a_process_gives_the_same_bits_as_later_ones():
    """Without the serial warm-up, 3 of 20 processes encoded the same frames differently on their first pass
    (MKL's lazy dispatch in the encoder's final tanh); twelve processes catch a regression with p ~ 0.86."""
    for _ in range(12):
        out = subprocess.run([sys.executable, "-c", FIRST_CALL], capture_output=True, text=True, check=True)
        assert out.stdout.split() == ["1"], out.stdout


def test_model_initialisation_does_not_depend_on_the_thread_count(repo):
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    settings = config.experiment_settings(cfg, "srvp-smmnist_stochastic")  # orthogonal init: LAPACK QR
    before = torch.get_num_threads()
    states = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            states.append(build_training_state(settings, 0, torch.device("cpu")).model.state_dict())
    finally:
        torch.set_num_threads(before)
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert torch.get_num_threads() == before


def test_thread_independent_restores_the_thread_count_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), determinism.thread_independent():
        assert torch.get_num_threads() == 1
        raise RuntimeError
    assert torch.get_num_threads() == before


TRAIN_AND_DIGEST = """
import hashlib, sys, json, torch
from latentvideo.training.trainer import train
from latentvideo.training import checkpoint
settings = json.loads(sys.argv[1])
path = train(settings, 0, sys.argv[2], sys.argv[3], device="cpu", threads=2, progress="off")
h = hashlib.sha256()
for k, v in sorted(checkpoint.load(path)["model"].items()):
    h.update(k.encode()); h.update(v.numpy().tobytes())
print(h.hexdigest())
"""


def _small_settings(repo, experiment):
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    s = config.experiment_settings(cfg, experiment)
    s["hyperparameters"]["nf"] = 16
    s["dataset"]["train_length"] = 6
    # batch 4 x 6 frames: the encoder's final tanh has 3,072 elements, enough to be split over two threads
    s["training"].update({"steps": 3, "batch_size": 4, "lr_decay_steps": 1, "checkpoint_every": 2,
                          "log_every": 1, "val_every": 3})
    return s


def test_training_at_two_threads_gives_identical_weights_in_separate_processes(tmp_path, digits, repo):
    import json

    settings = _small_settings(repo, "srvp-smmnist_stochastic")
    digests = set()
    for i in range(3):
        out = subprocess.run([sys.executable, "-c", TRAIN_AND_DIGEST, json.dumps(settings), str(digits),
                              str(tmp_path / f"run{i}")], capture_output=True, text=True, check=True)
        digests.add(out.stdout.split()[-1])
    assert len(digests) == 1


@pytest.mark.parametrize("experiment", ["srvp-smmnist_stochastic", "svg_lp-smmnist_stochastic",
                                        "whitney_factored-color_mnist"])
def test_evaluation_does_not_depend_on_the_thread_count(tmp_path, digits, repo, experiment):
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    settings = _small_settings(repo, experiment)
    settings["dataset"]["train_length"] = cfg["datasets"][settings["dataset_name"]].get("train_length", 6)
    ckpt = train(settings, 0, digits, tmp_path / "run", device="cpu", progress="off")
    testset = tmp_path / "test"
    build_test_set(settings["dataset_name"], cfg["datasets"][settings["dataset_name"]], digits, 4, testset)
    job = config.evaluation_job(cfg, experiment, "standard")
    job["evaluation"] = {"test_videos": 4, "samples": 2, "batch_size": 4, "saved_videos": 1}
    job["protocol"].update({"mi_max_pairs": 30, "mi_partitions": 2} if "mi_max_pairs" in job["protocol"] else {})
    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            evaluate_model(ckpt, experiment, testset, job, tmp_path / f"eval{threads}", device="cpu",
                           threads=threads)
    finally:
        torch.set_num_threads(before)
    a, b = (pd.read_csv(tmp_path / f"eval{t}" / "metrics.csv") for t in (1, 2))
    pd.testing.assert_frame_equal(a, b)
    assert checkpoint.load(ckpt)["step"] == 3
