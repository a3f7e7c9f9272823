"""The KSG mutual-information estimator: accuracy on correlated Gaussians and cost of the Table 2 protocol.

Prints (1) the estimate minus the exact MI (nats) of ``dims`` pairs of unit Gaussians with correlation rho,
mean and spread over repeats, at n samples; (2) seconds per estimate for the paper's sizes (1000 pairs,
50 + 50 dimensions); (3) seconds for the whole Table 2 measurement of an entangled model (20 random
partitions into k groups: k^2 estimates each) on two-colour MNIST (k=2, 100 units) and 5th Ave (k=8, 128 units).

    python benchmarks/bench_mutual_information.py
    python benchmarks/bench_mutual_information.py --repeats 10 --n 2000
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from latentvideo.metrics.factor_information import best_random_partition
from latentvideo.metrics.mutual_information import gaussian_mi, ksg_mi


def correlated(n: int, dims: int, rho: float, rng: np.random.Generator):
    x = rng.standard_normal((n, dims))
    return x, rho * x + math.sqrt(1 - rho * rho) * rng.standard_normal((n, dims))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"(1) KSG (k=3) minus exact MI in nats, n={args.n}, {args.repeats} repeats: mean [min, max]")
    for dims in (1, 2, 5, 10):
        for rho in (0.0, 0.5, 0.9):
            errors = [ksg_mi(*correlated(args.n, dims, rho, rng)) - gaussian_mi(rho, dims) for _ in range(args.repeats)]
            print(f"  dims {dims:2d} rho {rho:.1f}: exact {gaussian_mi(rho, dims):6.3f}, error {np.mean(errors):+.3f} "
                  f"[{min(errors):+.3f}, {max(errors):+.3f}]")
    print("(2) seconds per estimate")
    for n, dims in ((1000, 50), (2000, 50), (1000, 16), (5000, 50)):
        x, y = correlated(n, dims, 0.5, rng)
        t0 = time.perf_counter()
        ksg_mi(x, y)
        print(f"  n {n:5d}, {dims} + {dims} dims: {time.perf_counter() - t0:.3f} s")
    print("(3) Table 2 measurement of an entangled model (20 random partitions, 1000 pairs)")
    for name, groups, units in (("two-colour MNIST", 2, 100), ("5th Ave", 8, 128)):
        z = rng.standard_normal((1000, units))
        t0 = time.perf_counter()
        best_random_partition(z, 0.9 * z + 0.3 * rng.standard_normal(z.shape), groups, 20, 3, rng)
        print(f"  {name}: k={groups}, {units} units: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
