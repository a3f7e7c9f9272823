"""Our SVG-LP training loss against edenton/svg's ``train()`` formulation, on the same weights and noise.

The official code is not a dependency: point ``--official`` at a checkout of edenton/svg (the folder that
holds ``models/dcgan_64.py`` and ``models/lstm.py``; their ``.cuda()`` calls are redirected to the CPU here).
The official loop calls the encoder once per frame and time step, so every BatchNorm normalises one time step's
batch; ours encodes all frames in one batched call with per-step statistics (``conv_coding.per_step_batch_norm``).
Printed: parameter counts, both losses, the gradients' relative difference and the BatchNorm running statistics
after one step.

    python benchmarks/bench_svg_vs_official.py --official /path/to/svg --batch 16
"""

from __future__ import annotations

import argparse
import sys

import torch
import torch.nn.functional as F

from latentvideo.models import build_model


def official_modules(path: str, batch: int):
    torch.Tensor.cuda = lambda self, *a, **k: self  # the official LSTMs allocate their hidden state with .cuda()
    sys.path.insert(0, path)
    from models import dcgan_64, lstm

    prior = lstm.gaussian_lstm(128, 10, 256, 1, batch)
    prior.reparameterize = lambda mu, logvar: mu  # its sample is unused in training; ours draws none
    return (dcgan_64.encoder(128, 1), dcgan_64.decoder(128, 1), lstm.lstm(138, 128, 256, 2, batch),
            lstm.gaussian_lstm(128, 10, 256, 1, batch), prior)


def copy_weights(dst: torch.nn.Module, src: torch.nn.Module) -> None:
    """Same entries in the same order and shapes (a check of the architecture), copied by position."""
    pairs = list(zip(dst.state_dict().items(), src.state_dict().items(), strict=True))
    for (kd, vd), (ks, vs) in pairs:
        assert vd.shape == vs.shape, (kd, ks, vd.shape, vs.shape)
    dst.load_state_dict({kd: vs.clone() for (kd, _), (_, vs) in pairs})


def official_loss(modules, x: torch.Tensor, n_past: int = 5, beta: float = 1e-4) -> torch.Tensor:
    """``train()`` of train_svg_lp.py, step for step."""
    enc, dec, predictor, posterior, prior = modules
    for m in (predictor, posterior, prior):
        m.hidden = m.init_hidden()
    b = x.shape[1]
    mse = kld = 0
    for i in range(1, x.shape[0]):
        h = enc(x[i - 1])
        h_target = enc(x[i])[0]
        if i < n_past:
            h, skip = h
        else:
            h = h[0]
        z_t, mu, logvar = posterior(h_target)
        _, mu_p, logvar_p = prior(h)
        x_pred = dec([predictor(torch.cat([h, z_t], 1)), skip])
        mse = mse + F.mse_loss(x_pred, x[i])
        s1, s2 = logvar.mul(0.5).exp(), logvar_p.mul(0.5).exp()
        kld = kld + (torch.log(s2 / s1) + (logvar.exp() + (mu - mu_p) ** 2) / (2 * logvar_p.exp()) - 0.5).sum() / b
    return mse + beta * kld


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official", required=True)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--frames", type=int, default=15)
    args = parser.parse_args()
    torch.manual_seed(0)
    ours = build_model("svg_lp", {})
    theirs = official_modules(args.official, args.batch)
    mine = (ours.encoder, ours.decoder, ours.predictor, ours.posterior, ours.prior)
    for dst, src in zip(theirs, mine):
        copy_weights(dst, src)
    count = lambda mods: sum(p.numel() for m in mods for p in m.parameters())
    print(f"parameters: official {count(theirs):,}, ours {count(mine):,}")
    x = torch.rand(args.frames, args.batch, 1, 64, 64)
    torch.manual_seed(5)
    reference = official_loss(theirs, x)
    torch.manual_seed(5)
    loss = ours.loss(x).total
    print(f"training loss: official {reference.item():.7f}, ours {loss.item():.7f} "
          f"(relative difference {abs(reference.item() - loss.item()) / reference.item():.1e})")
    reference.backward()
    loss.backward()
    grads = lambda mods: torch.cat([p.grad.flatten() for m in mods for p in m.parameters()])
    print(f"gradients: relative difference {float((grads(theirs) - grads(mine)).norm() / grads(theirs).norm()):.1e}")
    buffers = lambda m: torch.cat([b.float().flatten() for b in m.buffers()])
    for name, a, b in (("encoder", theirs[0], ours.encoder), ("decoder", theirs[1], ours.decoder)):
        print(f"{name} BatchNorm running statistics and counts after the step: max |difference| "
              f"{float((buffers(a) - buffers(b)).abs().max()):.1e}")

if __name__ == "__main__":
    main()
