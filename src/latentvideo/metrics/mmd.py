"""Maximum mean discrepancy (Gretton et al. 2007) between two samples, differentiable (R-WAE's latent penalties).

``mmd2_unbiased(x, y, kernel)`` is the unbiased estimate of MMD^2 from ``x: (n, D)`` and ``y: (m, D)``::

    1/(n(n-1)) sum_{i != j} k(x_i, x_j) + 1/(m(m-1)) sum_{i != j} k(y_i, y_j) - 2/(nm) sum_{i, j} k(x_i, y_j)

Its expectation is 0 when x and y come from the same distribution. R-WAE's Eq. (21)-(22) print the cross term
with weight 1/n^2 instead of 2/n^2; as printed the estimate is not zero in expectation for equal distributions
(it rewards spreading the codes apart), so we use Gretton's weight, which the paper cites.

``mmd2_paired(x, y, kernel)`` is Gretton et al.'s (2012, Eq. 3) MMD^2_u for equal sizes, every term over i != j::

    1/(n(n-1)) sum_{i != j} [k(x_i, x_j) + k(y_i, y_j) - k(x_i, y_j) - k(x_j, y_i)]

It is unbiased whenever the *pairs* (x_i, y_i) are drawn independently of each other, even where x_i and y_i
depend on each other (R-WAE's z^m penalty draws y_i from the prior given x_i's own past); the cross term of
``mmd2_unbiased`` then counts the dependent pairs i = j, and its expectation is not 0 for equal marginals. The
kernels:
:func:`rbf_mixture` (R-WAE's z^m penalty: "mixture of RBF kernels (Li et al. 2017)", bandwidths ours) and
:func:`rbf` (one bandwidth; R-WAE(MMD) applies it to the scalar output of the feature map f_gamma).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

Kernel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

# MMD GAN's (Li et al. 2017, OctoberChang/MMD-GAN) sigma_list; R-WAE states no bandwidths
MIXTURE_BANDWIDTHS = (1.0, 2.0, 4.0, 8.0, 16.0)


def squared_distances(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``(n, m)`` squared Euclidean distances between the rows of ``x: (n, D)`` and ``y: (m, D)`` (clamped >= 0)."""
    return (x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1) - 2 * x @ y.T).clamp_min(0)


def rbf(bandwidth: float = 1.0) -> Kernel:
    """``k(x, y) = exp(-|x - y|^2 / (2 sigma^2))``, ``sigma = bandwidth``; returns the ``(n, m)`` Gram matrix."""
    def kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.exp(-squared_distances(x, y) / (2 * bandwidth ** 2))
    return kernel


def rbf_mixture(bandwidths: Sequence[float] = MIXTURE_BANDWIDTHS) -> Kernel:
    """The sum of RBF kernels of the given bandwidths (MMD GAN's mixture)."""
    def kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        d2 = squared_distances(x, y)
        return sum(torch.exp(-d2 / (2 * s ** 2)) for s in bandwidths)
    return kernel


def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor, kernel: Kernel) -> torch.Tensor:
    """The unbiased MMD^2 estimate (module docstring) of samples ``x: (n, D)`` and ``y: (m, D)``, n, m >= 2."""
    n, m = len(x), len(y)
    if n < 2 or m < 2:
        raise ValueError(f"an unbiased MMD needs at least 2 samples per side, got {n} and {m}")
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    within_x = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
    within_y = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    return within_x + within_y - 2 * kxy.mean()


def mmd2_paired(x: torch.Tensor, y: torch.Tensor, kernel: Kernel) -> torch.Tensor:
    """The pair-wise unbiased MMD^2 estimate (module docstring) of pairs ``(x_i, y_i)``, ``x, y: (n, D)``, n >= 2."""
    n = len(x)
    if n < 2 or len(y) != n:
        raise ValueError(f"a paired MMD needs two equal samples of at least 2, got {n} and {len(y)}")
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    off = (kxx + kyy - kxy - kxy.T).sum() - (kxx + kyy - 2 * kxy).diagonal().sum()
    return off / (n * (n - 1))
