"""Errors are messages: every CLI failure exits non-zero with a line or two naming the file or key and what to
do; no traceback unless --debug (or LATENTVIDEO_DEBUG=1) asks for it."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import tool_env


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "latentvideo.cli", *args], capture_output=True, text=True,
                          env={**tool_env(), **(env or {})}, cwd=cwd, timeout=300)


def assert_message(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


@pytest.fixture
def small_config(tmp_path, repo):
    cfg = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    cfg["models"]["srvp"]["hyperparameters"]["nf"] = 8
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def train_args(cfg: Path, data: Path, out: Path) -> list[str]:
    return ["train", "--config", str(cfg), "--budget", "smoke", "--experiment", "srvp-smmnist_stochastic",
            "--seed", "0", "--data", str(data), "--threads", "1", "--progress", "off", "--out", str(out)]


def test_a_bad_config_is_one_message_and_debug_shows_the_traceback(tmp_path, repo):
    text = (repo / "config" / "config.yaml").read_text().replace("nz: 20", "nz: -3", 1)
    (tmp_path / "c.yaml").write_text(text)
    proc = cli("validate-config", "--config", str(tmp_path / "c.yaml"))
    assert_message(proc, "models.srvp.hyperparameters.nz: -3 is less than the minimum of 1", "config.schema.yaml")
    debug = cli("--debug", "validate-config", "--config", str(tmp_path / "c.yaml"))
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    env = cli("validate-config", "--config", str(tmp_path / "c.yaml"), env={"LATENTVIDEO_DEBUG": "1"})
    assert "Traceback" in env.stderr


def test_a_missing_config_file_and_unknown_experiment_are_messages(tmp_path, small_config, digits):
    assert_message(cli("validate-config", "--config", str(tmp_path / "nope.yaml")), "nope.yaml: cannot be read")
    args = train_args(small_config, digits, tmp_path / "run")
    args[args.index("srvp-smmnist_stochastic")] = "srvp-ucf101"
    assert_message(cli(*args), "unknown experiment 'srvp-ucf101'")


def test_a_corrupt_checkpoint_given_to_evaluate_is_named(tmp_path, small_config):
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    proc = cli("evaluate", "--config", str(small_config), "--budget", "smoke", "--checkpoint", str(bad),
               "--experiment", "srvp-smmnist_stochastic", "--testset", str(tmp_path), "--out", str(tmp_path / "e"))
    assert_message(proc, f"{bad}: not a readable checkpoint")


HOLD = """
import sys, time
from latentvideo import folder_lock
with folder_lock.exclusive(sys.argv[1], "training srvp-smmnist_stochastic seed 0"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_training_process_on_the_same_run_fails_at_once_naming_the_first(tmp_path, small_config, digits):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "run")], stdout=subprocess.PIPE, text=True,
                              env=tool_env())
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.time()
        proc = cli(*train_args(small_config, digits, tmp_path / "run"))
        assert time.time() - start < 60
        assert_message(proc, f"{tmp_path / 'run'} is being written by another process", f"pid {holder.pid}")
    finally:
        holder.kill()
        holder.wait()
    assert cli(*train_args(small_config, digits, tmp_path / "run")).returncode == 0  # the holder is gone


@contextlib.contextmanager
def tmpfs(path: Path, options: str):
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_disk_full_is_said_in_words_and_leaves_no_temporary(tmp_path, small_config, digits):
    with tmpfs(tmp_path / "full", "size=600k") as out:
        proc = cli(*train_args(small_config, digits, out / "run"))
        assert_message(proc, "no space left on the device while writing", str(out / "run"))
        assert not [p for p in out.rglob("*.tmp")]


def test_a_read_only_output_folder_is_said_in_words(tmp_path, small_config, digits):
    with tmpfs(tmp_path / "ro", "size=1m,ro") as out:
        proc = cli(*train_args(small_config, digits, out / "run"))
        assert_message(proc, "read-only file system")


def test_version_names_the_package_and_the_commit(repo, capsys):
    import latentvideo
    from latentvideo.cli import main
    from latentvideo.provenance import code_version

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"latentvideo {latentvideo.__version__} (code {code_version()})\n"


def test_every_option_of_every_command_says_what_it_is():
    import argparse

    from latentvideo.cli import build_parser

    silent = []

    def walk(parser, name):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, sub_name)
            elif not action.help:
                silent.append(f"{name} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "latentvideo")
    assert not silent, silent
