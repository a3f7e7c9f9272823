"""SVG-LP and SVG-FP: Stochastic Video Generation with a learned / fixed prior (Denton & Fergus, ICML 2018).

Image-autoregressive: at step t the encoded previous frame and ``z_t`` drive an LSTM frame predictor
whose output is decoded with a skip connection from the conditioning frames. ``z_t ~ q(z_t | x_{1:t})``
(LSTM posterior) in training and conditioning; in prediction ``z_t ~ p(z_t | x_{1:t-1})`` (LP, an LSTM
prior) or N(0, I) (FP). Settings follow ``edenton/svg`` (``train_svg_lp.py``); loss = per-pixel MSE
summed over time + beta * KL, as that code does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import nn

from latentvideo.models.frame_coders import CoderRequest, build_coders, coder_problems, initialise
from latentvideo.models.gaussian import kl_divergence, standard_normal_like
from latentvideo.models.recurrent import DeterministicLSTM, GaussianLSTM
from latentvideo.models.optimisation import AdamStep
from latentvideo.models.spec import ModelSpec


@dataclass(frozen=True)
class SVGConfig:
    """Hyper-parameters of SVG (defaults: the SM-MNIST settings of ``edenton/svg``)."""

    channels: int = 1
    nf: int = 64
    g_dim: int = 128
    z_dim: int = 10
    rnn_size: int = 256
    predictor_layers: int = 2
    posterior_layers: int = 1
    prior_layers: int = 1
    beta: float = 1e-4
    n_past: int = 5  # conditioning frames during training (the skip connection comes from them)
    learned_prior: bool = True  # True: SVG-LP; False: SVG-FP
    # "dcgan": SM-MNIST; "vgg": KTH and BAIR (the official --model vgg)
    frame_coder: str = field(default="dcgan", metadata={"enum": ["dcgan", "vgg"]})
    # pixels per side: the official coders 64 (DCGAN 32: ours, small budgets)
    frame_size: int = field(default=64, metadata={"enum": [32, 64]})

    def __post_init__(self) -> None:
        problems = coder_problems("svg", self.frame_coder, "svg", self.frame_size, skip=True)
        if problems:
            raise ValueError("; ".join(problems))


def official_running_updates(steps: int) -> list[int]:
    """The order in which edenton/svg's training loop calls the encoder on the frames of a sequence:
    ``encoder(x[i-1])`` then ``encoder(x[i])`` for i = 1 .. T-1, i.e. 0, 1, 1, 2, 2, ..., T-2, T-1."""
    return [j for i in range(1, steps) for j in (i - 1, i)]


def init_linear_weights(module: nn.Module, std: float = 0.02) -> None:
    """N(0, std) weights and zero bias for Linear layers (edenton/svg ``utils.init_weights``)."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0.0, std)
        nn.init.zeros_(module.bias)


class SVGLoss(NamedTuple):
    """total = mse + beta * kl. mse: per-pixel mean squared error summed over predicted steps;
    kl: KL(q || p) summed over dimensions and steps, divided by the batch size (nats)."""

    total: torch.Tensor
    mse: torch.Tensor
    kl: torch.Tensor


class SVG(AdamStep, nn.Module):
    """The SVG video model. ``x: (T, B, C, S, S)`` float in [0, 1] throughout (S = ``frame_size``, 64 or 32)."""

    def __init__(self, config: SVGConfig):
        super().__init__()
        c = config
        self.config = c
        self.encoder, self.decoder = build_coders(c.frame_coder, CoderRequest(
            "svg", c.channels, c.frame_size, c.g_dim, c.g_dim, c.nf, skip=True))
        self.predictor = DeterministicLSTM(c.g_dim + c.z_dim, c.g_dim, c.rnn_size, c.predictor_layers)
        self.posterior = GaussianLSTM(c.g_dim, c.z_dim, c.rnn_size, c.posterior_layers)
        self.prior = GaussianLSTM(c.g_dim, c.z_dim, c.rnn_size, c.prior_layers) if c.learned_prior else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``utils.init_weights`` of edenton/svg, applied to every module it touches: convolutions and Linear
        layers (the LSTM modules' embeddings and heads included) N(0, 0.02) with zero bias, BatchNorm N(1, 0.02)
        weights; the LSTM cells keep PyTorch's default (their class name matches neither)."""
        initialise(self.config.frame_coder, self.encoder, self.decoder)
        for module in (self.predictor, self.posterior, self.prior):
            if module is not None:
                module.apply(init_linear_weights)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``x: (T, B, C, H, W)`` -> codes ``(T, B, g_dim)`` and skips ``[(T, B, ...)]``.

        In training mode every BatchNorm normalises each time step's B frames on their own and its running
        statistics take the updates of the official loop, which encodes frame t-1 and frame t at every step t
        (so frames 1..T-2 twice): the official training loss, computed with one batched convolution per layer.
        """
        t, b = x.shape[:2]
        enc = self.encoder(x.reshape(t * b, *x.shape[2:]), steps=t, running_updates=official_running_updates(t))
        return enc.code.view(t, b, -1), [s.view(t, b, *s.shape[1:]) for s in enc.skips]

    def _states(self, batch: int, ref: torch.Tensor):
        init = lambda m: m.initial_state(batch, ref.device, ref.dtype) if m is not None else None
        return init(self.predictor), init(self.posterior), init(self.prior)

    def loss(self, x: torch.Tensor) -> SVGLoss:
        """Teacher-forced training loss on ``x: (T, B, C, H, W)``; frames 2..T are predicted."""
        c = self.config
        t, b = x.shape[:2]
        codes, skips = self.encode(x)
        s_pred, s_post, s_prior = self._states(b, x)
        mse = x.new_zeros(())
        kl = x.new_zeros(())
        skip = None
        for i in range(1, t):
            if i < c.n_past:  # as the original: the skip tracks x[i-1] while i < n_past, then freezes
                skip = [s[i - 1] for s in skips]
            q, s_post = self.posterior(codes[i], s_post)
            if self.prior is not None:
                p, s_prior = self.prior(codes[i - 1], s_prior)
            else:
                p = standard_normal_like(q.mean)
            h_pred, s_pred = self.predictor(torch.cat([codes[i - 1], q.rsample()], 1), s_pred)
            x_pred = self.decoder(h_pred, skip)
            mse = mse + (x_pred - x[i]).pow(2).mean()
            kl = kl + kl_divergence(q, p).sum() / b
        return SVGLoss(mse + c.beta * kl, mse, kl)

    @torch.no_grad()
    def sample(self, cond: torch.Tensor, n_future: int, n_samples: int = 1) -> torch.Tensor:
        """Condition on ``cond: (Tc, B, C, H, W)``; returns ``(n_samples, n_future, B, C, H, W)`` in [0, 1].

        Conditioning frames are teacher-forced with posterior z (as ``generate_svg_lp.py``); then each
        generated frame is re-encoded and fed back.
        """
        c = self.config
        tc, b = cond.shape[:2]
        if tc < 2:
            raise ValueError(f"svg needs at least 2 conditioning frames, got {tc}")
        x = cond.repeat_interleave(n_samples, dim=1)  # sample s of video v at index v * n_samples + s
        bs = b * n_samples
        s_pred, s_post, s_prior = self._states(bs, x)
        x_in = x[0]
        skip = None
        future = []
        for i in range(1, tc + n_future):
            enc = self.encoder(x_in)
            if i < min(c.n_past, tc):
                skip = enc.skips
            if i < tc:
                q, s_post = self.posterior(self.encoder(x[i]).code, s_post)
                if self.prior is not None:
                    _, s_prior = self.prior(enc.code, s_prior)
                _, s_pred = self.predictor(torch.cat([enc.code, q.rsample()], 1), s_pred)
                x_in = x[i]
            else:
                if self.prior is not None:
                    p, s_prior = self.prior(enc.code, s_prior)
                else:
                    p = standard_normal_like(enc.code.new_zeros(bs, c.z_dim))
                h, s_pred = self.predictor(torch.cat([enc.code, p.rsample()], 1), s_pred)
                x_in = self.decoder(h, skip)
                future.append(x_in)
        frames = torch.stack(future).view(n_future, b, n_samples, *cond.shape[2:])
        return frames.permute(2, 0, 1, 3, 4, 5).contiguous()


MODELS = {
    "svg_lp": ModelSpec(SVG, SVGConfig, {"learned_prior": True}),
    "svg_fp": ModelSpec(SVG, SVGConfig, {"learned_prior": False}),
}
