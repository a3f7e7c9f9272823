"""PROVIDE (Zablotskaia et al.): iterative amortised inference on a 2D-LSTM grid over (time x refinement step),
and its ablation base, the full 2D-LSTM grid without conditional prior and generation.

Frame t (0-based) gets ``max(R - t, min_refinements)`` iterations (``schedule: triangular``, the paper's
efficient grid; ``full``: R at every frame, the ablation's "Base"). As the official ``src/model.py``:

- every frame's posterior restarts at the learned ``lambda_0``, and its first iteration decodes one sample
  ``z_first`` of ``lambda_0`` drawn once per video (later iterations sample the refined posterior); so the
  gradient with respect to the posterior that the first refinement of a frame reads is the KL's alone (the
  sample does not come from that frame's copy of ``lambda_0``);
- each iteration refines the posterior through the 2D-LSTM cell, whose predecessors are the previous
  refinement step of this frame (zeros at the first) and the *temporal* state: the previous frame's final
  refinement state (zeros at frame 0). An iteration with index R - 1 (only frames given the full R) is not
  refined ("no refinement is needed" after the final reconstruction, Fig. 2a), so frames with fewer
  iterations pass on the state of a refinement made after their last decoding: the official behaviour;
- iteration r's loss is weighted ``(r + 1) / R`` (the paper's ``r / R``), and the loss sums over frames;
- with ``conditional`` (the paper's CP+G) the prior of frame t is a Gaussian computed from the temporal hidden
  state by an MLP (``hidden -> hidden``, ReLU, then linear heads to the mean and the scale) and the decoder
  first maps ``[z, temporal h]`` to ``z_dim`` (:class:`SpatialBroadcastDecoder` with ``condition``); without
  it, the prior is N(0, I) and the decoder reads z alone.

The prior's scale head: the paper (footnote 5) predicts ``log sigma`` (``prior_scale: log_sigma``, ours by
default: log-variance = 2 x the head's output); the official code puts a Softplus on the head and uses its
output as the log-variance, so the prior's variance is never below 1 (``prior_scale: softplus_logvar``).

Prediction (``infer(..., predict=n)``, PROVIDE Section 3.2.3 and the official loop): after the observed
frames, each new frame decodes ``z_first`` conditioned on the temporal state, takes its own reconstruction as
the frame, refines once with the gradients set to zero, and passes the new state on. It needs the
conditional generation: without it nothing carries the dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from latentvideo.models.iterative_inference import (Decomposition, Inference, Prior, SlotConfig, SlotInference,
                                                    SlotLoss, pretrained_weights, sample)
from latentvideo.models.spec import ModelSpec

SCHEDULES = ("triangular", "full")
PRIOR_SCALES = ("log_sigma", "softplus_logvar")


@dataclass(frozen=True)
class ProvideConfig(SlotConfig):
    """SlotConfig plus: refinements (R, the official ``--T``), min_refinements (the triangular grid's floor:
    the official 2; the paper's ``max(R - t, 1)`` says 1), schedule, conditional (CP+G), prior_scale
    (module docstring)."""

    refinements: int = 6
    min_refinements: int = 2
    schedule: str = field(default="triangular", metadata={"enum": list(SCHEDULES)})
    conditional: bool = True
    prior_scale: str = field(default="log_sigma", metadata={"enum": list(PRIOR_SCALES)})
    entropy: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.schedule not in SCHEDULES or self.prior_scale not in PRIOR_SCALES:
            raise ValueError(f"schedule must be one of {SCHEDULES} and prior_scale one of {PRIOR_SCALES}")
        if self.min_refinements > self.refinements:
            raise ValueError(f"min_refinements ({self.min_refinements}) exceeds refinements ({self.refinements})")

    def iterations(self, frame: int) -> int:
        """Iterations (decodings) of frame ``frame`` (0-based)."""
        if self.schedule == "full":
            return self.refinements
        return max(self.refinements - frame, self.min_refinements)


class Provide(SlotInference):
    def __init__(self, cfg: ProvideConfig):
        super().__init__(cfg, cell="lstm2d", condition=cfg.hidden if cfg.conditional else 0)
        if cfg.conditional:
            self.prior = nn.Sequential(nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU())
            self.prior_mean = nn.Linear(cfg.hidden, cfg.z_dim)
            self.prior_scale = nn.Linear(cfg.hidden, cfg.z_dim)

    def temporal_prior(self, h: torch.Tensor) -> Prior | None:
        """The conditional prior from the temporal hidden state h (B K, hidden); None without CP+G."""
        if not self.cfg.conditional:
            return None
        features = self.prior(h)
        scale = self.prior_scale(features)
        logvar = 2.0 * scale if self.cfg.prior_scale == "log_sigma" else F.softplus(scale)
        return Prior(self.prior_mean(features), logvar)

    def infer(self, x: torch.Tensor, slots: int | None = None, training: bool = True,
              predict: int = 0) -> Inference:
        """x: (T, B, C, H, W) in [0, 1]; ``predict`` further frames are simulated after the T observed ones.
        training=False detaches the graph between refinements (same values, bounded memory)."""
        cfg = self.cfg
        frames, batch = x.shape[:2]
        slots = slots or cfg.slots
        n = batch * slots
        z_first = sample(self.initial_posterior(n))
        temporal = self.initial_state(n)
        total = x.new_zeros(())
        nll = kl = ent = x.new_zeros(())
        means, masks = [], []
        for t in range(frames):
            frame = x[t]
            prior = self.temporal_prior(temporal.h)
            condition = temporal.h if cfg.conditional else None
            features = self.frame_features(frame)
            lam, state = self.initial_posterior(n), self.initial_state(n)  # a node apart from z_first's
            for it in range(cfg.iterations(t)):
                z = z_first if it == 0 else sample(lam)
                decoded = self.decode(z, slots, condition)
                terms = self.terms(frame, decoded, lam, prior)
                total = total + (it + 1) / cfg.refinements * terms.loss
                if it == cfg.refinements - 1:
                    continue
                lam, state = self.refine(frame, decoded, terms, lam, features, temporal, state, training)
            temporal = state
            nll, kl, ent = nll + terms.nll.detach(), kl + terms.kl.detach(), ent + terms.entropy.detach()
            means.append(decoded.means)
            masks.append(decoded.masks)
        last_nll = terms.nll.detach()
        for _ in range(predict):
            if not cfg.conditional:
                raise ValueError("prediction needs the conditional generation (conditional: true)")
            decoded = self.decode(z_first, slots, temporal.h)
            frame = (decoded.masks[:, :, None] * decoded.means).sum(dim=1)
            lam = self.initial_posterior(n)
            terms = self.terms(frame, decoded, lam, self.temporal_prior(temporal.h))
            _, temporal = self.refine(frame, decoded, terms, lam, self.frame_features(frame), temporal,
                                      self.initial_state(n), training, predicting=True)
            means.append(decoded.means)
            masks.append(decoded.masks)
        return Inference(SlotLoss(nll, kl, ent, total), Decomposition(torch.stack(means), torch.stack(masks)),
                         last_nll)

    def predict(self, x: torch.Tensor, frames: int, slots: int | None = None) -> Decomposition:
        """Decompose the observed x (T, B, C, H, W), then simulate ``frames`` more: (T + frames) frames."""
        return self.decompose(x, slots, predict=frames)


MODELS = {
    "provide": ModelSpec(Provide, ProvideConfig, weight_files=pretrained_weights),
    # Table 3's "Base": the 2D-LSTM on the full grid, without conditional prior and generation
    "provide_base": ModelSpec(Provide, ProvideConfig, fixed={"schedule": "full", "conditional": False},
                              weight_files=pretrained_weights),
}
