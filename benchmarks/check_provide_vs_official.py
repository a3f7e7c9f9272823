"""PROVIDE, the whole model, against the official ``src/model.py`` (BorealisAI/PROVIDE) on the same weights,
inputs and random draws: the training loss, every frame's final masks and means, and the gradient of the loss
with respect to every parameter.

Ours is built with the official code's behaviour where the paper differs (``prior_scale: softplus_logvar``,
the SqueezeNet features on), at the official sizes (64x64 frames, z_dim 64, widths 64, 128 hidden units)
with a small batch, K and R so that it runs in a minute on a CPU, in float64 (so that any difference is one of
the computation, not of rounding). The SqueezeNet layers get random weights
(the check is of the code, not of ImageNet). The official model's module imports visualisation packages
(visdom, moviepy) for its test-time helpers only; they are replaced by empty stand-ins here.

    python benchmarks/check_provide_vs_official.py --official /path/to/PROVIDE [--iodine /path/to/IODINE]

With ``--iodine`` (a checkout of MichaelKevinKelly/IODINE, the PyTorch IODINE the official PROVIDE code is
built on) our IODINE is checked the same way on one frame (Kelly's model decomposes images), with its loss
weights (beta as ours, KL weight 1, no entropy term) and without SqueezeNet features (Kelly's never worked:
its feature path ends in ``assert False``).
"""

from __future__ import annotations

import argparse
import sys
import types

import torch
from check_provide_blocks_vs_official import copy_by_position  # the folder of this script is on sys.path

torch.set_default_dtype(torch.float64)
BATCH, FRAMES, SLOTS, REFINEMENTS, Z = 2, 4, 3, 4, 64


def official_model(official: str, entropy: bool, features: torch.nn.Module, predict: int = 0) -> torch.nn.Module:
    sys.path.insert(0, official)
    sys.modules.setdefault("src.utils.util", types.ModuleType("src.utils.util"))
    util = sys.modules["src.utils.util"]
    util.adjusted_rand_index = util.adjusted_rand_index_without_bg = None  # test-time only
    from src.model import Model
    from src.networks.refine_net import RefineNetLSTM
    from src.networks.sbd import SBD

    opt = types.SimpleNamespace(save_path="", model_name="", predict_frames=predict, cond_prior=True,
                                use_entropy=entropy, additional_input=False, isTrain=True, no_scores=True)
    excepthook = sys.excepthook
    model = Model(opt, RefineNetLSTM(Z, 32), SBD(Z, (64, 64), out_channels=4, cond=True), REFINEMENTS, SLOTS, Z,
                  feature_extractor=features)
    sys.excepthook = excepthook  # the official constructor installs an ipdb post-mortem hook
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--official", required=True, help="checkout of BorealisAI/PROVIDE (holds src/model.py)")
    parser.add_argument("--iodine", help="checkout of MichaelKevinKelly/IODINE (holds src/iodine.py)")
    args = parser.parse_args()
    from latentvideo.models.provide import Provide, ProvideConfig

    ok = True
    for entropy in (True, False):
        cfg = ProvideConfig(slots=SLOTS, refinements=REFINEMENTS, z_dim=Z, squeezenet=True, entropy=entropy,
                            prior_scale="softplus_logvar")
        torch.manual_seed(0)
        ours = Provide(cfg)
        theirs = official_model(args.official, entropy, ours.features.features)
        theirs_params, our_params = list(theirs.parameters()), list(ours.parameters())
        copy_by_position(theirs, ours)
        x = torch.rand(FRAMES, BATCH, 3, 64, 64)
        torch.manual_seed(1)
        total, *_, mu_x, masks, _neg_kl, _z, _h, _ari, _ari_bg = theirs(x.transpose(0, 1), None)
        total = total.mean()
        total.backward()
        torch.manual_seed(1)
        out = ours.infer(x)
        out.loss.total.backward()
        loss_diff = abs(total.item() - out.loss.total.item()) / abs(total.item())
        mask_diff = (masks[:, :, :, 0].transpose(0, 1) - out.decomposition.masks).abs().max().item()
        mean_diff = (mu_x.transpose(0, 1) - out.decomposition.means).abs().max().item()
        grad_diff = max(((a.grad if a.grad is not None else torch.zeros_like(a))
                         - (b.grad if b.grad is not None else torch.zeros_like(b))).abs().max().item()
                        / max(a.grad.abs().max().item() if a.grad is not None else 0.0, 1e-12)
                        for a, b in zip(theirs_params, our_params))
        size = sum(p.numel() for p in ours.parameters())
        good = loss_diff < 1e-5 and mask_diff < 1e-4 and mean_diff < 1e-4 and grad_diff < 1e-3
        ok &= good
        print(f"entropy {str(entropy):5s} parameters {size:,} (official {sum(p.numel() for p in theirs_params):,})  "
              f"loss {total.item():.6g} vs {out.loss.total.item():.6g} (rel. {loss_diff:.1e})  "
              f"masks {mask_diff:.1e}  means {mean_diff:.1e}  gradients (rel., worst tensor) {grad_diff:.1e}  "
              f"{'ok' if good else 'DIFFERENT'}")
    ok &= check_prediction(args.official)
    if args.iodine:
        ok &= check_iodine(args.iodine)
    raise SystemExit(0 if ok else 1)


def check_prediction(official: str, predict: int = 2) -> bool:
    """Simulated frames after the observed ones (the official ``--predict_frames``): masks and means."""
    from latentvideo.models.provide import Provide, ProvideConfig

    cfg = ProvideConfig(slots=SLOTS, refinements=REFINEMENTS, z_dim=Z, squeezenet=True,
                        prior_scale="softplus_logvar")
    torch.manual_seed(0)
    ours = Provide(cfg)
    theirs = official_model(official, True, ours.features.features, predict)
    copy_by_position(theirs, ours)
    x = torch.rand(FRAMES + predict, BATCH, 3, 64, 64)
    torch.manual_seed(1)
    *_, mu_x, masks, _neg_kl, _z, _h, _ari, _ari_bg = theirs(x.transpose(0, 1), None)
    torch.manual_seed(1)
    mine = ours.predict(x[:FRAMES], predict)
    mask_diff = (masks[:, :, :, 0].transpose(0, 1) - mine.masks).abs().max().item()
    mean_diff = (mu_x.transpose(0, 1) - mine.means).abs().max().item()
    good = mask_diff < 1e-4 and mean_diff < 1e-4 and mine.masks.shape[0] == FRAMES + predict
    print(f"prediction of {predict} frames after {FRAMES}: masks {mask_diff:.1e}  means {mean_diff:.1e}  "
          f"{'ok' if good else 'DIFFERENT'}")
    return good



def check_iodine(kelly: str) -> bool:
    """Our IODINE against Kelly's on one frame: loss, masks, means and gradients."""
    import importlib.util

    from latentvideo.models.iodine import Iodine, IodineConfig

    def load(name: str, path: str) -> types.ModuleType:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    their_iodine = load("kelly_iodine", f"{kelly}/src/iodine.py")
    their_refine = load("kelly_refine_net", f"{kelly}/src/networks/refine_net.py")
    their_sbd = load("kelly_sbd", f"{kelly}/src/networks/sbd.py")
    torch.manual_seed(0)
    ours = Iodine(IodineConfig(slots=SLOTS, refinements=REFINEMENTS, z_dim=Z, psi=1.0))
    excepthook = sys.excepthook
    theirs = their_iodine.IODINE(their_refine.RefineNetLSTM(Z, 16), their_sbd.SBD(Z, (64, 64), out_channels=4),
                                 REFINEMENTS, SLOTS, Z, beta=100.0)
    sys.excepthook = excepthook
    their_params, our_params = list(theirs.parameters()), list(ours.parameters())
    copy_by_position(theirs, ours)
    x = torch.rand(1, BATCH, 3, 64, 64)
    torch.manual_seed(1)
    total, _nll, _div, mu_x, masks = theirs(x[0])
    total.mean().backward()
    torch.manual_seed(1)
    out = ours.infer(x)
    out.loss.total.backward()
    loss_diff = abs(total.mean().item() - out.loss.total.item()) / abs(total.mean().item())
    mask_diff = (masks[:, :, 0] - out.decomposition.masks[0]).abs().max().item()
    mean_diff = (mu_x - out.decomposition.means[0]).abs().max().item()
    grad_diff = max((a.grad - b.grad).abs().max().item() / max(a.grad.abs().max().item(), 1e-12)
                    for a, b in zip(their_params, our_params))
    good = loss_diff < 1e-5 and mask_diff < 1e-4 and mean_diff < 1e-4 and grad_diff < 1e-3
    print(f"IODINE parameters {sum(p.numel() for p in our_params):,} (Kelly's {sum(p.numel() for p in their_params):,})"
          f"  loss rel. {loss_diff:.1e}  masks {mask_diff:.1e}  means {mean_diff:.1e}  gradients {grad_diff:.1e}  "
          f"{'ok' if good else 'DIFFERENT'}")
    return good


if __name__ == "__main__":
    main()
