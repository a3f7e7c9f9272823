"""IODINE (Greff et al. 2019), the frame-wise baseline of PROVIDE: every frame decomposed on its own.

As Kelly's PyTorch IODINE, on which the official PROVIDE code is built (``src/iodine.py``): R iterations per
frame from the learned ``lambda_0``, each sampling z from the current posterior, decoding (spatial broadcast
decoder, no conditioning), scoring the frame against N(0, I) as the prior, and (except the last) refining
the posterior through a plain LSTM cell (:mod:`latentvideo.models.refinement`, ``cell="lstm"``) whose state
restarts at zero for every frame. Iteration r's loss is weighted ``(r + 1) / R``. The frames of a video are
independent, so they are decomposed as one batch; the loss sums over frames like PROVIDE's. The refinement
inputs and the objective are the shared ones (:mod:`latentvideo.models.iterative_inference`); the weights
beta, psi (and gamma with ``entropy``) are PROVIDE's, as its comparison needs (Kelly's defaults differ).

Because frames are independent, a slot need not follow the same object from frame to frame: PROVIDE's
Table 1 scores IODINE per frame and ignores that, and so do we.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from latentvideo.models.iterative_inference import (Decomposition, Inference, SlotConfig, SlotInference, SlotLoss,
                                                    pretrained_weights, sample)
from latentvideo.models.spec import ModelSpec


@dataclass(frozen=True)
class IodineConfig(SlotConfig):
    """SlotConfig plus refinements (R, iterations per frame; PROVIDE's setting 6)."""

    refinements: int = 6


class Iodine(SlotInference):
    def __init__(self, cfg: IodineConfig):
        super().__init__(cfg, cell="lstm")

    def infer(self, x: torch.Tensor, slots: int | None = None, training: bool = True) -> Inference:
        """x: (T, B, C, H, W) in [0, 1]."""
        cfg = self.cfg
        frames, batch = x.shape[:2]
        flat = x.reshape(frames * batch, *x.shape[2:])
        slots = slots or cfg.slots
        n = frames * batch * slots
        lam, state = self.initial_posterior(n), self.initial_state(n)
        features = self.frame_features(flat)
        total = x.new_zeros(())
        for it in range(cfg.refinements):
            decoded = self.decode(sample(lam), slots)
            terms = self.terms(flat, decoded, lam)
            total = total + (it + 1) / cfg.refinements * frames * terms.loss  # batch mean over frames -> sum
            if it == cfg.refinements - 1:
                break
            lam, state = self.refine(flat, decoded, terms, lam, features, None, state, training)
        per_video = (frames * terms.nll.detach(), frames * terms.kl.detach(), frames * terms.entropy.detach())
        last = -terms.pixel_ll.detach().reshape(frames, batch, -1)[-1].sum(dim=1).mean()
        decomposition = Decomposition(decoded.means.reshape(frames, batch, *decoded.means.shape[1:]),
                                      decoded.masks.reshape(frames, batch, *decoded.masks.shape[1:]))
        return Inference(SlotLoss(*per_video, total), decomposition, last)


MODELS = {"iodine": ModelSpec(Iodine, IodineConfig, weight_files=pretrained_weights)}
