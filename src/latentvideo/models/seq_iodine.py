"""SEQ-IODINE, PROVIDE's sequential baseline: IODINE run over the video, one refinement per frame.

PROVIDE (Section 4.1, after Greff et al. 2019) "feeds a new video frame to each iteration of the LSTM in the
refinement network": the posterior starts at ``lambda_0`` before the first frame; at frame t one iteration
samples z from the current posterior, decodes, scores frame t against N(0, I), and refines the posterior
with frame t's inputs through the plain LSTM cell, whose state and posterior carry on to frame t + 1. The
paper gives no loss weights for it: each frame's loss counts once (ours). The official code does not include
the baseline; everything else is IODINE's (:mod:`latentvideo.models.iodine`).
"""

from __future__ import annotations

import torch

from latentvideo.models.iterative_inference import (Decomposition, Inference, SlotConfig, SlotInference, SlotLoss,
                                                    pretrained_weights, sample)
from latentvideo.models.spec import ModelSpec


class SeqIodine(SlotInference):
    def __init__(self, cfg: SlotConfig):
        super().__init__(cfg, cell="lstm")

    def infer(self, x: torch.Tensor, slots: int | None = None, training: bool = True) -> Inference:
        """x: (T, B, C, H, W) in [0, 1]."""
        frames, batch = x.shape[:2]
        slots = slots or self.cfg.slots
        n = batch * slots
        lam, state = self.initial_posterior(n), self.initial_state(n)
        total = nll = kl = ent = x.new_zeros(())
        means, masks = [], []
        for t in range(frames):
            decoded = self.decode(sample(lam), slots)
            terms = self.terms(x[t], decoded, lam)
            total = total + terms.loss
            nll, kl, ent = nll + terms.nll.detach(), kl + terms.kl.detach(), ent + terms.entropy.detach()
            means.append(decoded.means)
            masks.append(decoded.masks)
            if t == frames - 1:
                break
            lam, state = self.refine(x[t], decoded, terms, lam, self.frame_features(x[t]), None, state, training)
        return Inference(SlotLoss(nll, kl, ent, total), Decomposition(torch.stack(means), torch.stack(masks)),
                         terms.nll.detach())


MODELS = {"seq_iodine": ModelSpec(SeqIodine, SlotConfig, weight_files=pretrained_weights)}
