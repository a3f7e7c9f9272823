"""Training and sampling speed of SRVP, SVG and the Whitney & Fergus factored VAE at paper-budget settings.

Prints, per model: training ms/step and training sequences/s at the paper budget's batch size (SRVP 128,
SVG 100: 15-frame SM-MNIST sequences of 64x64x1; factored VAE 64 (our choice, the paper states none):
10-frame two-colour moving MNIST sequences of 64x64x3, two factors of 50), sampling throughput
(predicted frames/s, 5 conditioning -> 20 predicted), and peak memory (CUDA: max allocated; CPU: the
process's peak RSS).

    python benchmarks/bench_training.py                 # CPU here, CUDA when visible
    python benchmarks/bench_training.py --batch 16      # a quicker look at a smaller batch
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch

from latentvideo.models import build_model

# model: (paper-budget batch, training sequence length, channels)
PAPER_SETTINGS = {"srvp": (128, 15, 1), "svg_lp": (100, 15, 1), "factored_vae": (64, 10, 3)}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def median_step_seconds(model: torch.nn.Module, x: torch.Tensor, steps: int, warmup: int,
                        device: torch.device) -> float:
    """Median wall time of one training step (loss, backward, Adam) on ``x: (T, B, C, H, W)`` after ``warmup``."""
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    times = []
    for i in range(warmup + steps):
        sync(device)
        t0 = time.perf_counter()
        loss = model.loss(x)
        opt.zero_grad(set_to_none=True)
        loss.total.backward()
        opt.step()
        sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def bench(name: str, batch: int, steps: int, warmup: int, device: torch.device) -> dict:
    _, seq_len, channels = PAPER_SETTINGS[name]
    torch.manual_seed(0)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    model = build_model(name, {}).to(device)
    step_s = median_step_seconds(model, torch.rand(seq_len, batch, channels, 64, 64, device=device), steps, warmup,
                                 device)
    model.eval()
    n_videos, n_samples, n_future = min(batch, 32), 4, 20
    cond = torch.rand(5, n_videos, channels, 64, 64, device=device)
    model.sample(cond, n_future, 1)
    sync(device)
    t0 = time.perf_counter()
    model.sample(cond, n_future, n_samples)
    sync(device)
    sample_s = time.perf_counter() - t0
    return {"model": name, "device": str(device), "batch": batch, "seq_len": seq_len, "timed_steps": steps,
            "train_ms_per_step": round(step_s * 1000, 1), "train_sequences_per_s": round(batch / step_s, 2),
            "sample_frames_per_s": round(n_videos * n_samples * n_future / sample_s, 1),
            "peak_memory_mb": round(peak_memory_mb(device), 1), "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(PAPER_SETTINGS))
    parser.add_argument("--batch", type=int, default=None, help="override the paper batch size")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: 3 on CPU, 20 on CUDA)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", action="store_true", help="print one JSON object per model")
    args = parser.parse_args()
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    steps = args.steps or (20 if device.type == "cuda" else 3)
    warmup = 3 if device.type == "cuda" else 1
    print(f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else f", {torch.get_num_threads()} threads"),
          file=sys.stderr)
    if len(args.models) > 1:  # one process per model, so the CPU peak-RSS figure is that model's own
        for name in args.models:
            cmd = [sys.executable, __file__, "--models", name, "--device", str(device), "--steps", str(steps)]
            cmd += (["--batch", str(args.batch)] if args.batch else []) + (["--json"] if args.json else [])
            subprocess.run(cmd, check=True)
        return
    for name in args.models:
        result = bench(name, args.batch or PAPER_SETTINGS[name][0], steps, warmup, device)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{name:12s} batch {result['batch']:4d}: {result['train_ms_per_step']:9.1f} ms/step, "
                  f"{result['train_sequences_per_s']:7.2f} train sequences/s, "
                  f"{result['sample_frames_per_s']:8.1f} sampled frames/s, peak memory {result['peak_memory_mb']:.0f} MB")


if __name__ == "__main__":
    main()
