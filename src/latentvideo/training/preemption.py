"""Stop requests from a scheduler: checkpoint, then exit, instead of dying mid-step.

Slurm sends SIGTERM to a job it preempts, requeues, cancels or stops at its time limit, and SIGKILL
``KillWait`` seconds later (30 s by default). While ``stop_signals()`` is active, SIGTERM / SIGINT / SIGUSR1
only set a flag; the training loop checks it after every optimisation step, writes its checkpoint and
raises ``TrainingInterrupted``. The rerun (Slurm requeue or Snakemake retry) resumes from that step.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)


class TrainingInterrupted(RuntimeError):
    """Training stopped on a signal after checkpointing; ``exit_code`` is 128 + the signal number."""

    def __init__(self, signum: int, step: int, checkpoint: str) -> None:
        self.signum, self.step, self.checkpoint = signum, step, checkpoint
        self.exit_code = 128 + signum
        super().__init__(f"stopped by {signal.Signals(signum).name} after step {step}; "
                         f"checkpoint written to {checkpoint} (a rerun resumes from it)")


@dataclass
class StopFlag:
    signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handle(self, signum: int, _frame) -> None:
        self.signum = signum


@contextmanager
def stop_signals() -> Iterator[StopFlag]:
    """Catch the scheduler's stop signals for the duration of the block. Python delivers signals to the main
    thread only; elsewhere (training called from a worker thread) the flag never rises and signals act as usual."""
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = {sig: signal.signal(sig, flag._handle) for sig in HANDLED}
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
