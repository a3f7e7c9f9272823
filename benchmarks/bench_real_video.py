"""Real-video models and metrics: training speed and memory of SRVP and SVG with the VGG coders, and the
throughput of best-of-N evaluation with PSNR, SSIM and LPIPS.

Training (one forward + loss + backward + Adam step on random 64x64 clips; median over the timed steps,
peak memory = CUDA max allocated or the process's peak RSS), at the official settings:

=====================  ========================================  ======  ===========
run                    model                                     clip    paper batch
=====================  ========================================  ======  ===========
srvp-kth               SRVP VGG, grey, y = z = 50, k = 3, skips  20      100
srvp-bair              SRVP VGG, RGB, k = 2, skips               12      192
svg_fp-kth             SVG-FP VGG, grey, z 24                    20      100
svg_lp-bair            SVG-LP VGG, RGB, z 64                     12      100
=====================  ========================================  ======  ===========

Evaluation: sampled frames scored per second by best-of-N (SRVP-KTH sampling 10 -> 30 frames, N samples per
video) with PSNR and SSIM, then with LPIPS added, and the same with fixed predictions instead of sampling (the
metrics' own cost); and the FVD's I3D embedding of 40-frame KTH videos (videos per second: the FVD protocol
embeds each test video once and once more per set of samples). LPIPS's and I3D's weights are random files of
the official formats made here (their cost does not depend on the values).

    python benchmarks/bench_real_video.py                       # paper batches: needs a GPU's memory
    python benchmarks/bench_real_video.py --batch 4 --steps 3   # what a CPU can hold
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

# bench_training is this folder's module (the script runs as python benchmarks/bench_real_video.py)
from bench_training import median_step_seconds, peak_memory_mb, sync
from latentvideo.models import build_model

RUNS = {
    "srvp-kth": ("srvp", dict(channels=1, ny=50, nz=50, n_inf_frames=3, skip=True, frame_coder="vgg", res_gain=1.2,
                              obs_scale=0.2), 20, 1, 100),
    "srvp-bair": ("srvp", dict(channels=3, ny=50, nz=50, n_inf_frames=2, skip=True, frame_coder="vgg",
                               obs_scale=0.71), 12, 3, 192),
    "svg_fp-kth": ("svg_fp", dict(channels=1, z_dim=24, frame_coder="vgg", n_past=10, beta=1e-6), 20, 1, 100),
    "svg_lp-bair": ("svg_lp", dict(channels=3, z_dim=64, frame_coder="vgg", n_past=2), 12, 3, 100),
}


def bench_training(run: str, batch: int | None, steps: int, device: torch.device) -> dict:
    name, hyper, length, channels, paper_batch = RUNS[run]
    batch = batch or paper_batch
    torch.manual_seed(0)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    model = build_model(name, hyper).to(device)
    step = median_step_seconds(model, torch.rand(length, batch, channels, 64, 64, device=device), steps, 1, device)
    return {"run": run, "batch": batch, "paper_batch": paper_batch, "frames": length,
            "ms_per_step": round(1000 * step, 1), "sequences_per_s": round(batch / step, 2),
            "peak_memory_mb": round(peak_memory_mb(device), 1), "threads": torch.get_num_threads(),
            "parameters": sum(p.numel() for p in model.parameters()), "device": str(device)}


def bench_evaluation(videos: int, samples: int, device: torch.device) -> dict:
    from latentvideo.evaluation.best_of_n import best_of_n, frame_metrics, lpips_metric
    from latentvideo.metrics.lpips import CHANNELS, LPIPS, alexnet_features

    name, hyper, _, _, _ = RUNS["srvp-kth"]
    torch.manual_seed(0)
    model = build_model(name, hyper).to(device).eval()
    with tempfile.TemporaryDirectory() as tmp:
        torch.save({f"features.{k}": v for k, v in alexnet_features().state_dict().items()}, Path(tmp) / "a.pth")
        torch.save({f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1) for k, c in enumerate(CHANNELS)},
                   Path(tmp) / "l.pth")
        lpips = LPIPS.from_files(Path(tmp) / "a.pth", Path(tmp) / "l.pth").to(device)
    video = torch.rand(40, videos, 1, 64, 64, device=device)
    cond, target = video[:10], video[10:]
    out = {"videos": videos, "samples": samples, "predicted_frames": 30, "device": str(device)}
    fixed = torch.rand(samples, 30, videos, 1, 64, 64, device=device)
    samplers = {"srvp_sampling": model.sample, "scoring_only": lambda c, n, k: fixed[:k]}  # the metrics' own cost
    for sampler_name, sampler in samplers.items():
        for label, metrics in (("psnr_ssim", frame_metrics()),
                               ("psnr_ssim_lpips", {**frame_metrics(), "lpips": lpips_metric(lpips)})):
            with torch.no_grad():
                best_of_n(sampler, cond, target, 1, metrics)  # warm-up
            sync(device)
            t0 = time.perf_counter()
            with torch.no_grad():
                best_of_n(sampler, cond, target, samples, metrics)
            sync(device)
            seconds = time.perf_counter() - t0
            out[f"{sampler_name}_{label}_frames_per_s"] = round(videos * samples * 30 / seconds, 1)
    from latentvideo.metrics.fvd import embed
    from latentvideo.metrics.i3d import I3D

    i3d = I3D().to(device).eval()
    clips = torch.rand(videos, 40, 1, 64, 64, device=device)
    embed(i3d, [clips[:1]])  # warm-up
    sync(device)
    t0 = time.perf_counter()
    embed(i3d, [clips])
    sync(device)
    out["fvd_i3d_videos_per_s"] = round(videos / (time.perf_counter() - t0), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=None, help="training batch (default: each paper batch)")
    parser.add_argument("--steps", type=int, default=5, help="timed training steps per run")
    parser.add_argument("--runs", nargs="*", default=sorted(RUNS), choices=sorted(RUNS))
    parser.add_argument("--eval-videos", type=int, default=4)
    parser.add_argument("--eval-samples", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # a single measurement, in this process
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if args.one == "evaluation":
        print(json.dumps(bench_evaluation(args.eval_videos, args.eval_samples, device)), flush=True)
    elif args.one:
        print(json.dumps(bench_training(args.one, args.batch, args.steps, device)), flush=True)
    else:  # each measurement in its own process, so that peak memory is that run's
        passed = [a for a in sys.argv[1:] if a != "--runs" and a not in RUNS]
        for one in [*args.runs, "evaluation"]:
            subprocess.run([sys.executable, __file__, *passed, "--one", one], check=True)


if __name__ == "__main__":
    main()
