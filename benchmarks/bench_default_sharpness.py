"""Why the default run's SRVP samples are blobs: its frame coders can draw digits, its latent path has not learnt to.

Two numbers on the same test frames (reconstruction PSNR, dB, over the first ``train_length`` frames of the
test videos):

1. a trained SRVP checkpoint (e.g. the default run's) reconstructing test videos from its posterior (w from
   the frames, y_1 and z inferred, eval mode): what its decoder renders from (w, y);
2. a per-frame autoencoder made of the encoder and decoder of a freshly built SRVP of the same settings
   (same modules, widths, frame size and initialisation; SRVP's learning rate and Adam betas; batches of
   ``batch_size`` x ``train_length`` frames from the same training stream), the decoder fed the frame's own
   code followed by zeros where SRVP puts the rest of (w, y), trained ``--steps`` steps.

If (2) reaches sharp digits in a fraction of (1)'s steps, the blur is SRVP's binding of content w to the
positions in y, which takes far more steps than a laptop budget, not the coders' width.

    python benchmarks/bench_default_sharpness.py \
        --checkpoint results/runs/srvp-smmnist_deterministic/seed0/model.pt   # after `make all`
"""

from __future__ import annotations

import argparse
import time

import torch

from latentvideo import config
from latentvideo.data.shards import StoredSplit
from latentvideo.data.dataset_kinds import open_training_data
from latentvideo.data.training_stream import to_float_video
from latentvideo.models import build_model
from latentvideo.training.trainer import Trained, load_trained, optimiser_settings


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR in dB of two float tensors in [0, 1] (over all their elements)."""
    return float(10 * torch.log10(1 / ((a - b) ** 2).mean()))


def test_frames(testset: str, videos: int, length: int) -> torch.Tensor:
    """The first ``length`` frames of the first ``videos`` test videos: (T, B, C, H, W) float in [0, 1]."""
    return to_float_video(torch.from_numpy(StoredSplit(testset, verify=True).read(videos)[:, :length]))


def srvp_reconstruction(trained: Trained, x: torch.Tensor) -> torch.Tensor:
    """A trained SRVP's reconstruction of ``x (T, B, C, H, W)`` from its posterior, eval mode; same shape."""
    with torch.no_grad():
        return trained.model(x).recon


def autoencoder_curve(settings: dict, data: str, steps: int, x: torch.Tensor
                      ) -> tuple[list[tuple[int, float, float]], torch.Tensor]:
    """(step, test reconstruction PSNR, seconds) at every quarter of ``steps``, and the final reconstruction
    of ``x`` (same shape)."""
    torch.manual_seed(0)
    srvp = build_model(settings["model"], settings["hyperparameters"])
    enc, dec = srvp.encoder, srvp.decoder
    opt_settings = optimiser_settings(settings)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=opt_settings.lr, betas=opt_settings.betas)
    stream = open_training_data(settings["dataset"], data, settings["training"]["batch_size"], 0, steps, 1).steps(0)
    # the decoder's input is (w, y); here the frame's own code and zeros for the rest
    pad = torch.zeros(1, dec.first[0].in_channels - enc.out_dim)

    def reconstruct(frames: torch.Tensor) -> torch.Tensor:
        code = enc(frames).code
        return dec(torch.cat([code, pad.expand(len(code), -1)], 1))

    curve, t0 = [], time.time()
    for step in range(1, steps + 1):
        frames = to_float_video(stream[step - 1]).flatten(0, 1)
        loss = ((reconstruct(frames) - frames) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % max(1, steps // 4) == 0 or step == steps:
            enc.eval(), dec.eval()
            with torch.no_grad():
                final = reconstruct(x.flatten(0, 1)).view_as(x)
                curve.append((step, psnr(final, x), time.time() - t0))
            enc.train(), dec.train()
    return curve, final


def save_strip(path: str, rows: dict[str, torch.Tensor], video: int = 0, frames: int = 10) -> None:
    """One row per reconstruction ``(T, B, 1, H, W)``: the first ``frames`` frames of ``video``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), frames, figsize=(frames * 0.9, len(rows) * 1.0), squeeze=False)
    for r, (label, video_frames) in enumerate(rows.items()):
        axes[r, 0].set_title(label, loc="left", fontsize=8)
        for t in range(frames):
            axes[r, t].imshow(video_frames[t, video, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            axes[r, t].axis("off")
    fig.savefig(path, dpi=100, bbox_inches="tight")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--budget", default="default")
    p.add_argument("--experiment", default="srvp-smmnist_deterministic")
    p.add_argument("--data", default="data/processed/digits")
    p.add_argument("--testset", default="data/processed/smmnist_deterministic/test")
    p.add_argument("--checkpoint", default=None, help="a trained SRVP (default: only the autoencoder is measured)")
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--videos", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--png", default=None, help="also draw test video 0: truth, SRVP's and the autoencoder's "
                                               "reconstructions")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    settings = config.experiment_settings(config.load(args.config, args.budget), args.experiment)
    x = test_frames(args.testset, args.videos, settings["dataset"]["train_length"])
    hp = settings["hyperparameters"]
    print(f"test frames {tuple(x.shape)} from {args.testset}; {config.budget_summary(settings)}, nf {hp['nf']}, "
          f"frame size {hp['frame_size']}")
    rows = {"test frames": x}
    if args.checkpoint:
        trained = load_trained(args.checkpoint)
        label = f"SRVP ({trained.settings['training']['steps']} steps), from its posterior"
        rows[label] = srvp_reconstruction(trained, x)
        print(f"{label}: {psnr(rows[label], x):.2f} dB")
    curve, final = autoencoder_curve(settings, args.data, args.steps, x)
    for step, value, seconds in curve:
        print(f"per-frame autoencoder, same coders, {step:5d} steps: {value:.2f} dB ({seconds:.0f} s)")
    rows[f"per-frame autoencoder, same coders ({args.steps} steps)"] = final
    print("for scale: a blank frame scores "
          f"{psnr(torch.zeros_like(x), x):.2f} dB, the mean test frame {psnr(x.mean((0, 1)).expand_as(x), x):.2f} dB")
    if args.png:
        save_strip(args.png, rows)
        print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
