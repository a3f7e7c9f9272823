"""How a model optimises itself: its optimisers, schedulers and one training step, behind a small interface.

The trainer knows nothing of Adam or of inner loops. It asks the model for an :class:`Optimisation`
(``model.configure_optimisation(settings)``) once, then calls ``model.training_step(x, optimisation)`` per
batch and checkpoints ``optimisation.state_dict()`` (every optimiser's and scheduler's state, by name).

Most models here take one Adam step on ``loss(x).total`` with SRVP's schedule: they inherit
:class:`AdamStep`. A model with several optimisers (an adversary, a critic, an inner loop) overrides both
methods; :mod:`latentvideo.models.adversarial_autoencoder` is the smallest such model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, Protocol

import torch


class OptimiserSettings(NamedTuple):
    """What a model needs to build its optimisers: config ``models.<m>.optimizer`` and the budget's run length.

    lr: base learning rate. betas: Adam's (beta1, beta2). steps: optimisation steps of the whole run.
    lr_decay_steps: the rate decays linearly to 0 over the last ``lr_decay_steps`` steps; 0 keeps it constant.
    """

    lr: float
    betas: tuple[float, float]
    steps: int
    lr_decay_steps: int


def constant_then_linear_decay(total_steps: int, decay_steps: int) -> Callable[[int], float]:
    """Multiplier of the base lr for ``LambdaLR`` at step s (0-based): 1 until ``total - decay``, then -> 0.

    SRVP's schedule; ``decay_steps = 0`` gives a constant rate (SVG's and Whitney & Fergus's setting).
    """
    burn_in = total_steps - decay_steps

    def factor(step: int) -> float:
        if decay_steps == 0 or step < burn_in:
            return 1.0
        return max(0.0, 1.0 - (step - burn_in) / decay_steps)

    return factor


class Optimisation:
    """A model's optimisers and learning-rate schedulers, by name (a scheduler shares its optimiser's name)."""

    def __init__(self, optimizers: Mapping[str, torch.optim.Optimizer],
                 schedulers: Mapping[str, torch.optim.lr_scheduler.LRScheduler] | None = None):
        schedulers = dict(schedulers or {})
        unknown = set(schedulers) - set(optimizers)
        if unknown:
            raise ValueError(f"schedulers {sorted(unknown)} have no optimiser of that name")
        self.optimizers = dict(optimizers)
        self.schedulers = schedulers

    def state_dict(self) -> dict[str, dict[str, Any]]:
        """``{"optimizers": {name: state_dict}, "schedulers": {name: state_dict}}``."""
        return {"optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
                "schedulers": {n: s.state_dict() for n, s in self.schedulers.items()}}

    def load_state_dict(self, state: Mapping[str, Mapping[str, Any]]) -> None:
        """Restore every optimiser and scheduler; a checkpoint with other names is refused, naming both sets."""
        for kind, own in (("optimizers", self.optimizers), ("schedulers", self.schedulers)):
            if set(state[kind]) != set(own):
                raise ValueError(f"checkpoint holds {kind} {sorted(state[kind])}, the model has {sorted(own)}")
            for name, obj in own.items():
                obj.load_state_dict(state[kind][name])

    def learning_rates(self) -> dict[str, float]:
        """The current learning rate of each optimiser (its first parameter group), by name."""
        return {name: float(opt.param_groups[0]["lr"]) for name, opt in self.optimizers.items()}


def adam(parameters: Iterable[torch.nn.Parameter], settings: OptimiserSettings
         ) -> tuple[torch.optim.Adam, torch.optim.lr_scheduler.LambdaLR]:
    """Adam with ``settings``' rate and betas, and SRVP's constant-then-linear-decay schedule."""
    optimizer = torch.optim.Adam(parameters, lr=settings.lr, betas=tuple(settings.betas))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, constant_then_linear_decay(settings.steps, settings.lr_decay_steps))
    return optimizer, scheduler


class Trainable(Protocol):
    """The interface the trainer calls. ``x: (T, B, C, H, W)`` float in [0, 1]."""

    def configure_optimisation(self, settings: OptimiserSettings) -> Optimisation: ...

    def training_step(self, x: torch.Tensor, optimisation: Optimisation) -> NamedTuple:
        """One optimisation step on batch ``x``; returns the loss terms (a NamedTuple with ``total``)."""
        ...


class AdamStep:
    """Mixin for a module with ``loss(x)``: one Adam (named ``adam``) on all parameters, one step per batch."""

    def configure_optimisation(self, settings: OptimiserSettings) -> Optimisation:
        optimizer, scheduler = adam(self.parameters(), settings)
        return Optimisation({"adam": optimizer}, {"adam": scheduler})

    def training_step(self, x: torch.Tensor, optimisation: Optimisation) -> NamedTuple:
        loss = self.loss(x)
        optimizer = optimisation.optimizers["adam"]
        optimizer.zero_grad(set_to_none=True)
        loss.total.backward()
        optimizer.step()
        optimisation.schedulers["adam"].step()
        return loss
