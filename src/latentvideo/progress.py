"""Progress of one long job (training, evaluation, preprocessing) that reads well wherever it is shown.

On a terminal it is a tqdm bar. Anywhere else (a Snakemake log, a Slurm job's output file, a pipe) a bar
would be one endless line of carriage returns, so it prints one line at a fixed interval instead::

    [latentvideo] srvp-smmnist_deterministic: step 340/2000 (17%) | total 0.5121, nll 0.4903, kl_z 0.0218 | 0.090 s/step | elapsed 0:00:30 | ETA 0:02:29

and, when the job ends, one closing summary line (:meth:`Progress.close`). s/step and the ETA count only
the steps done by this process (a resumed run does not credit itself with the steps before the restart).
"""

from __future__ import annotations

import datetime
import sys
import time
from typing import Callable, Literal, Mapping, TextIO

from tqdm import tqdm

Mode = Literal["auto", "bar", "lines", "off"]
MODES: tuple[str, ...] = ("auto", "bar", "lines", "off")
PREFIX = "[latentvideo]"


def _clock(seconds: float) -> str:
    return str(datetime.timedelta(seconds=round(max(seconds, 0.0))))


def format_terms(terms: Mapping[str, float], limit: int = 4) -> str:
    """The first ``limit`` loss terms as ``name value`` pairs with 4 significant digits."""
    return ", ".join(f"{k} {v:.4g}" for k, v in list(terms.items())[:limit])


class Progress:
    """Reports ``step`` of ``total`` for the job called ``what``.

    ``mode``: ``auto`` (a bar when ``stream`` is a terminal, else lines), ``bar``, ``lines`` or ``off``.
    ``every``: seconds between two lines (lines mode). ``unit``: what one step is ("step", "batch", "video").
    """

    def __init__(self, what: str, total: int, initial: int = 0, mode: Mode = "auto", every: float = 30.0,
                 unit: str = "step", stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        if mode not in MODES:
            raise ValueError(f"progress mode {mode!r}; known: {list(MODES)}")
        self.what, self.total, self.initial, self.unit, self.every = what, total, initial, unit, every
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "lines"
        self.mode = mode
        self.step = initial
        self.terms: dict[str, float] = {}
        self.t0 = self.clock()
        self.last_line = self.t0
        self.bar = (tqdm(total=total, initial=initial, mininterval=1.0, file=self.stream, desc=what, unit=unit)
                    if mode == "bar" else None)

    def seconds_per_step(self) -> float | None:
        done = self.step - self.initial
        return (self.clock() - self.t0) / done if done > 0 else None

    def line(self) -> str:
        """The progress line for the current state (lines mode prints it every ``every`` seconds)."""
        rate = self.seconds_per_step()
        parts = [f"{self.unit} {self.step}/{self.total} ({100 * self.step / max(self.total, 1):.0f}%)"]
        if self.terms:
            parts.append(format_terms(self.terms))
        if rate is not None:
            parts += [f"{rate:.3f} s/{self.unit}", f"elapsed {_clock(self.clock() - self.t0)}",
                      f"ETA {_clock(rate * (self.total - self.step))}"]
        return f"{PREFIX} {self.what}: " + " | ".join(parts)

    def update(self, step: int, terms: Mapping[str, float] | None = None) -> None:
        """``step`` steps are done (counted from 0, resumed steps included); ``terms``: the latest loss terms."""
        advanced = step - self.step
        self.step = step
        if terms:
            self.terms = dict(terms)
        if self.bar is not None:
            self.bar.update(advanced)
            if terms:
                self.bar.set_postfix_str(format_terms(self.terms, limit=2), refresh=False)
        elif self.mode == "lines" and self.clock() - self.last_line >= self.every:
            self.last_line = self.clock()
            print(self.line(), file=self.stream, flush=True)

    def close(self, summary: str = "") -> str:
        """Ends the bar; prints and returns ``<what>: done, N steps in H:MM:SS (s/step)[; summary]``."""
        if self.bar is not None:
            self.bar.close()
        rate = self.seconds_per_step()
        done = self.step - self.initial
        text = (f"{PREFIX} {self.what}: done, {self.step}/{self.total} {self.unit}s"
                + (f" ({done} in this run, resumed at {self.initial})" if self.initial else "")
                + f" in {_clock(self.clock() - self.t0)}" + (f" ({rate:.3f} s/{self.unit})" if rate else "")
                + (f"; {summary}" if summary else ""))
        if self.mode != "off":
            print(text, file=self.stream, flush=True)
        return text
