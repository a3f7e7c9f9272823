"""Our SRVP training step against the official implementation's (edouardelasalles/srvp), interleaved in one process.

The official code is not a dependency: point ``--official`` at a checkout of the repository (the folder that
holds ``module/srvp.py``; it needs only torch and numpy). Both models are built with the SM-MNIST settings
(nf 64, |x~| 128, |y| = |z| = 20, k 5, 256-wide inference, 512-wide 4-layer residual MLP, no skips), the
official weights are copied into ours (a check of the architecture: same parameter count, same shapes in the
same order), and then each step (forward, the paper's loss, backward, Adam) is timed alternately, ours then
theirs, on the same batch, so both see the same machine state. Also printed: each side's loss on the same
weights, batch and random numbers, which must agree.

    python benchmarks/bench_srvp_vs_official.py --official /path/to/srvp --threads 2 --batch 16 --steps 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
import torch.distributions as distrib


def official_model(path: str):
    sys.path.insert(0, path)
    from module import utils
    from module.srvp import StochasticLatentResidualVideoPredictor

    model = StochasticLatentResidualVideoPredictor(64, 1, 64, 128, 20, 20, False, 5, 256, 3, 512, 4, "dcgan")
    model.init(res_gain=1.41)

    def loss(x: torch.Tensor) -> torch.Tensor:  # train.py:train, MMNIST defaults (obs_scale 1, beta_z 2)
        x_, y, z, _, q_y_0_params, q_z_params, p_z_params, res = model(x, x.shape[0], dt=1.0)
        nll = utils.neg_logprob(x_, x, scale=1.0).sum()
        kl_y = distrib.kl_divergence(utils.make_normal_from_raw_params(q_y_0_params), distrib.Normal(0, 1)).sum()
        kl_z = distrib.kl_divergence(utils.make_normal_from_raw_params(q_z_params),
                                     utils.make_normal_from_raw_params(p_z_params)).sum()
        return (nll + kl_y + 2.0 * kl_z + torch.norm(res, p=2, dim=2).sum()) / x.shape[1]

    return model, loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--official", required=True, help="checkout of edouardelasalles/srvp")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--frames", type=int, default=15)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()

    from latentvideo import determinism
    from latentvideo.models import build_model

    determinism.configure(args.threads, torch.device("cpu"))
    theirs, their_loss = official_model(args.official)
    ours = build_model("srvp", {})
    mine, official = list(ours.state_dict().items()), list(theirs.state_dict().items())
    n_ours = sum(p.numel() for p in ours.parameters())
    n_theirs = sum(p.numel() for p in theirs.parameters())
    print(f"parameters: ours {n_ours:,}, official {n_theirs:,}")
    if [tuple(v.shape) for _, v in mine] != [tuple(v.shape) for _, v in official]:
        sys.exit("state dicts differ in shapes or order: cannot copy the official weights")
    ours.load_state_dict({k: v.clone() for (k, _), (_, v) in zip(mine, official)})

    x = torch.rand(args.frames, args.batch, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    opts = {"ours": torch.optim.Adam(ours.parameters(), 3e-4), "official": torch.optim.Adam(theirs.parameters(), 3e-4)}
    steps = {"ours": lambda: ours.loss(x).total, "official": lambda: their_loss(x)}
    ours.train()
    theirs.train()
    with torch.no_grad():
        same = {}
        for name, fn in steps.items():
            torch.manual_seed(5)
            same[name] = float(fn())
    print(f"loss on the same weights, batch and seed: ours {same['ours']:.4f}, official {same['official']:.4f}")
    times: dict[str, list[float]] = {"ours": [], "official": []}
    for i in range(args.steps + 3):
        for name in ("ours", "official") if i % 2 == 0 else ("official", "ours"):
            start = time.perf_counter()
            opts[name].zero_grad(set_to_none=True)
            steps[name]().backward()
            opts[name].step()
            if i >= 3:  # warm-up
                times[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(f"training step, median of {args.steps} interleaved (batch {args.batch}, {args.frames} frames, "
          f"{args.threads} threads): ours {med['ours']:.1f} ms, official {med['official']:.1f} ms "
          f"({100 * (med['ours'] / med['official'] - 1):+.1f}%)")


if __name__ == "__main__":
    main()
