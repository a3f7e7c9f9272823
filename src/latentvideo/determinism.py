"""Reproducible numerics for one training or evaluation process: the settings and the work-arounds.

Called once by the training and evaluation drivers, before any model is built (never at import time).
What it guarantees on the CPU, measured with ``benchmarks/bench_determinism.py`` and tested in
``tests/test_determinism.py``:

- **Same thread count, same bits**: two processes with the same seed, data and thread count train to
  bit-identical weights and evaluate to identical metrics.
- **Initialisation and evaluation do not depend on the thread count**: a model is built single-threaded
  (:func:`thread_independent`), and the evaluation forward passes are computed element by element or by
  MKL's row-partitioned GEMM, which give the same bits at 1, 2 or 8 threads.
- **Training does depend on the thread count**: the backward of a convolution (oneDNN) and reductions over
  more than 32,768 elements split their sums per thread. Rules therefore pass a fixed ``--threads``.

The one nondeterministic kernel found (torch 2.13 CPU wheel, MKL 2024.2): MKL's vector-math functions
(``vsTanh``, ``vsExp``, ... behind ``torch.tanh``/``exp`` on float tensors) initialise their CPU dispatch
lazily. When the first such call of a process is split over several OpenMP threads (tensors of 2,048+
elements), one chunk occasionally runs another code path and differs in the last bits — in about one
process in five at 2 threads, SRVP's encoder ``tanh`` did. One serial call before any parallel work
(:func:`_initialise_vector_math`) removes it (0 of 40 processes differ; cost: one call of one element).

On CUDA, ``torch.use_deterministic_algorithms(True)`` (with ``CUBLAS_WORKSPACE_CONFIG=:4096:8``) and
cuDNN's deterministic mode are set (on the CPU the flag changes none of our kernels and costs 1.6 s of imports); an operation without a deterministic CUDA kernel then raises an error
naming it instead of varying silently. Bitwise equality between a CPU and a GPU run is not promised.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch


def configure(threads: int | None, device: torch.device) -> None:
    """Set this process up for reproducible results on ``device`` with ``threads`` CPU threads (None: keep)."""
    if threads:
        torch.set_num_threads(threads)
    if device.type == "cuda":
        # cuBLAS reads this when its first handle is created; it must be set before any CUDA work.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        # Not on the CPU: there it switches no kernel our models run (their CPU kernels are deterministic at a
        # fixed thread count, as the tests check) and it imports torch's compiler stack, 1.6 s per process.
        torch.use_deterministic_algorithms(True)
    _initialise_vector_math()


def _initialise_vector_math() -> None:
    """One serial call into MKL's vector math, so its lazy CPU dispatch is settled before threads race it."""
    torch.tanh(torch.zeros(1))


@contextlib.contextmanager
def thread_independent() -> Iterator[None]:
    """Run the block on one CPU thread (e.g. model initialisation: LAPACK's QR behind ``orthogonal_`` gives
    other bits at other thread counts), then restore the thread count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
