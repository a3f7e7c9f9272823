"""SRVP: Stochastic Latent Residual Video Prediction (Franceschi et al., ICML 2020).

State-space model: ``y_1 ~ q(y_1 | x_{1:k})``, ``z_t ~ q(z_t | x_{1:t})`` (LSTM filter) in training and
``p(z_t | y_{t-1})`` in prediction, and the residual Euler update
``y_{t+dt} = y_t + dt * f(y_t, z_t)`` with ``1/dt`` sub-steps per frame (the same z reused across them).
Frames are decoded from ``[w, y_t]`` where the content variable ``w`` comes from k frames through a
permutation-invariant network. Architecture and initialisation follow the official code
(``module/srvp.py``, ``module/conv.py``); see ``docs`` in the README for the deviations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import nn

from latentvideo.models.dcgan64 import DCGANDecoder, DCGANEncoder, init_dcgan_weights
from latentvideo.models.gaussian import (
    DiagGaussian,
    from_softplus_params,
    gaussian_nll,
    kl_divergence,
    standard_normal_like,
)
from latentvideo.models.mlp import make_mlp
from latentvideo.models.optimisation import AdamStep
from latentvideo.models.spec import ModelSpec


@dataclass(frozen=True)
class SRVPConfig:
    """Hyper-parameters of SRVP (defaults: the paper's SM-MNIST settings, Appendix C)."""

    channels: int = 1
    nf: int = 64  # filters of the first DCGAN layer
    enc_dim: int = 128  # size of the frame code x~ (encoder output)
    ny: int = 20
    nz: int = 20
    n_inf_frames: int = 5  # k: frames that infer y_1 and the content variable w
    inf_hidden: int = 256  # inference MLPs, LSTM, and w (256-d in the official code)
    inf_layers: int = 3
    res_hidden: int = 512  # forward-model MLPs (residual f and prior p(z|y))
    res_layers: int = 4
    res_gain: float = field(default=1.41, metadata={"exclusiveMinimum": 0})  # orthogonal init gain of f
    dt: float = field(default=1.0, metadata={"exclusiveMinimum": 0, "maximum": 1})  # Euler step; 1/dt an integer
    # "residual": y + dt f(y, z); "mlp": y' = f(y, z)
    dynamics: str = field(default="residual", metadata={"enum": ["residual", "mlp"]})
    # standard deviation of the Gaussian observation model (sqrt of nu)
    obs_scale: float = field(default=1.0, metadata={"exclusiveMinimum": 0})
    beta_y: float = 1.0
    beta_z: float = 2.0
    l2_res: float = 1.0
    skip: bool = False  # skip connections from a frame to the decoder (off on SM-MNIST)

    def __post_init__(self) -> None:
        substeps = 1.0 / self.dt
        if self.dt <= 0 or abs(substeps - round(substeps)) > 1e-9:
            raise ValueError(f"srvp: 1/dt must be a positive integer, got dt={self.dt}")
        if self.dynamics not in ("residual", "mlp"):
            raise ValueError(f"srvp: dynamics must be 'residual' or 'mlp', got {self.dynamics!r}")

    @property
    def substeps(self) -> int:
        return round(1.0 / self.dt)


class SRVPOutput(NamedTuple):
    """What one training pass infers for a sequence of T frames and batch B.

    recon: (T, B, C, H, W) in [0, 1], decoded from y at integer times.
    y: (T, B, ny) states at integer times. z: (T-1, B, nz) posterior samples for t = 2..T.
    w: (B, inf_hidden) content variable. q_y: q(y_1) with (B, ny) parameters.
    q_z, p_z: posterior and prior over z_{2:T}, (T-1, B, nz) parameters.
    residuals: (T-1, substeps, B, ny) the increments dt * f applied at each Euler sub-step.
    """

    recon: torch.Tensor
    y: torch.Tensor
    z: torch.Tensor
    w: torch.Tensor
    q_y: DiagGaussian
    q_z: DiagGaussian
    p_z: DiagGaussian
    residuals: torch.Tensor


class SRVPLoss(NamedTuple):
    """Loss terms, each a scalar summed over time and pixels/dimensions and divided by the batch size (nats).

    total = nll + beta_y * kl_y + beta_z * kl_z + l2_res * residual_norm
    """

    total: torch.Tensor
    nll: torch.Tensor
    kl_y: torch.Tensor
    kl_z: torch.Tensor
    residual_norm: torch.Tensor


class SRVP(AdamStep, nn.Module):
    """The SRVP video model. ``x: (T, B, C, 64, 64)`` float in [0, 1] throughout."""

    def __init__(self, config: SRVPConfig):
        super().__init__()
        c = config
        self.config = c
        self.encoder = DCGANEncoder(c.channels, c.enc_dim, c.nf, bias=False, first_batch_norm=False)
        self.decoder = DCGANDecoder(c.channels, c.inf_hidden + c.ny, c.nf, bias=False, skip=c.skip)
        self.w_proj = nn.Sequential(nn.Linear(c.enc_dim, c.inf_hidden), nn.ReLU(inplace=True))
        self.w_out = nn.Sequential(nn.Linear(c.inf_hidden, c.inf_hidden), nn.Tanh())
        self.q_y = make_mlp(c.enc_dim * c.n_inf_frames, c.inf_hidden, 2 * c.ny, c.inf_layers)
        self.z_filter = nn.LSTM(c.enc_dim, c.inf_hidden, 1)
        self.q_z = nn.Linear(c.inf_hidden, 2 * c.nz)
        self.p_z = make_mlp(c.ny, c.res_hidden, 2 * c.nz, c.res_layers)
        self.dynamics = make_mlp(c.ny + c.nz, c.res_hidden, c.ny, c.res_layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Official init: N(0, 0.02) convolutions, orthogonal(gain) residual MLP, PyTorch defaults elsewhere."""
        self.encoder.apply(init_dcgan_weights)
        self.decoder.apply(init_dcgan_weights)
        for module in self.dynamics.modules():
            if isinstance(module, nn.Linear):
                nn.init.orthogonal_(module.weight, gain=self.config.res_gain)
                nn.init.zeros_(module.bias)

    # -- building blocks -------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``x: (T, B, C, H, W)`` -> codes ``(T, B, enc_dim)`` and per-frame skips ``[(T, B, ...)]``."""
        t, b = x.shape[:2]
        enc = self.encoder(x.reshape(t * b, *x.shape[2:]))
        return enc.code.view(t, b, -1), [s.view(t, b, *s.shape[1:]) for s in enc.skips]

    def content(self, codes: torch.Tensor) -> torch.Tensor:
        """Content variable ``w: (B, inf_hidden)`` from ``codes: (k, B, enc_dim)``, permutation-invariant."""
        return self.w_out(self.w_proj(codes).sum(0))

    def infer_y1(self, codes: torch.Tensor) -> DiagGaussian:
        """q(y_1 | x_{1:k}) from the first k codes ``(k, B, enc_dim)``."""
        k, b = codes.shape[:2]
        return from_softplus_params(self.q_y(codes.permute(1, 0, 2).reshape(b, k * codes.shape[2])))

    def prior_z(self, y: torch.Tensor) -> DiagGaussian:
        """p(z_{t+1} | y_t) for ``y: (B, ny)``."""
        return from_softplus_params(self.p_z(y))

    def step(self, y: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Advance one frame: ``1/dt`` Euler sub-steps with the same z. Returns (y_next, residuals (S, B, ny))."""
        dt = self.config.dt
        residuals = []
        for _ in range(self.config.substeps):
            f = self.dynamics(torch.cat([y, z], 1))
            if self.config.dynamics == "residual":
                res = dt * f
                y = y + res
            else:  # the paper's "MLP" ablation: the network outputs the next state directly
                res = f - y
                y = f
            residuals.append(res)
        return y, torch.stack(residuals)

    def decode(self, w: torch.Tensor, y: torch.Tensor, skips: list[torch.Tensor] | None) -> torch.Tensor:
        """``w: (B, W)``, ``y: (T, B, ny)``, skips ``[(B, ...)]`` or None -> frames ``(T, B, C, H, W)``."""
        t, b = y.shape[:2]
        inp = torch.cat([w.expand(t, *w.shape), y], 2).reshape(t * b, -1)
        if skips is not None:
            skips = [s.expand(t, *s.shape).reshape(t * b, *s.shape[1:]) for s in skips]
        out = self.decoder(inp, skips)
        return out.view(t, b, *out.shape[1:])

    # -- training --------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> SRVPOutput:
        """Filter a fully observed sequence ``x: (T, B, C, H, W)`` and reconstruct it."""
        c = self.config
        t, b = x.shape[:2]
        if t < c.n_inf_frames:
            raise ValueError(f"srvp needs at least k={c.n_inf_frames} frames, got {t}")
        codes, skips = self.encode(x)
        # Content from k frames chosen uniformly at random per sequence (training), as in the paper.
        idx = torch.stack([torch.randperm(t, device=x.device)[: c.n_inf_frames] for _ in range(b)], 1)
        w = self.content(codes[idx, torch.arange(b, device=x.device).expand_as(idx)])
        skip = None
        if c.skip:
            frame = torch.randint(t, (b,), device=x.device)
            skip = [s[frame, torch.arange(b, device=x.device)] for s in skips]
        q_y = self.infer_y1(codes[: c.n_inf_frames])
        q_z = from_softplus_params(self.q_z(self.z_filter(codes)[0][1:]))
        y = [q_y.rsample()]
        zs, p_means, p_scales, residuals = [], [], [], []
        for i in range(t - 1):
            p = self.prior_z(y[-1])
            p_means.append(p.mean)
            p_scales.append(p.scale)
            z = q_z.mean[i] + q_z.scale[i] * torch.randn_like(q_z.mean[i])
            y_next, res = self.step(y[-1], z)
            zs.append(z)
            y.append(y_next)
            residuals.append(res)
        y_all = torch.stack(y)
        recon = self.decode(w, y_all, skip)
        return SRVPOutput(
            recon=recon,
            y=y_all,
            z=torch.stack(zs),
            w=w,
            q_y=q_y,
            q_z=q_z,
            p_z=DiagGaussian(torch.stack(p_means), torch.stack(p_scales)),
            residuals=torch.stack(residuals),
        )

    def loss(self, x: torch.Tensor) -> SRVPLoss:
        """Negative ELBO with SRVP's weights and residual penalty, per sequence (divided by batch size)."""
        c = self.config
        b = x.shape[1]
        out = self(x)
        nll = gaussian_nll(x, out.recon, c.obs_scale).sum() / b
        kl_y = kl_divergence(out.q_y, standard_normal_like(out.q_y.mean)).sum() / b
        kl_z = kl_divergence(out.q_z, out.p_z).sum() / b
        res = out.residuals.norm(p=2, dim=-1).sum() / b
        total = nll + c.beta_y * kl_y + c.beta_z * kl_z + c.l2_res * res
        return SRVPLoss(total, nll, kl_y, kl_z, res)

    # -- prediction ------------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, cond: torch.Tensor, n_future: int, n_samples: int = 1) -> torch.Tensor:
        """Condition on ``cond: (Tc, B, C, H, W)`` and sample futures.

        Returns ``(n_samples, n_future, B, C, H, W)`` in [0, 1]. Inference follows the official test
        protocol: y_1 from the first k frames, w from the last k, z from the posterior over the
        conditioning frames, then from the learned prior.
        """
        c = self.config
        tc, b = cond.shape[:2]
        if tc < c.n_inf_frames:
            raise ValueError(f"srvp needs at least k={c.n_inf_frames} conditioning frames, got {tc}")
        codes, skips = self.encode(cond)
        # Sample s of video v sits at batch index v * n_samples + s.
        codes = codes.repeat_interleave(n_samples, dim=1)
        w = self.content(codes[-c.n_inf_frames :])
        skip = [s[-1].repeat_interleave(n_samples, dim=0) for s in skips] if c.skip else None
        y = self.infer_y1(codes[: c.n_inf_frames]).rsample()
        q_z = from_softplus_params(self.q_z(self.z_filter(codes)[0][1:]))
        for i in range(tc - 1):
            y, _ = self.step(y, q_z.mean[i] + q_z.scale[i] * torch.randn_like(q_z.mean[i]))
        future = []
        for _ in range(n_future):
            y, _ = self.step(y, self.prior_z(y).rsample())
            future.append(y)
        frames = self.decode(w, torch.stack(future), skip)  # (n_future, B*S, C, H, W)
        frames = frames.view(n_future, b, n_samples, *frames.shape[2:])
        return frames.permute(2, 0, 1, 3, 4, 5).contiguous()


MODELS = {"srvp": ModelSpec(SRVP, SRVPConfig)}
