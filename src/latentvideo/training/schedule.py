"""SRVP's learning-rate schedule: constant, then linear decay to 0 over the last ``decay_steps`` steps."""

from __future__ import annotations

from collections.abc import Callable


def constant_then_linear_decay(total_steps: int, decay_steps: int) -> Callable[[int], float]:
    """Multiplier of the base lr for ``LambdaLR`` at step s (0-based): 1 until ``total - decay``, then -> 0.

    ``decay_steps = 0`` gives a constant rate (SVG's setting).
    """
    burn_in = total_steps - decay_steps

    def factor(step: int) -> float:
        if decay_steps == 0 or step < burn_in:
            return 1.0
        return max(0.0, 1.0 - (step - burn_in) / decay_steps)

    return factor
