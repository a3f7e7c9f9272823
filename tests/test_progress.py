"""Progress reporting: a line at a fixed interval off a terminal, a closing summary, s/step and ETA."""

from __future__ import annotations

import io
import re

import pytest

from latentvideo.progress import Progress

from test_training import settings_for


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_off_a_terminal_one_line_per_interval_with_rate_and_eta():
    clock, out = Clock(), io.StringIO()
    bar = Progress("train x", 100, every=30.0, stream=out, clock=clock)
    assert bar.mode == "lines"  # a StringIO is no terminal
    for step in range(1, 101):
        clock.now += 1.0  # 1 s per step
        bar.update(step, {"total": 0.5, "nll": 0.25})
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines  # at 30, 60 and 90 s
    assert lines[0] == ("[latentvideo] train x: step 30/100 (30%) | total 0.5, nll 0.25 | 1.000 s/step | "
                        "elapsed 0:00:30 | ETA 0:01:10")
    summary = bar.close("final training loss: total 0.5")
    assert summary == "[latentvideo] train x: done, 100/100 steps in 0:01:40 (1.000 s/step); final training loss: total 0.5"
    assert out.getvalue().splitlines()[-1] == summary


def test_a_resumed_run_times_only_its_own_steps():
    clock, out = Clock(), io.StringIO()
    bar = Progress("train x", 100, initial=60, every=10.0, stream=out, clock=clock)
    for step in range(61, 81):
        clock.now += 2.0
        bar.update(step)
    assert "step 65/100 (65%) | 2.000 s/step | elapsed 0:00:10 | ETA 0:01:10" in out.getvalue()
    assert "(20 in this run, resumed at 60)" in bar.close()


def test_off_prints_nothing_and_unknown_modes_are_refused():
    out = io.StringIO()
    bar = Progress("x", 3, mode="off", every=0.0, stream=out)
    bar.update(3, {"total": 1.0})
    bar.close()
    assert out.getvalue() == ""
    with pytest.raises(ValueError, match="known"):
        Progress("x", 3, mode="silent")


def test_training_off_a_terminal_prints_progress_lines_and_a_closing_summary(tmp_path, digits, repo, capsys):
    from latentvideo.training.trainer import train

    settings = settings_for(repo, "srvp-smmnist_stochastic", steps=4, val_every=2)
    train(settings, 0, digits, tmp_path, device="cpu", progress="lines", progress_every=0.0)
    err = capsys.readouterr().err
    steps = re.findall(r"train srvp-smmnist_stochastic seed 0: step (\d)/4 \(\d+%\) \| total [-+\d.e]+, nll .*"
                       r" s/step \| elapsed .* \| ETA ", err)
    assert steps == ["1", "2", "3", "4"], err
    assert re.search(r"seed 0: done, 4/4 steps in .*; final training loss: total .*; validation: val_total ", err)
