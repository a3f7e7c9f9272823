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

from latentvideo.models.frame_coders import CoderRequest, build_coders, coder_problems, initialise
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
    nf: int = 64  # filters of the first convolutional layer (DCGAN or VGG)
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
    # "residual": y + dt f(y, z); "mlp": y' = f(y, z); "gru": y' = GRUCell(input z, hidden y) (the paper's
    # Ours-GRU; the paper gives no details, one GRU cell of ny units is ours)
    dynamics: str = field(default="residual", metadata={"enum": ["residual", "mlp", "gru"]})
    latent_z: bool = True  # False: the paper's "Ours w/o z" (no z, no prior; deterministic y_{t+1} = y_t + f(y_t))
    # standard deviation of the Gaussian observation model (sqrt of nu)
    obs_scale: float = field(default=1.0, metadata={"exclusiveMinimum": 0})
    beta_y: float = 1.0
    beta_z: float = 2.0
    l2_res: float = 1.0
    skip: bool = False  # skip connections from a frame to the decoder (off on SM-MNIST)
    # Appendix E (Pendulum): "without the content variable w" and "MLP" encoders / decoders (sizes: ours)
    content: bool = True  # False: no w; frames are decoded from y alone
    # "dcgan": SM-MNIST; "vgg": KTH, Human3.6M, BAIR (the official --archi vgg); "mlp": Pendulum
    frame_coder: str = field(default="dcgan", metadata={"enum": ["dcgan", "vgg", "mlp"]})
    frame_size: int = 64  # pixels per side: DCGAN 64 (32: ours, small budgets), VGG 64, MLP coder any
    coder_hidden: int = 256  # MLP coder: hidden units
    coder_layers: int = 3  # MLP coder: linear layers

    def __post_init__(self) -> None:
        substeps = 1.0 / self.dt
        if self.dt <= 0 or abs(substeps - round(substeps)) > 1e-9:
            raise ValueError(f"srvp: 1/dt must be a positive integer, got dt={self.dt}")
        if self.dynamics not in ("residual", "mlp", "gru"):
            raise ValueError(f"srvp: dynamics must be 'residual', 'mlp' or 'gru', got {self.dynamics!r}")
        problems = coder_problems("srvp", self.frame_coder, "srvp", self.frame_size, self.skip)
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def substeps(self) -> int:
        return round(1.0 / self.dt)


def substeps_of(dt: float) -> int:
    """Euler sub-steps per frame for step size ``dt`` (1/dt must be a positive integer)."""
    substeps = 1.0 / dt if dt > 0 else 0.0
    if dt <= 0 or dt > 1 or abs(substeps - round(substeps)) > 1e-9:
        raise ValueError(f"srvp: 1/dt must be a positive integer, got dt={dt}")
    return round(substeps)


class SRVPOutput(NamedTuple):
    """What one training pass infers for a sequence of T frames and batch B.

    recon: (T, B, C, H, W) in [0, 1], decoded from y at integer times.
    y: (T, B, ny) states at integer times. z: (T-1, B, nz) posterior samples for t = 2..T ((T-1, B, 0) without z).
    w: (B, inf_hidden) content variable ((B, 0) without it). q_y: q(y_1) with (B, ny) parameters.
    q_z, p_z: posterior and prior over z_{2:T}, (T-1, B, nz) parameters.
    residuals: (T-1, substeps, B, ny) the increments dt * f applied at each Euler sub-step.
    """

    recon: torch.Tensor
    y: torch.Tensor
    z: torch.Tensor
    w: torch.Tensor
    q_y: DiagGaussian
    q_z: DiagGaussian | None
    p_z: DiagGaussian | None
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


class ELBO(NamedTuple):
    """The evidence lower bound of each video and its terms, ``(B,)`` each, in nats per video (summed over frames
    and pixels; weights 1, no residual penalty): ``elbo = log_likelihood - kl_y - kl_z``."""

    elbo: torch.Tensor
    log_likelihood: torch.Tensor
    kl_y: torch.Tensor
    kl_z: torch.Tensor


class Step(NamedTuple):
    """One frame of dynamics: y after it ``(B, ny)``, after each Euler sub-step ``(S, B, ny)``, the increments."""

    y: torch.Tensor
    states: torch.Tensor
    residuals: torch.Tensor


class Conditioned(NamedTuple):
    """What prediction starts from: content ``w: (B*N, inf_hidden)``, skips or None, y at the last cond frame."""

    w: torch.Tensor
    skip: list[torch.Tensor] | None
    y: torch.Tensor


class Interpolation(NamedTuple):
    """Figure 9: reconstructions of both end videos ``(T, B, C, H, W)``, trajectories ``(steps, T, B, C, H, W)``."""

    source_reconstruction: torch.Tensor
    target_reconstruction: torch.Tensor
    trajectories: torch.Tensor


class SRVP(AdamStep, nn.Module):
    """The SRVP video model. ``x: (T, B, C, S, S)`` float in [0, 1] throughout (S = ``frame_size``, 64 for the
    DCGAN coder)."""

    def __init__(self, config: SRVPConfig):
        super().__init__()
        c = config
        self.config = c
        w_dim = c.inf_hidden if c.content else 0
        self.encoder, self.decoder = build_coders(c.frame_coder, CoderRequest(
            "srvp", c.channels, c.frame_size, c.enc_dim, w_dim + c.ny, c.nf, c.skip, c.coder_hidden, c.coder_layers))
        if c.content:
            self.w_proj = nn.Sequential(nn.Linear(c.enc_dim, c.inf_hidden), nn.ReLU(inplace=True))
            self.w_out = nn.Sequential(nn.Linear(c.inf_hidden, c.inf_hidden), nn.Tanh())
        self.q_y = make_mlp(c.enc_dim * c.n_inf_frames, c.inf_hidden, 2 * c.ny, c.inf_layers)
        nz = c.nz if c.latent_z else 0
        if c.latent_z:
            self.z_filter = nn.LSTM(c.enc_dim, c.inf_hidden, 1)
            self.q_z = nn.Linear(c.inf_hidden, 2 * nz)
            self.p_z = make_mlp(c.ny, c.res_hidden, 2 * nz, c.res_layers)
        if c.dynamics == "gru":
            self.dynamics = nn.GRUCell(max(nz, 1), c.ny)
        else:
            self.dynamics = make_mlp(c.ny + nz, c.res_hidden, c.ny, c.res_layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Official init: N(0, 0.02) convolutions, orthogonal(gain) residual MLP, PyTorch defaults elsewhere
        (the MLP frame coder included)."""
        initialise(self.config.frame_coder, self.encoder, self.decoder)
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
        """Content variable ``w: (B, inf_hidden)`` from ``codes: (k, B, enc_dim)``, permutation-invariant
        (``(B, 0)`` for a model without it)."""
        if not self.config.content:
            return codes.new_zeros(codes.shape[1], 0)
        return self.w_out(self.w_proj(codes).sum(0))

    def infer_y1(self, codes: torch.Tensor) -> DiagGaussian:
        """q(y_1 | x_{1:k}) from the first k codes ``(k, B, enc_dim)``."""
        k, b = codes.shape[:2]
        return from_softplus_params(self.q_y(codes.permute(1, 0, 2).reshape(b, k * codes.shape[2])))

    def prior_z(self, y: torch.Tensor) -> DiagGaussian:
        """p(z_{t+1} | y_t) for ``y: (B, ny)``."""
        return from_softplus_params(self.p_z(y))

    def no_z(self, y: torch.Tensor) -> torch.Tensor:
        """The empty ``(B, 0)`` z of the model without z."""
        return y.new_zeros(y.shape[0], 0)

    def step(self, y: torch.Tensor, z: torch.Tensor, dt: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Advance one frame: ``1/dt`` Euler sub-steps with the same z (``dt`` defaults to the trained one).

        Returns the :class:`Step`: the state after every sub-step and the increment applied at it."""
        dt = self.config.dt if dt is None else dt
        states, residuals = [], []
        for _ in range(substeps_of(dt)):
            if self.config.dynamics == "gru":  # a recurrent cell: y is its hidden state, z its input
                nxt = self.dynamics(z if z.shape[1] else y.new_zeros(y.shape[0], 1), y)
                res = nxt - y
            else:
                f = self.dynamics(torch.cat([y, z], 1))
                if self.config.dynamics == "residual":
                    res = dt * f
                    nxt = y + res
                else:  # the paper's "MLP" ablation: the network outputs the next state directly
                    res = f - y
                    nxt = f
            y = nxt
            states.append(y)
            residuals.append(res)
        return Step(y, torch.stack(states), torch.stack(residuals))

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
        """Filter a fully observed sequence ``x: (T, B, C, H, W)`` and reconstruct it.

        In training mode the content variable w comes from k frames drawn at random per sequence and the skip
        connections from a random frame, as in the paper; in eval mode (validation) from the last k frames and
        the last frame, as the official code does, so a validation loss does not depend on a random draw."""
        c = self.config
        t, b = x.shape[:2]
        if t < c.n_inf_frames:
            raise ValueError(f"srvp needs at least k={c.n_inf_frames} frames, got {t}")
        codes, skips = self.encode(x)
        batch = torch.arange(b, device=x.device)
        if not c.content:
            w = self.content(codes)
        elif self.training:
            idx = torch.stack([torch.randperm(t, device=x.device)[: c.n_inf_frames] for _ in range(b)], 1)
            w = self.content(codes[idx, batch.expand_as(idx)])
        else:
            w = self.content(codes[-c.n_inf_frames :])
        skip = None
        if c.skip:
            frame = torch.randint(t, (b,), device=x.device) if self.training else torch.full((b,), t - 1)
            skip = [s[frame, batch] for s in skips]
        q_y = self.infer_y1(codes[: c.n_inf_frames])
        q_z = from_softplus_params(self.q_z(self.z_filter(codes)[0][1:])) if c.latent_z else None
        y = [q_y.rsample()]
        zs, p_means, p_scales, residuals = [], [], [], []
        for i in range(t - 1):
            if q_z is not None:
                p = self.prior_z(y[-1])
                p_means.append(p.mean)
                p_scales.append(p.scale)
                z = q_z.mean[i] + q_z.scale[i] * torch.randn_like(q_z.mean[i])
            else:
                z = self.no_z(y[-1])
            advanced = self.step(y[-1], z)
            zs.append(z)
            y.append(advanced.y)
            residuals.append(advanced.residuals)
        y_all = torch.stack(y)
        recon = self.decode(w, y_all, skip)
        return SRVPOutput(
            recon=recon,
            y=y_all,
            z=torch.stack(zs),
            w=w,
            q_y=q_y,
            q_z=q_z,
            p_z=DiagGaussian(torch.stack(p_means), torch.stack(p_scales)) if q_z is not None else None,
            residuals=torch.stack(residuals),
        )

    def _elementwise_terms(self, x: torch.Tensor, out: SRVPOutput) -> tuple[torch.Tensor, torch.Tensor,
                                                                          torch.Tensor | None]:
        """The ELBO's terms before any sum: NLL ``(T, B, C, H, W)``, KL(y_1) ``(B, ny)``, KL(z) ``(T-1, B, nz)``
        (None without z), in nats."""
        nll = gaussian_nll(x, out.recon, self.config.obs_scale)
        kl_y = kl_divergence(out.q_y, standard_normal_like(out.q_y.mean))
        return nll, kl_y, kl_divergence(out.q_z, out.p_z) if out.q_z is not None else None

    def loss(self, x: torch.Tensor) -> SRVPLoss:
        """Negative ELBO with SRVP's weights and residual penalty, per sequence (divided by batch size)."""
        c = self.config
        b = x.shape[1]
        out = self(x)
        nll_terms, kl_y_terms, kl_z_terms = self._elementwise_terms(x, out)
        nll = nll_terms.sum() / b
        kl_y = kl_y_terms.sum() / b
        kl_z = kl_z_terms.sum() / b if kl_z_terms is not None else nll.new_zeros(())
        res = out.residuals.norm(p=2, dim=-1).sum() / b
        total = nll + c.beta_y * kl_y + c.beta_z * kl_z + c.l2_res * res
        return SRVPLoss(total, nll, kl_y, kl_z, res)

    def elbo(self, x: torch.Tensor) -> ELBO:
        """The ELBO of each video ``x: (T, B, C, H, W)`` (one posterior sample; call in eval mode for the test
        protocol's w): ``log p(x | y) - KL(q(y_1) || N(0, I)) - sum_t KL(q(z_t) || p(z_t | y_{t-1}))``."""
        nll_terms, kl_y_terms, kl_z_terms = self._elementwise_terms(x, self(x))
        log_likelihood = -nll_terms.flatten(2).sum(2).sum(0)
        kl_y = kl_y_terms.sum(-1)
        kl_z = kl_z_terms.sum(-1).sum(0) if kl_z_terms is not None else torch.zeros_like(kl_y)
        return ELBO(log_likelihood - kl_y - kl_z, log_likelihood, kl_y, kl_z)

    # -- prediction ------------------------------------------------------------------------------
    def _condition(self, cond: torch.Tensor, n_samples: int) -> Conditioned:
        """Infer w, the skips and y at the last conditioning frame from ``cond: (Tc, B, C, H, W)``, with the
        trained Euler step (the official ``test.py`` filters the conditioning frames with the training
        ``n_euler_steps`` whatever the test-time step); sample s of video v sits at batch index
        v * n_samples + s."""
        c = self.config
        tc = cond.shape[0]
        if tc < c.n_inf_frames:
            raise ValueError(f"srvp needs at least k={c.n_inf_frames} conditioning frames, got {tc}")
        codes, skips = self.encode(cond)
        codes = codes.repeat_interleave(n_samples, dim=1)
        w = self.content(codes[-c.n_inf_frames :])
        skip = [s[-1].repeat_interleave(n_samples, dim=0) for s in skips] if c.skip else None
        y = self.infer_y1(codes[: c.n_inf_frames]).rsample()
        if c.latent_z:
            q_z = from_softplus_params(self.q_z(self.z_filter(codes)[0][1:]))
            for i in range(tc - 1):
                y = self.step(y, q_z.mean[i] + q_z.scale[i] * torch.randn_like(q_z.mean[i])).y
        else:
            for _ in range(tc - 1):
                y = self.step(y, self.no_z(y)).y
        return Conditioned(w, skip, y)

    def _roll_out(self, y: torch.Tensor, n_future: int, dt: float | None) -> torch.Tensor:
        """States after every Euler sub-step of ``n_future`` frames from ``y: (B, ny)``: ``(n_future, S, B, ny)``."""
        states = []
        for _ in range(n_future):
            advanced = self.step(y, self.prior_z(y).rsample() if self.config.latent_z else self.no_z(y), dt)
            y = advanced.y
            states.append(advanced.states)
        return torch.stack(states)

    @torch.no_grad()
    def sample(self, cond: torch.Tensor, n_future: int, n_samples: int = 1, dt: float | None = None,
               intermediate: bool = False) -> torch.Tensor:
        """Condition on ``cond: (Tc, B, C, H, W)`` and sample futures.

        Returns ``(n_samples, n_future, B, C, H, W)`` in [0, 1]; with ``intermediate`` every Euler sub-step is
        decoded, ``(n_samples, n_future * S, B, C, H, W)`` with S = 1/dt, frame j*S + S-1 falling on the
        (j+1)-th future frame. ``dt`` (default: the trained step) is the Euler step of the prediction; the
        conditioning frames are filtered at the trained step, as the official ``test.py`` (its ``generate`` gets
        the test-time step, its conditioning pass the training one). Inference follows the official test
        protocol: y_1 from the first k frames, w from the last k, z from the posterior over the conditioning
        frames, then from the learned prior.
        """
        b = cond.shape[1]
        start = self._condition(cond, n_samples)
        states = self._roll_out(start.y, n_future, dt)  # (n_future, S, B*N, ny)
        if not intermediate:
            states = states[:, -1:]
        frames = self.decode(start.w, states.flatten(0, 1), start.skip)  # (n_future * S', B*N, C, H, W)
        frames = frames.view(frames.shape[0], b, n_samples, *frames.shape[2:])
        return frames.permute(2, 0, 1, 3, 4, 5).contiguous()

    @torch.no_grad()
    def interpolate_initial_state(self, source: torch.Tensor, target: torch.Tensor, n_frames: int,
                                  steps: int) -> Interpolation:
        """Figure 9: decode trajectories from initial states interpolated between two videos' y_1.

        ``source, target: (T, B, C, H, W)``, T >= k. y_1 is the posterior mean from each video's first k frames
        and w the source's content; ``steps`` >= 2 interpolation weights from 0 (source) to 1 (target). For a
        model with z, z follows the prior mean. Returns the reconstructions of both videos ``(n_frames, B, C, H,
        W)`` and the interpolated trajectories ``(steps, n_frames, B, C, H, W)``.
        """
        c = self.config
        codes_s, _ = self.encode(source)
        codes_t, _ = self.encode(target)
        w = self.content(codes_s[-c.n_inf_frames :])
        y_s, y_t = self.infer_y1(codes_s[: c.n_inf_frames]).mean, self.infer_y1(codes_t[: c.n_inf_frames]).mean
        weights = torch.linspace(0, 1, steps, device=source.device)
        trajectories = [self._mean_trajectory(torch.lerp(y_s, y_t, a), n_frames) for a in weights]
        frames = [self.decode(w, y, None) for y in trajectories]
        return Interpolation(source_reconstruction=frames[0], target_reconstruction=self.decode(
            self.content(codes_t[-c.n_inf_frames :]), trajectories[-1], None), trajectories=torch.stack(frames))

    def _mean_trajectory(self, y: torch.Tensor, n_frames: int) -> torch.Tensor:
        """``(n_frames, B, ny)`` from ``y_1: (B, ny)`` with z at its prior mean (or none)."""
        states = [y]
        for _ in range(n_frames - 1):
            z = self.prior_z(y).mean if self.config.latent_z else self.no_z(y)
            y = self.step(y, z).y
            states.append(y)
        return torch.stack(states)

    @torch.no_grad()
    def swap_content(self, content: torch.Tensor, dynamics: torch.Tensor, n_future: int) -> torch.Tensor:
        """Figure 11: w (and skips) from ``content``'s frames, y and z from ``dynamics``' frames.

        ``content, dynamics: (Tc, B, C, H, W)``; returns ``(Tc + n_future, B, C, H, W)``: the dynamics video's
        conditioning frames re-decoded with the other content, then its predicted future (z from the prior)."""
        c = self.config
        codes_c, skips_c = self.encode(content)
        codes_d, _ = self.encode(dynamics)
        w = self.content(codes_c[-c.n_inf_frames :])
        skip = [s[-1] for s in skips_c] if c.skip else None
        y = self.infer_y1(codes_d[: c.n_inf_frames]).mean
        states = [y]
        q_z = from_softplus_params(self.q_z(self.z_filter(codes_d)[0][1:])) if c.latent_z else None
        for i in range(dynamics.shape[0] - 1):
            y = self.step(y, q_z.mean[i] if q_z is not None else self.no_z(y)).y
            states.append(y)
        future = self._roll_out(y, n_future, None)[:, -1] if n_future else y.new_zeros(0, *y.shape)
        return self.decode(w, torch.cat([torch.stack(states), future]), skip)


MODELS = {
    "srvp": ModelSpec(SRVP, SRVPConfig),
    # Appendix E, Table 6 (Pendulum): SRVP without the content variable, with MLP encoder and decoder
    "srvp_mlp_codec": ModelSpec(SRVP, SRVPConfig, fixed={"frame_coder": "mlp", "content": False}),
}
