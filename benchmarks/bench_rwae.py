"""Step cost of R-WAE(MMD), R-WAE(GAN) and DS-VAE (their own optimisation steps) and of a judge, at a laptop
scale and at the paper's widths, for sizing the budgets.

Prints, per model and setting: median seconds per training step (``training_step``: every optimiser the model
owns; R-WAE's step with L = 1 updates critic, encoder and generator, with L = 5 four steps in five update only
critic and encoder) and videos per second, on Moving Shapes batches (8 frames, RGB).

    python benchmarks/bench_rwae.py                       # 32x32, narrow widths, batch 16, one thread
    python benchmarks/bench_rwae.py --paper --batch 64    # 64x64 at the paper's widths (Fig. 9)
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from latentvideo.data.moving_shapes import MovingShapesSpec, split_seeds
from latentvideo.data.training_stream import to_float_video
from latentvideo.models import build_model
from latentvideo.models.judge import JudgeConfig, VideoJudge
from latentvideo.models.optimisation import OptimiserSettings

NARROW = {"conv_width": 32, "frame_dim": 64, "hidden": 64, "content_dim": 32, "motion_dim": 8}


def videos(frame_size: int, batch: int, length: int = 8) -> torch.Tensor:
    """A Moving Shapes batch ``(T, B, 3, H, W)`` in [0, 1]."""
    spec = MovingShapesSpec.from_config({"frame_size": frame_size})
    clips, _ = spec.videos(split_seeds(0, 0, torch.arange(batch).numpy()), length)
    return to_float_video(torch.from_numpy(clips))


def median_seconds(step, steps: int, warmup: int) -> float:
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def model_step(name: str, hyper: dict, x: torch.Tensor):
    torch.manual_seed(0)
    model = build_model(name, hyper)
    optimisation = model.configure_optimisation(OptimiserSettings(1e-3, (0.5, 0.9), 10_000, 0))
    return lambda: model.training_step(x, optimisation)


def judge_step(x: torch.Tensor, width: int, features: int):
    torch.manual_seed(0)
    judge = VideoJudge(JudgeConfig(channels=3, frame_size=x.shape[-1], classes={"shape": 3, "size": 2, "colour": 4,
                                                                                 "motion": 3, "direction": 4},
                                   width=width, features=features))
    opt = torch.optim.Adam(judge.parameters(), lr=1e-3)
    labels = torch.zeros(x.shape[1], dtype=torch.long)

    def step():
        logits = judge(x).logits
        loss = sum(torch.nn.functional.cross_entropy(v, labels) for v in logits.values())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", action="store_true", help="64x64 frames at the paper's widths")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    size = 64 if args.paper else 32
    widths = {} if args.paper else NARROW
    x = videos(size, args.batch)
    cases = {
        "rwae_mmd (L=1)": model_step("rwae_mmd", {**widths, "channels": 3, "frame_size": size, "inner_steps": 1}, x),
        "rwae_mmd (L=5)": model_step("rwae_mmd", {**widths, "channels": 3, "frame_size": size, "inner_steps": 5}, x),
        "rwae_gan (L=1)": model_step("rwae_gan", {**widths, "channels": 3, "frame_size": size, "inner_steps": 1}, x),
        "dsvae": model_step("dsvae", {**widths, "channels": 3, "frame_size": size}, x),
        "judge": judge_step(x, 64 if args.paper else 32, 128 if args.paper else 64),
    }
    for name, step in cases.items():
        seconds = median_seconds(step, args.steps, args.warmup)
        print(json.dumps({"case": name, "frame_size": size, "batch": args.batch, "threads": args.threads,
                          "s_per_step": round(seconds, 4), "videos_per_s": round(args.batch / seconds, 1)}))


if __name__ == "__main__":
    main()
