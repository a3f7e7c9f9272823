"""Why the default budget gives each train job one thread: step times of its four trainings at its own
settings (config/config.yaml, budget default), on one thread, on two, and on one while a second process
trains the same model beside it (what two one-thread jobs on two cores see).

    python benchmarks/bench_default_threads.py            # about 2 minutes on 2 CPU cores

Each measurement is its own process: the median of ``--steps`` training steps after 3 warm-up steps, on a
random batch of the experiment's training shape. Two jobs side by side beat one job on two threads when
the side-by-side step costs less than twice the two-thread step.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

MEASURE = r"""
import json, sys, time, torch
from latentvideo import config
from latentvideo.training.trainer import build_training_state
experiment, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
settings = config.experiment_settings(config.load("config/config.yaml", "default"), experiment)
torch.set_num_threads(threads)
state = build_training_state(settings, 0, torch.device("cpu"))
data, train = settings["dataset"], settings["training"]
channels = settings["hyperparameters"].get("channels", 1)
size = data.get("frame_size", 64)
x = torch.rand(data["train_length"], train["batch_size"], channels, size, size)
times = []
for i in range(3 + steps):
    t0 = time.perf_counter()
    state.model.training_step(x, state.optimisation)
    if i >= 3:
        times.append(time.perf_counter() - t0)
print(json.dumps(sorted(times)[len(times) // 2]))
"""


def run(experiment: str, threads: int, steps: int, copies: int = 1) -> float:
    procs = [subprocess.Popen([sys.executable, "-c", MEASURE, experiment, str(threads), str(steps)],
                              stdout=subprocess.PIPE, text=True) for _ in range(copies)]
    return max(json.loads(p.communicate()[0]) for p in procs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=15)
    args = parser.parse_args()
    from latentvideo import config

    experiments = config.load("config/config.yaml", "default")["budgets"]["default"]["experiments"]
    print(f"{'experiment':34s} {'1 thread':>9s} {'2 threads':>10s} {'1 thread, 2 jobs':>17s}   "
          "two jobs vs one on two threads")
    start = time.time()
    for experiment in experiments:
        one, two, pair = (run(experiment, 1, args.steps), run(experiment, 2, args.steps),
                          run(experiment, 1, args.steps, copies=2))
        print(f"{experiment:34s} {one:8.3f}s {two:9.3f}s {pair:16.3f}s   {2 * two / pair:.2f}x the throughput")
    print(f"({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
