"""Training cost of PROVIDE, the base 2D-LSTM, IODINE and SEQ-IODINE: ms per training step and peak memory.

At the paper's sizes (64x64 RGB, z_dim 64, widths 64, 128 hidden units; Bouncing Balls: K 5, R 6, clips of 4
frames, batch 32, as the official README's command lines) unless told otherwise. Each measurement runs in
its own process: the median of ``--steps`` training steps after one warm-up step, on random frames. Peak
memory is the process's peak resident set (CPU) or ``torch.cuda.max_memory_allocated`` (GPU).

    python benchmarks/bench_provide.py                        # paper sizes, batch 32: needs a GPU (or hours)
    python benchmarks/bench_provide.py --device cpu --batch 2 --steps 2   # what a CPU can show in minutes

The graph of every refinement is kept for the backward pass, so memory grows with batch x K x the number of
iterations (PROVIDE: 6 + 5 + 4 + 3 = 18 for 4 frames; the base grid and IODINE: 24).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

MEASURE = r"""
import json, resource, sys, time, torch
from latentvideo.models.optimisation import OptimiserSettings
from latentvideo.models.registry import build_model
name, device, batch, frames, steps, size, threads = sys.argv[1:8]
torch.set_num_threads(int(threads))
device = torch.device(device)
extra = {} if name == "seq_iodine" else {"refinements": 6}
model = build_model(name, {"frame_size": int(size), "slots": 5, **extra}).to(device)
optimisation = model.configure_optimisation(OptimiserSettings(3e-4, (0.9, 0.999), 100, 0))
x = torch.rand(int(frames), int(batch), 3, int(size), int(size), device=device)
times = []
for i in range(1 + int(steps)):
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.training_step(x, optimisation)
    if device.type == "cuda":
        torch.cuda.synchronize()
    if i >= 1:
        times.append(time.perf_counter() - t0)
peak = (torch.cuda.max_memory_allocated() if device.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
print(json.dumps({"ms": 1000 * sorted(times)[len(times) // 2], "peak_gb": peak / 2**30,
                  "parameters": sum(p.numel() for p in model.parameters())}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=["provide", "provide_base", "iodine", "seq_iodine"])
    args = parser.parse_args()
    print(f"device {args.device}, batch {args.batch}, {args.frames} frames of {args.size}x{args.size}x3, K 5, "
          f"R 6, median of {args.steps} steps")
    print(f"{'model':14s} {'parameters':>11s} {'ms / step':>10s} {'peak memory':>12s}")
    for name in args.models:
        out = subprocess.run([sys.executable, "-c", MEASURE, name, args.device, str(args.batch), str(args.frames),
                              str(args.steps), str(args.size), str(args.threads)],
                             capture_output=True, text=True)
        if out.returncode:
            print(f"{name:14s} failed: {out.stderr.strip().splitlines()[-1]}")
            continue
        result = json.loads(out.stdout)
        print(f"{name:14s} {result['parameters']:>11,} {result['ms']:>10,.0f} {result['peak_gb']:>9.2f} GB")


if __name__ == "__main__":
    main()
