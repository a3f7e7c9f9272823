"""Iterative amortised inference over K object slots (IODINE, Greff et al. 2019): what IODINE, SEQ-IODINE and
PROVIDE share.

Each slot k has a Gaussian posterior ``lambda_k = (mean, log-variance)`` over a ``z_dim`` latent, starting at
one learned ``lambda_0`` (initialised uniform in [-1/2, 1/2], as the official code). One *iteration* samples
``z_k`` (reparameterised), decodes every slot with the spatial broadcast decoder
(:mod:`latentvideo.models.spatial_broadcast`) into means and mask logits, scores the frame under the spatial
mixture (:mod:`latentvideo.models.slot_mixture`), and, if the posterior is refined further, feeds the
refinement network (:mod:`latentvideo.models.refinement`) with, per slot (PROVIDE's ``get_refine_inputs``):

- image inputs, in this order: the frame (C channels), the slot's means (C), its mask (1) and mask logit (1),
  the layer-normalised gradients of the iteration's loss with respect to the means (C) and to the mask (1),
  the mask posterior (softmax over slots of ``prod_c exp(-(x - mu)^2 / (2 var))``, 1), the layer-normalised
  pixel log-likelihood (1), two coordinate channels; then, optionally, 16 channels of frozen SqueezeNet
  features (:mod:`latentvideo.models.squeezenet_features`);
- vector inputs: ``lambda_k`` and the layer-normalised gradient of the loss with respect to it.

The layer norms have no affine parameters and normalise each slot's tensor over all its dimensions; the
gradients are of the iteration's loss (batch mean) and are treated as constants (no second-order terms).

The loss of one iteration is ``beta * NLL + psi * KL (+ gamma * mask entropy)`` (the official weights 100, 10
and 0.1; PROVIDE's Eq. 7 with the entropy of the masks *minimised*: its text says "maximizing the entropy"
but the objective it maximises is ``ELBO + gamma sum m log m``, and the official code adds ``+gamma H`` to
the loss). Training takes one Adam step on the model's total loss with the gradient norm clipped (5, the
official ``clip_grad_norm_``). With ``adaptive_beta`` (the official colour-data rule, ``scripts/train.py``)
beta becomes 300 after a step whose final NLL exceeds 600 and 100 after one whose NLL exceeds 200, and
otherwise keeps its value; the thresholds are the official ones at 64x64 RGB and scale with the number of
pixels and channels. The current beta is a buffer, so it is checkpointed and a resumed run continues it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from latentvideo.models.lstm2d import CellState
from latentvideo.models.optimisation import AdamStep, Optimisation
from latentvideo.models.refinement import RefinementNetwork
from latentvideo.models.slot_mixture import (entropy_of_masks, kl_gaussians, kl_standard_normal,
                                             mixture_log_likelihood)
from latentvideo.models.spatial_broadcast import SpatialBroadcastDecoder
from latentvideo.models.squeezenet_features import OUT_CHANNELS, SqueezeNetFeatures

ADAPTIVE_BETA = ((600.0, 300.0), (200.0, 100.0))  # (NLL above which, beta): the official rule at 64x64x3
ADAPTIVE_BETA_PIXELS = 64 * 64 * 3


@dataclass(frozen=True)
class SlotConfig:
    """Hyper-parameters every slot model has (defaults: PROVIDE's official settings for Bouncing Balls).

    channels: of the frames (the official code reads binary balls as RGB: 3). frame_size: side S of the
    square frames. slots: K at training time (a test may use more: the weights do not depend on K).
    z_dim: per slot. decoder_width / refine_width: channels of the decoder's and the refinement network's
    convolutions; hidden: the refinement LSTM's units. obs_variance: the mixture's fixed variance (pixel
    values in [0, 1]). beta / psi / gamma: weights of the NLL, the KL and the mask entropy (``entropy``: on
    or off; the official code turns it on for binary data). adaptive_beta: the official colour-data rule
    (module docstring). squeezenet: add the frozen SqueezeNet features to the refinement inputs (their
    ImageNet weights come from a user-provided file). max_grad_norm: the gradient-norm clip.
    """

    channels: int = 3
    frame_size: int = 64
    slots: int = 5
    z_dim: int = 64
    decoder_width: int = 64
    refine_width: int = 64
    hidden: int = 128
    obs_variance: float = field(default=0.3, metadata={"exclusiveMinimum": 0})
    beta: float = 100.0
    psi: float = 10.0
    gamma: float = 0.1
    entropy: bool = False
    adaptive_beta: bool = False
    squeezenet: bool = False
    max_grad_norm: float = field(default=5.0, metadata={"exclusiveMinimum": 0})

    def __post_init__(self) -> None:
        if self.frame_size % 4:
            raise ValueError(f"frame_size must be a multiple of 4 (the refinement network pools 4x4), got "
                             f"{self.frame_size}")


class Decoded(NamedTuple):
    """One iteration's decoding of a frame. means: (B, K, C, H, W) in [0, 1]; masks: (B, K, H, W), summing to
    1 over K; mask_logits: (B, K, H, W)."""

    means: torch.Tensor
    masks: torch.Tensor
    mask_logits: torch.Tensor


class Terms(NamedTuple):
    """One iteration's objective. pixel_ll: (B, H, W) nats; nll, kl, entropy: scalars (sums over pixels,
    latents and slots, means over the batch); loss: ``beta nll + psi kl (+ gamma entropy)``."""

    pixel_ll: torch.Tensor
    nll: torch.Tensor
    kl: torch.Tensor
    entropy: torch.Tensor
    loss: torch.Tensor


class Prior(NamedTuple):
    """A Gaussian prior per slot: mean and log-variance, (B K, z_dim) each."""

    mean: torch.Tensor
    logvar: torch.Tensor


class SlotLoss(NamedTuple):
    """A training step's terms. total: the weighted sum over frames and iterations that is minimised; nll,
    kl, entropy: of every frame's final iteration, summed over the frames (entropy reported even where it
    is not in the loss)."""

    nll: torch.Tensor
    kl: torch.Tensor
    entropy: torch.Tensor
    total: torch.Tensor


class Decomposition(NamedTuple):
    """A video's decomposition: per frame, its final iteration. means: (T, B, K, C, H, W) in [0, 1];
    masks: (T, B, K, H, W), summing to 1 over K."""

    means: torch.Tensor
    masks: torch.Tensor

    def reconstruction(self) -> torch.Tensor:
        """``sum_k m_k mu_k``: (T, B, C, H, W) in [0, 1]."""
        return (self.masks[:, :, :, None] * self.means).sum(dim=2)


class Inference(NamedTuple):
    """What a model's ``infer`` returns: the loss terms, the decomposition, and the final NLL of the last
    observed frame (what the adaptive beta looks at)."""

    loss: SlotLoss
    decomposition: Decomposition
    last_nll: torch.Tensor


def sample(lam: torch.Tensor) -> torch.Tensor:
    """A reparameterised sample of ``N(mean, exp(logvar))``; lam: (N, 2 z_dim) = [mean, logvar]."""
    mean, logvar = lam.chunk(2, dim=1)
    return mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)


def _normalised(t: torch.Tensor, dims: int) -> torch.Tensor:
    """Layer norm without affine parameters over the last ``dims`` dimensions (eps 1e-5, ``nn.LayerNorm``'s)."""
    return F.layer_norm(t, t.shape[-dims:])


SQUEEZENET_WEIGHTS = "squeezenet1_1"  # config model_weights.<name> of the frozen SqueezeNet layers


def pretrained_weights(cfg: SlotConfig) -> tuple[str, ...]:
    """The ``model_weights`` entries a slot model loads: the SqueezeNet layers' ImageNet weights if it has them."""
    return (SQUEEZENET_WEIGHTS,) if cfg.squeezenet else ()


class SlotInference(AdamStep, nn.Module):
    """The shared machinery: ``lambda_0``, the decoder, the refinement network, the optional features, the
    objective and the training step (Adam from :class:`AdamStep`, plus the clip and the adaptive beta).
    Subclasses define ``infer(x, slots=None, training=True) -> Inference``.

    cell: ``lstm`` (IODINE, SEQ-IODINE) or ``lstm2d`` (PROVIDE); condition: size of the vector the decoder is
    conditioned on (PROVIDE's conditional generation: the temporal hidden state), 0 for none.
    """

    def __init__(self, cfg: SlotConfig, cell: str, condition: int = 0):
        super().__init__()
        self.cfg = cfg
        size = (cfg.frame_size, cfg.frame_size)
        self.lambda0 = nn.Parameter(torch.rand(1, 2 * cfg.z_dim) - 0.5)
        self.decoder = SpatialBroadcastDecoder(cfg.z_dim, size, cfg.channels, cfg.decoder_width, condition)
        image_channels = 3 * cfg.channels + 7 + (OUT_CHANNELS if cfg.squeezenet else 0)
        self.refinement = RefinementNetwork(cfg.z_dim, image_channels, 4 * cfg.z_dim, size, cfg.refine_width,
                                            cfg.hidden, cell)
        self.features = SqueezeNetFeatures() if cfg.squeezenet else None
        self.register_buffer("beta", torch.tensor(cfg.beta))

    # -- one iteration ---------------------------------------------------------------------------------------
    def initial_posterior(self, n: int) -> torch.Tensor:
        """``lambda_0`` for ``n`` slots: (n, 2 z_dim)."""
        return self.lambda0.expand(n, -1)

    def initial_state(self, n: int) -> CellState:
        return self.refinement.initial_state(n, self.lambda0.device, self.lambda0.dtype)

    def frame_features(self, x: torch.Tensor) -> torch.Tensor | None:
        """The SqueezeNet channels of frame x (B, C, H, W) -> (B, 16, H, W), None without them."""
        return None if self.features is None else self.features(x)

    def decode(self, z: torch.Tensor, slots: int, condition: torch.Tensor | None = None) -> Decoded:
        """z: (B K, z_dim), slot-major within each video; condition: (B K, hidden) or None."""
        out = self.decoder(z, condition)
        batch = z.shape[0] // slots
        means = out.means.reshape(batch, slots, *out.means.shape[1:])
        logits = out.mask_logits.reshape(batch, slots, *out.mask_logits.shape[1:])
        return Decoded(means, F.softmax(logits, dim=1), logits)

    def terms(self, x: torch.Tensor, decoded: Decoded, lam: torch.Tensor, prior: Prior | None = None,
              entropy: bool | None = None) -> Terms:
        """x: (B, C, H, W) the frame; lam: (B K, 2 z_dim) the posterior the iteration sampled from; prior: the
        conditional prior, None for N(0, I); entropy: whether the mask entropy enters the loss (default: the
        config's)."""
        cfg = self.cfg
        batch, slots = decoded.masks.shape[:2]
        pixel_ll = mixture_log_likelihood(x, decoded.means, decoded.masks, cfg.obs_variance)
        nll = -pixel_ll.flatten(1).sum(dim=1).mean()
        mean, logvar = lam.chunk(2, dim=1)
        kl_slots = (kl_standard_normal(mean, logvar) if prior is None
                    else kl_gaussians(mean, logvar, prior.mean, prior.logvar))
        kl = kl_slots.reshape(batch, slots).sum(dim=1).mean()
        ent = entropy_of_masks(decoded.masks)
        loss = self.beta * nll + cfg.psi * kl
        if cfg.entropy if entropy is None else entropy:
            loss = loss + cfg.gamma * ent
        return Terms(pixel_ll, nll, kl, ent, loss)

    def refinement_inputs(self, x: torch.Tensor, decoded: Decoded, terms: Terms, lam: torch.Tensor,
                          features: torch.Tensor | None, predicting: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """The refinement network's image inputs (B K, 3 C + 7 [+ 16], H, W) and vector inputs (B K, 4 z_dim)
        (module docstring). predicting: the gradients are set to zero (PROVIDE's prediction)."""
        means, masks = decoded.means, decoded.masks
        batch, slots, channels, height, width = means.shape
        if predicting:
            d_means, d_masks, d_lam = torch.zeros_like(means), torch.zeros_like(masks), torch.zeros_like(lam)
        else:
            d_means, d_masks, d_lam = torch.autograd.grad(terms.loss, (means, masks, lam), retain_graph=True)
        fit = (-((means - x[:, None]) ** 2) / (2.0 * self.cfg.obs_variance)).sum(dim=2)
        mask_posterior = F.softmax(fit.exp(), dim=1)  # the official softmax of the probabilities, not their logs
        pixel_ll = _normalised(terms.pixel_ll[:, None, None], 3).detach().expand(-1, slots, -1, -1, -1)
        coords = self.decoder.coordinates[:, None].expand(batch, slots, -1, -1, -1)
        # as the official: the frame, means, masks, logits and mask posterior carry gradients to the decoder,
        # the normalised log-likelihood and loss gradients do not
        images = [x[:, None].expand(-1, slots, -1, -1, -1), means, masks[:, :, None],
                  decoded.mask_logits[:, :, None], _normalised(d_means, 3), _normalised(d_masks[:, :, None], 3),
                  mask_posterior[:, :, None], pixel_ll, coords]
        if features is not None:
            images.append(features[:, None].expand(-1, slots, -1, -1, -1))
        images_t = torch.cat(images, dim=2)
        vectors = torch.cat((lam, _normalised(d_lam, 1)), dim=1)
        return images_t.reshape(batch * slots, -1, height, width), vectors

    def refine(self, frame: torch.Tensor, decoded: Decoded, terms: Terms, lam: torch.Tensor,
               features: torch.Tensor | None, temporal: CellState | None, state: CellState, training: bool,
               predicting: bool = False) -> tuple[torch.Tensor, CellState]:
        """One refinement: the refined posterior ``lam + delta`` (B K, 2 z_dim) and the cell's new state, from
        this iteration's inputs (:meth:`refinement_inputs`) and the cell's predecessors (``temporal``: None for
        the plain LSTM). Outside training (``training=False``) both are cut from the graph behind them (same
        values, memory bounded); the posterior still takes a gradient, a refinement input of the next step."""
        images, vectors = self.refinement_inputs(frame, decoded, terms, lam, features, predicting)
        step = self.refinement(images, vectors, temporal, state)
        lam, state = lam + step.delta, step.state
        if training:
            return lam, state
        return lam.detach().requires_grad_(), CellState(state.h.detach(), state.c.detach())

    # -- the objective and training ----------------------------------------------------------------------------
    def infer(self, x: torch.Tensor, slots: int | None = None, training: bool = True) -> Inference:
        raise NotImplementedError

    def load_weight_file(self, name: str, path: str) -> None:
        """Load the user's pretrained weights ``model_weights.<name>`` (:func:`pretrained_weights`)."""
        if name != SQUEEZENET_WEIGHTS or self.features is None:
            raise ValueError(f"{type(self).__name__} loads no weight file {name!r} (squeezenet: "
                             f"{self.cfg.squeezenet})")
        self.features.load_imagenet_weights(path)

    def loss(self, x: torch.Tensor) -> SlotLoss:
        """x: (T, B, C, H, W) in [0, 1]. Inference needs gradients (the refinement inputs), also under no_grad."""
        with torch.enable_grad():
            return self.infer(x).loss

    @torch.no_grad()
    def decompose(self, x: torch.Tensor, slots: int | None = None, **options: int) -> Decomposition:
        """The decomposition of x (T, B, C, H, W) in [0, 1] with ``slots`` slots (default: the trained K);
        ``options``: further keyword arguments of the model's ``infer`` (PROVIDE: ``predict``)."""
        with torch.enable_grad():
            out = self.infer(x, slots=slots, training=False, **options)
        return Decomposition(*(t.detach() for t in out.decomposition))

    def training_step(self, x: torch.Tensor, optimisation: Optimisation) -> SlotLoss:
        out = self.infer(x)
        optimizer = optimisation.optimizers["adam"]
        optimizer.zero_grad(set_to_none=True)
        out.loss.total.backward()
        nn.utils.clip_grad_norm_(self.parameters(), self.cfg.max_grad_norm)
        optimizer.step()
        optimisation.schedulers["adam"].step()
        if self.cfg.adaptive_beta:
            self.adapt_beta(float(out.last_nll))
        return SlotLoss(*(t.detach() for t in out.loss))

    def adapt_beta(self, nll: float) -> None:
        """The official colour-data rule (module docstring), thresholds scaled to this frame's pixels."""
        scale = self.cfg.frame_size**2 * self.cfg.channels / ADAPTIVE_BETA_PIXELS
        for threshold, beta in ADAPTIVE_BETA:
            if nll > threshold * scale:
                self.beta.fill_(beta)
                return
