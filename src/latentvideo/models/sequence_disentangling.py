"""The parts R-WAE (Han et al. 2021) and DS-VAE (Li & Mandt 2018) share: a sequence is split into one static
(content) code z^c and one dynamic (motion) code z^m_t per frame, optionally with a categorical action a.

Following R-WAE's Figs. 1 and 8 (and DS-VAE, which it builds on):

* frame encoder: ``x_t -> e_t`` (``coder``: architecture "S", :class:`ConvFrameEncoder`, DS-VAE's convolutional
  coder; "C", :mod:`latentvideo.models.ladder_coder`, Appendix E's ResBlock ladder; or ``mlp``,
  :class:`MLPFrameEncoder`, the 2-hidden-layer MLP of 256 units R-WAE and DS-VAE use on TIMIT's spectra), and
  its mirror, the frame decoder;
* content posterior q(z^c | x_1:T): a bidirectional LSTM over e_1:T, its last forward and first backward
  states -> (mean, log-variance) (Fig. 8a; DS-VAE's q(f | x));
* motion posterior q(z^m_t | x_t, z^m_<t) (``motion_posterior``):
  ``recurrent`` (R-WAE Fig. 8b: an LSTM over [e_t, z^m_t-1]); ``full`` (DS-VAE's full q: a bidirectional LSTM
  over [e_t, z^c], then a forward RNN); ``factorised`` (DS-VAE's factorised q(z_t | x_t): an MLP of e_t);
* motion prior p(z^m_t | z^m_<t): an LSTM over z^m_t-1 (z^m_0 = 0) -> (mean, log-variance);
* action posterior q(a | x_1:T, z^m_1:T) (``actions`` > 0; R-WAE Fig. 8c): an LSTM over z^m_t, its last state
  -> class logits, sampled with the Gumbel-softmax relaxation at temperature ``temperature``; prior uniform;
* generator: [z^c, z^m_t (, a)] -> FC -> LSTM -> h_t (R-WAE Fig. 8d/e; ``decoder_lstm``) or -> FC -> h_t
  (DS-VAE: p(x_t | z_t, f) has no recurrence) -> frame decoder -> frame in [0, 1].

The papers do not give the S coder's widths, the LSTM sizes of Fig. 8, the activation of the FC layers, or
where exactly the bidirectional LSTM's states are read: the choices here are ours and listed in README
"R-WAE". ``x: (T, B, C, H, W)`` float in [0, 1] throughout, except with ``likelihood: gaussian_real``: real
values, TIMIT's log spectra as ``(T, B, 1, 1, bins)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from latentvideo.models.gaussian import DiagGaussian, from_logvar, kl_divergence
from latentvideo.models.ladder_coder import FRAME_SIZE as LADDER_FRAME_SIZE
from latentvideo.models.ladder_coder import LadderDecoder, LadderEncoder, check_ladder
from latentvideo.models.mlp import make_mlp

LEAK = 0.2
CONV_FRAME_SIZES = {64: 4, 32: 3, 16: 2}  # frame size -> stride-2 layers down to 4x4
MOTION_POSTERIORS = ("recurrent", "full", "factorised")
LIKELIHOODS = ("bernoulli", "gaussian", "gaussian_real")
CODERS = ("s", "c", "mlp")
MLP_LAYERS = 3  # linear layers of the MLP coder on each side: two hidden layers of mlp_width


@dataclass(frozen=True)
class SequenceCodeConfig:
    """Sizes shared by R-WAE and DS-VAE.

    channels, frame_size: the frames (64, 32 or 16 pixels; the C coder: 64; the MLP coder: frames of one row of
    ``frame_size`` values, TIMIT's 200 bins). coder: the frame coder, ``s`` or ``c`` (the paper's architectures
    "S" and "C") or ``mlp`` (TIMIT's). conv_width: channels of the S coder's hidden conv layers. mlp_width: units
    of the MLP coder's two hidden layers (R-WAE Appendix C: 256).
    encoder_width, decoder_width: the C coder's base widths w (its blocks have w ... 16 w channels; the paper:
    64 and 64, on MUG 64 and 96). frame_dim: e_t, the frame encoder's output and the frame decoder's input
    (R-WAE's h_t; a multiple of 6 with the C coder, whose ladder splits it in six). hidden:
    every LSTM's size. content_dim, motion_dim: z^c and z^m_t. actions: classes of the action variable a (0:
    none). temperature: the Gumbel-softmax's. likelihood: ``bernoulli`` (cross-entropy, SM-MNIST) or
    ``gaussian`` (squared error of the frame in [0, 1], "L2 reconstruction loss": Sprites, MUG) or
    ``gaussian_real`` (squared error of the decoder's output itself, no sigmoid: real-valued frames, TIMIT's log
    spectra; the MLP coder only). motion_posterior: see the module
    docstring. decoder_lstm: R-WAE's LSTM between the codes and the frame decoder.
    """

    channels: int = 1
    frame_size: int = 64
    coder: str = field(default="s", metadata={"enum": list(CODERS)})
    conv_width: int = 256
    mlp_width: int = field(default=256, metadata={"minimum": 1})
    encoder_width: int = field(default=64, metadata={"minimum": 1})
    decoder_width: int = field(default=64, metadata={"minimum": 1})
    frame_dim: int = 150
    hidden: int = 256
    content_dim: int = 120
    motion_dim: int = 12
    actions: int = field(default=0, metadata={"minimum": 0})
    temperature: float = field(default=0.5, metadata={"exclusiveMinimum": 0})
    likelihood: str = field(default="bernoulli", metadata={"enum": list(LIKELIHOODS)})
    motion_posterior: str = field(default="recurrent", metadata={"enum": list(MOTION_POSTERIORS)})
    decoder_lstm: bool = True

    def __post_init__(self) -> None:
        if self.coder not in CODERS:
            raise ValueError(f"coder must be one of {CODERS}, got {self.coder!r}")
        if self.coder != "mlp":
            sizes = sorted(CONV_FRAME_SIZES) if self.coder == "s" else [LADDER_FRAME_SIZE]
            if self.frame_size not in sizes:
                raise ValueError(f"frame_size must be one of {sizes} with coder {self.coder!r}, got {self.frame_size}")
        if (self.likelihood == "gaussian_real") != (self.coder == "mlp"):
            raise ValueError(f"likelihood 'gaussian_real' (real-valued frames) goes with coder 'mlp' and only with "
                             f"it; got likelihood {self.likelihood!r} with coder {self.coder!r}")
        if self.coder == "c":
            check_ladder(self.frame_dim)
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.motion_posterior not in MOTION_POSTERIORS:
            raise ValueError(f"motion_posterior must be one of {MOTION_POSTERIORS}, got {self.motion_posterior!r}")


class DisentangledCode(NamedTuple):
    """The codes of B sequences of T frames.

    content: (B, Dc) a sample of q(z^c | x) (or of the prior); content_q: its Gaussian (None for a prior draw).
    motion: (T, B, Dm) samples z^m_t; motion_q: their posterior Gaussians (T, B, Dm) (None for a prior draw);
    motion_prior: p(z^m_t | z^m_<t) along the sampled motion (T, B, Dm). action: (B, A) relaxed one-hot a, or
    None without actions; action_logits: (B, A) log class probabilities of q(a | x) (None for a prior draw).
    """

    content: torch.Tensor
    content_q: DiagGaussian | None
    motion: torch.Tensor
    motion_q: DiagGaussian | None
    motion_prior: DiagGaussian
    action: torch.Tensor | None
    action_logits: torch.Tensor | None


class ConvFrameEncoder(nn.Module):
    """Architecture "S": stride-2 convolutions (k4, BatchNorm, LeakyReLU 0.2) down to 4x4, then a linear layer:
    5 layers at 64x64 (DS-VAE's coder, as R-WAE uses it). ``(N, C, S, S) -> (N, frame_dim)``."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        layers, width = [], c.channels
        for _ in range(CONV_FRAME_SIZES[c.frame_size]):
            layers += [nn.Conv2d(width, c.conv_width, 4, 2, 1), nn.BatchNorm2d(c.conv_width), nn.LeakyReLU(LEAK)]
            width = c.conv_width
        self.convs = nn.Sequential(*layers)
        self.out = nn.Sequential(nn.Flatten(), nn.Linear(c.conv_width * 16, c.frame_dim), nn.LeakyReLU(LEAK))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.out(self.convs(frames))


class ConvFrameDecoder(nn.Module):
    """The mirror of :class:`ConvFrameEncoder`: ``(N, frame_dim) -> (N, C, S, S)`` logits (sigmoid: the frame)."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        self.width = c.conv_width
        self.project = nn.Sequential(nn.Linear(c.frame_dim, c.conv_width * 16), nn.LeakyReLU(LEAK))
        n = CONV_FRAME_SIZES[c.frame_size]
        layers = []
        for i in range(n):
            last = i == n - 1
            layers.append(nn.ConvTranspose2d(c.conv_width, c.channels if last else c.conv_width, 4, 2, 1))
            if not last:
                layers += [nn.BatchNorm2d(c.conv_width), nn.LeakyReLU(LEAK)]
        self.deconvs = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.deconvs(self.project(h).view(-1, self.width, 4, 4))


class MLPFrameEncoder(nn.Module):
    """TIMIT's coder (R-WAE Appendix C, after DS-VAE): a frame of one row of ``frame_size`` values -> two hidden
    layers of ``mlp_width`` (ReLU) -> a linear layer to ``frame_dim`` -> LeakyReLU 0.2 (as the S coder's output).
    ``(N, C, 1, frame_size) -> (N, frame_dim)``."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        self.net = nn.Sequential(make_mlp(c.channels * c.frame_size, c.mlp_width, c.frame_dim, MLP_LAYERS),
                                 nn.LeakyReLU(LEAK))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.net(frames.flatten(1))


class MLPFrameDecoder(nn.Module):
    """The mirror of :class:`MLPFrameEncoder`: ``(N, frame_dim) -> (N, C, 1, frame_size)`` real values."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        self.shape = (c.channels, 1, c.frame_size)
        self.net = make_mlp(c.frame_dim, c.mlp_width, c.channels * c.frame_size, MLP_LAYERS)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h).view(-1, *self.shape)


class GaussianHead(nn.Module):
    """``(..., n_in) -> N(mean, exp(logvar))`` over ``(..., n_out)``."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.mean, self.logvar = nn.Linear(n_in, n_out), nn.Linear(n_in, n_out)

    def forward(self, h: torch.Tensor) -> DiagGaussian:
        return from_logvar(self.mean(h), self.logvar(h))


def stack_draws(draws: list[tuple[torch.Tensor, DiagGaussian]]) -> tuple[torch.Tensor, DiagGaussian]:
    """Per-step ``(sample (B, D), Gaussian)`` pairs -> samples ``(T, B, D)`` and their Gaussians ``(T, B, D)``."""
    return (torch.stack([z for z, _ in draws]),
            DiagGaussian(torch.stack([q.mean for _, q in draws]), torch.stack([q.scale for _, q in draws])))


class MotionPrior(nn.Module):
    """p(z^m_t | z^m_<t): an LSTM cell over z^m_t-1 (zeros at t = 1)."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        self.cell, self.head, self.dim = nn.LSTMCell(c.motion_dim, c.hidden), GaussianHead(c.hidden, c.motion_dim), c.motion_dim

    def along(self, motion: torch.Tensor) -> DiagGaussian:
        """The prior of each step given the previous ones of ``motion: (T, B, Dm)``, as (T, B, Dm) Gaussians."""
        previous = torch.cat([torch.zeros_like(motion[:1]), motion[:-1]])
        hs, state = [], None
        for t in range(len(motion)):
            state = self.cell(previous[t], state)
            hs.append(state[0])
        return self.head(torch.stack(hs))

    def rollout(self, steps: int, batch: int, device: torch.device) -> tuple[torch.Tensor, DiagGaussian]:
        """Samples ``(steps, B, Dm)`` drawn step by step from the prior, and the Gaussians they were drawn from."""
        z = torch.zeros(batch, self.dim, device=device)
        state, draws = None, []
        for _ in range(steps):
            state = self.cell(z, state)
            p = self.head(state[0])
            z = p.rsample()
            draws.append((z, p))
        return stack_draws(draws)


class MotionPosterior(nn.Module):
    """q(z^m_1:T | x_1:T (, z^c)) in one of the three forms of the module docstring."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        self.kind, self.dim = c.motion_posterior, c.motion_dim
        if c.motion_posterior == "recurrent":
            self.cell = nn.LSTMCell(c.frame_dim + c.motion_dim, c.hidden)
        elif c.motion_posterior == "full":
            self.bilstm = nn.LSTM(c.frame_dim + c.content_dim, c.hidden, bidirectional=True)
            self.rnn = nn.RNN(2 * c.hidden, c.hidden)
        else:
            self.mlp = nn.Sequential(nn.Linear(c.frame_dim, c.hidden), nn.LeakyReLU(LEAK))
        self.head = GaussianHead(c.hidden, c.motion_dim)

    def forward(self, e: torch.Tensor, content: torch.Tensor) -> tuple[torch.Tensor, DiagGaussian]:
        """``e: (T, B, frame_dim)``, ``content: (B, Dc)`` -> samples and Gaussians ``(T, B, Dm)``."""
        if self.kind == "recurrent":
            z, state, draws = e.new_zeros(e.shape[1], self.dim), None, []
            for t in range(len(e)):
                state = self.cell(torch.cat([e[t], z], dim=-1), state)
                q = self.head(state[0])
                z = q.rsample()
                draws.append((z, q))
            return stack_draws(draws)
        if self.kind == "full":
            both, _ = self.bilstm(torch.cat([e, content.unsqueeze(0).expand(len(e), -1, -1)], dim=-1))
            q = self.head(self.rnn(both)[0])
        else:
            q = self.head(self.mlp(e))
        return q.rsample(), q


class ContentPosterior(nn.Module):
    """q(z^c | x_1:T): a bidirectional LSTM over e_1:T; [last forward state, first backward state] -> Gaussian."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        self.bilstm = nn.LSTM(c.frame_dim, c.hidden, bidirectional=True)
        self.head = GaussianHead(2 * c.hidden, c.content_dim)
        self.hidden = c.hidden

    def forward(self, e: torch.Tensor) -> DiagGaussian:
        out, _ = self.bilstm(e)
        return self.head(torch.cat([out[-1, :, :self.hidden], out[0, :, self.hidden:]], dim=-1))


class ActionPosterior(nn.Module):
    """q(a | x_1:T, z^m_1:T): an LSTM over z^m_t, its last state -> log class probabilities ``(B, A)``."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        self.lstm, self.head = nn.LSTM(c.motion_dim, c.hidden), nn.Linear(c.hidden, c.actions)

    def forward(self, motion: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.head(self.lstm(motion)[0][-1]), dim=-1)


FRAME_CODERS = {  # coder -> (frame encoder, frame decoder) of a SequenceCodeConfig
    "s": (ConvFrameEncoder, ConvFrameDecoder),
    "c": (lambda c: LadderEncoder(c.channels, c.frame_dim, c.encoder_width),
          lambda c: LadderDecoder(c.channels, c.frame_dim, c.decoder_width)),
    "mlp": (MLPFrameEncoder, MLPFrameDecoder),
}


def frame_encoder(c: SequenceCodeConfig) -> nn.Module:
    """The ``coder``'s frame encoder, ``(N, C, H, W) -> (N, frame_dim)``."""
    return FRAME_CODERS[c.coder][0](c)


def frame_decoder(c: SequenceCodeConfig) -> nn.Module:
    """The ``coder``'s frame decoder, ``(N, frame_dim) -> (N, C, H, W)``: logits, or the values themselves with
    ``likelihood: gaussian_real`` (:func:`frame_values`)."""
    return FRAME_CODERS[c.coder][1](c)


class FrameGenerator(nn.Module):
    """[z^c, z^m_t (, a)] -> frame logits ``(T, B, C, S, S)``, through an LSTM (R-WAE) or not (DS-VAE)."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        n_in = c.content_dim + c.motion_dim + c.actions
        self.fc = nn.Sequential(nn.Linear(n_in, c.hidden), nn.LeakyReLU(LEAK))
        self.lstm = nn.LSTM(c.hidden, c.hidden) if c.decoder_lstm else None
        self.to_frame = nn.Linear(c.hidden, c.frame_dim)
        self.decoder = frame_decoder(c)

    def forward(self, content: torch.Tensor, motion: torch.Tensor, action: torch.Tensor | None) -> torch.Tensor:
        steps = len(motion)
        parts = [content.unsqueeze(0).expand(steps, -1, -1), motion]
        if action is not None:
            parts.append(action.unsqueeze(0).expand(steps, -1, -1))
        h = self.fc(torch.cat(parts, dim=-1))
        if self.lstm is not None:
            h = self.lstm(h)[0]
        logits = self.decoder(F.leaky_relu(self.to_frame(h), LEAK).flatten(0, 1))
        return logits.view(steps, -1, *logits.shape[1:])


def gumbel_softmax(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """A relaxed one-hot sample ``softmax((log alpha + g) / tau)``, g ~ Gumbel(0, 1) (global torch generator)."""
    u = torch.rand_like(logits).clamp(1e-10, 1 - 1e-10)
    return F.softmax((logits - torch.log(-torch.log(u))) / temperature, dim=-1)


def categorical_kl_to_uniform(log_probs: torch.Tensor) -> torch.Tensor:
    """KL(q(a) || uniform) in nats per sequence, ``log_probs: (B, A)`` -> ``(B,)`` (JointVAE's discrete term)."""
    return (log_probs.exp() * (log_probs + math.log(log_probs.shape[-1]))).sum(-1)


def frame_values(logits: torch.Tensor, likelihood: str) -> torch.Tensor:
    """The frames the decoder's output stands for: ``sigmoid(logits)`` in [0, 1] (``bernoulli``, ``gaussian``),
    the output itself for real-valued frames (``gaussian_real``)."""
    return logits if likelihood == "gaussian_real" else torch.sigmoid(logits)


def reconstruction_cost(logits: torch.Tensor, x: torch.Tensor, likelihood: str) -> torch.Tensor:
    """Per sequence, summed over pixels and frames, mean over the batch: Bernoulli cross-entropy of ``logits``
    or the squared error of :func:`frame_values` (both ``(T, B, C, H, W)``; ``x`` in [0, 1] but with
    ``gaussian_real``)."""
    if likelihood == "bernoulli":
        cost = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    else:
        cost = (frame_values(logits, likelihood) - x).pow(2).sum()
    return cost / x.shape[1]


def motion_kl(code: DisentangledCode) -> torch.Tensor:
    """sum_t KL(q(z^m_t | .) || p(z^m_t | z^m_<t)) per sequence, batch mean (nats)."""
    return kl_divergence(code.motion_q, code.motion_prior).sum() / code.content.shape[0]


def action_kl(code: DisentangledCode) -> torch.Tensor:
    """KL(q(a | x) || uniform) per sequence, batch mean (nats); 0 without an action variable."""
    if code.action_logits is None:
        return code.content.new_zeros(())
    return categorical_kl_to_uniform(code.action_logits).mean()


class SequenceCoder(nn.Module):
    """The encoder and generator of the module docstring, with the operations the evaluations need."""

    def __init__(self, c: SequenceCodeConfig):
        super().__init__()
        self.config = c
        self.frame_encoder = frame_encoder(c)
        self.content_posterior = ContentPosterior(c)
        self.motion_posterior = MotionPosterior(c)
        self.action_posterior = ActionPosterior(c) if c.actions else None
        self.motion_prior = MotionPrior(c)
        self.generator = FrameGenerator(c)

    def encoder_modules(self) -> list[nn.Module]:
        """The inference model q_phi (R-WAE's encoder optimiser)."""
        return [m for m in (self.frame_encoder, self.content_posterior, self.motion_posterior, self.action_posterior)
                if m is not None]

    def encode(self, x: torch.Tensor) -> DisentangledCode:
        """Posterior samples of ``x: (T, B, C, H, W)``; the motion prior is evaluated along the sampled motion."""
        e = self.frame_encoder(x.flatten(0, 1)).view(*x.shape[:2], -1)
        content_q = self.content_posterior(e)
        content = content_q.rsample()
        motion, motion_q = self.motion_posterior(e, content)
        action = logits = None
        if self.action_posterior is not None:
            logits = self.action_posterior(motion)
            action = gumbel_softmax(logits, self.config.temperature)
        return DisentangledCode(content, content_q, motion, motion_q, self.motion_prior.along(motion), action, logits)

    def sample_content(self, batch: int, device: torch.device) -> torch.Tensor:
        """``(B, Dc)`` draws of p(z^c) = N(0, I)."""
        return torch.randn(batch, self.config.content_dim, device=device)

    def sample_action(self, batch: int, device: torch.device) -> torch.Tensor | None:
        """``(B, A)`` one-hot draws of the uniform p(a), or None without actions."""
        if not self.config.actions:
            return None
        return F.one_hot(torch.randint(self.config.actions, (batch,), device=device), self.config.actions).float()

    def prior_code(self, steps: int, batch: int, device: torch.device) -> DisentangledCode:
        """z^c, z^m_1:T (and a) drawn from the priors."""
        motion, prior = self.motion_prior.rollout(steps, batch, device)
        return DisentangledCode(self.sample_content(batch, device), None, motion, None, prior,
                                self.sample_action(batch, device), None)

    def reconstruction(self, code: DisentangledCode, x: torch.Tensor) -> torch.Tensor:
        """:func:`reconstruction_cost` of ``x`` decoded from its own ``code`` (the config's likelihood)."""
        return reconstruction_cost(self.generator(code.content, code.motion, code.action), x, self.config.likelihood)

    def frames(self, content: torch.Tensor, motion: torch.Tensor, action: torch.Tensor | None = None) -> torch.Tensor:
        """Generated frames ``(T, B, C, H, W)`` (in [0, 1] but with ``gaussian_real``) of ``content: (B, Dc)``,
        ``motion: (T, B, Dm)``."""
        return frame_values(self.generator(content, motion, action), self.config.likelihood)
