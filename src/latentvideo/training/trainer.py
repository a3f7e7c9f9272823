"""Train one (model, dataset, variant, seed): resumable, logged, fail-fast on non-finite losses.

Files in the run directory:
  model.pt          the final checkpoint (declared output)
  train_log.jsonl   one JSON object per logged step: every loss term, lr, validation terms (declared output,
                    written once at the end; while training it grows in checkpoints/train_log.jsonl)
  train_log.csv     the training terms of train_log.jsonl as columns (step, learning rates, terms, total last):
                    the training curve ``dvc plots show`` and the report draw (declared output)
  run.json          provenance: resolved settings, seed, device, Slurm job, data manifest sha256, versions
  checkpoints/last.pt  the latest checkpoint, rewritten every ``checkpoint_every`` steps and when a stop
                    signal arrives (resume point); checkpoints/previous.pt the one before it (the fallback when
                    last.pt fails its digest; see :mod:`latentvideo.training.checkpoint`)
  checkpoints/best.pt  with model selection (``model_selection`` in the experiment: SRVP on KTH, Human3.6M) the
                    checkpoint of the best validation score so far (:mod:`latentvideo.training.model_selection`);
                    model.pt is then this checkpoint and last.pt the final state
  checkpoints/non_finite.json  written when the run stopped on a non-finite loss or update; a rerun with the
                    same settings, seed and data stops at once on it
  ../.seed<k>.lock  held while a process trains here (:mod:`latentvideo.folder_lock`)

Nothing under checkpoints/ is a declared output, so neither Snakemake (which deletes a failed job's outputs)
nor a rerun touches it; a rerun with the same settings resumes from it and ends bit-identical.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch.utils.data import DataLoader

from latentvideo import determinism, folder_lock, provenance
from latentvideo.atomic import remove_stale_temporaries, write_json, write_text
from latentvideo.config import budget_summary
from latentvideo.data.dataset_kinds import open_training_data
from latentvideo.data.training_stream import to_float_video
from latentvideo.devices import describe, pick_device
from latentvideo.metrics.weight_files import weight_file
from latentvideo.models import build_model
from latentvideo.models.optimisation import Optimisation, OptimiserSettings
from latentvideo.progress import Mode, Progress, format_terms
from latentvideo.training import checkpoint
from latentvideo.training.model_selection import Selected, improves, validation_psnr
from latentvideo.training.preemption import TrainingInterrupted, stop_signals

log = logging.getLogger(__name__)


class NonFiniteLossError(RuntimeError):
    """A loss term or the parameters became NaN or infinite; only finite checkpoints are kept."""


FAILURE_RECORD = "non_finite.json"
BEST = "best.pt"


def _advice(settings: dict[str, Any]) -> str:
    """What to change: the learning rate in force (the budget's, where it sets one) or the data."""
    if "lr" in settings["training"]:
        where = (f"the budget's learning rate (budgets.{settings['budget']}.training.<default|{settings['model']}|"
                 f"{settings['experiment']}>.lr, now {settings['training']['lr']:g})")
    else:
        where = f"models.{settings['model']}.optimizer.lr (now {settings['optimizer']['lr']:g})"
    return f"lower {where} in the config, or check the training data; with changed settings the run starts afresh"


def _failure_message(settings: dict[str, Any], seed: int, what: str, step: int, detail: str,
                     last_good: Path | None, good_step: int | None) -> str:
    where = (f"the last finite checkpoint is {last_good} (step {good_step})" if last_good is not None
             else "no checkpoint was written before it")
    return (f"{settings['experiment']} seed {seed}: {what} at step {step} ({detail}); {where}. "
            f"To go on, {_advice(settings)}")


class TrainingState(NamedTuple):
    """A freshly initialised model and its optimisation (optimisers and schedulers by name)."""

    model: torch.nn.Module
    optimisation: Optimisation


class Trained(NamedTuple):
    """A model rebuilt from a checkpoint, in eval mode, with the settings and seed it was trained with."""

    model: torch.nn.Module
    settings: dict[str, Any]
    seed: int


def optimiser_settings(settings: dict[str, Any]) -> OptimiserSettings:
    """Config ``models.<m>.optimizer`` plus the run's length (and the budget's ``lr``, if it sets one);
    ``schedule: constant`` ignores the decay steps."""
    opt, train = settings["optimizer"], settings["training"]
    decay = train["lr_decay_steps"] if opt.get("schedule", "linear_decay") == "linear_decay" else 0
    return OptimiserSettings(lr=train.get("lr", opt["lr"]), betas=tuple(opt["betas"]), steps=train["steps"],
                             lr_decay_steps=decay)


def build_training_state(settings: dict[str, Any], seed: int, device: torch.device) -> TrainingState:
    """Model and its optimisation (the model's own ``configure_optimisation``), freshly initialised from ``seed``,
    with the user's pretrained weight files it loads (``settings["model_weights"]``) in place."""
    torch.manual_seed(seed)
    with determinism.thread_independent():
        model = build_model(settings["model"], settings["hyperparameters"])
    for name, entry in settings.get("model_weights", {}).items():
        found = weight_file(name, entry, "README 'Model weights' says where to get it", section="model_weights")
        model.load_weight_file(name, str(found.path))
    model = model.to(device)
    return TrainingState(model, model.configure_optimisation(optimiser_settings(settings)))


def _lr_record(optimisation: Optimisation) -> dict[str, float]:
    """``lr`` of the first optimiser, ``lr_<name>`` of any further one (log records)."""
    rates = list(optimisation.learning_rates().items())
    return {"lr": rates[0][1], **{f"lr_{name}": lr for name, lr in rates[1:]}}


@torch.no_grad()
def _validate(model: torch.nn.Module, x: torch.Tensor, device: torch.device) -> dict[str, float]:
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(0)
        model.eval()
        terms = model.loss(x.to(device))._asdict()
        model.train()
    return {f"val_{k}": float(v) for k, v in terms.items()}


def training_curve_csv(log_jsonl: str) -> str:
    """The training terms of a ``train_log.jsonl`` text as CSV: ``step``, the learning rates, the loss terms
    with ``total`` last (validation terms stay in the JSONL: they exist only every ``val_every`` steps)."""
    records = [json.loads(line) for line in log_jsonl.splitlines() if line.strip()]
    keys = list(dict.fromkeys(k for r in records for k in r if not k.startswith("val_")))
    columns = ["step", *[k for k in keys if k.startswith("lr")],
               *[k for k in keys if k not in ("step", "total") and not k.startswith("lr")], "total"]
    rows = [",".join(repr(float(r[c])) if c != "step" else str(int(r[c])) for c in columns) for r in records]
    return "\n".join([",".join(columns), *rows]) + "\n"


def _read_log(path: Path, up_to_step: int) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= up_to_step]


def train(settings: dict[str, Any], seed: int, data_dir: str | Path, out_dir: str | Path,
          device: str = "auto", threads: int | None = None, progress: Mode = "auto",
          progress_every: float = 30.0, on_step: Callable[[int], None] | None = None) -> Path:
    """Run (or resume) training on ``data_dir`` (read as its dataset kind says: :mod:`latentvideo.data.dataset_kinds`); returns the path
    of the final checkpoint ``model.pt``.

    Only one process may train into ``out_dir`` at a time (:mod:`latentvideo.folder_lock`). ``on_step(step)``
    is called after each optimisation step (1-based count); tests use it to interrupt a run. ``progress``
    (:mod:`latentvideo.progress`): ``auto`` is a bar on a terminal and a line every ``progress_every`` seconds
    elsewhere; ``off`` prints only the opening and closing lines.
    """
    out_dir = Path(out_dir)
    with folder_lock.exclusive(out_dir, f"training {settings['experiment']} seed {seed}"):
        return _train_locked(settings, seed, data_dir, out_dir, device, threads, progress, progress_every, on_step)


def _train_locked(settings: dict[str, Any], seed: int, data_dir: str | Path, out_dir: Path, device: str,
                  threads: int | None, progress: Mode, progress_every: float,
                  on_step: Callable[[int], None] | None) -> Path:
    ckpt_dir = out_dir / "checkpoints"
    ckpt_path = ckpt_dir / "last.pt"
    log_path = out_dir / "train_log.jsonl"
    work_log = ckpt_dir / "train_log.jsonl"
    failure_path = ckpt_dir / FAILURE_RECORD
    for stale in [*remove_stale_temporaries(ckpt_dir), *remove_stale_temporaries(out_dir)]:
        log.info("removed %s, left by a save that was killed mid-write", stale)
    dev = pick_device(device)
    determinism.configure(threads, dev)
    device_info = describe(dev)
    t_cfg = settings["training"]
    data = open_training_data(settings["dataset"], data_dir, t_cfg["batch_size"], seed, t_cfg["steps"],
                              t_cfg["val_videos"])
    identity = {"settings": settings, "seed": seed, "data_sha256": data.sha256}
    selection = settings.get("model_selection")
    windows = None
    if selection:
        if data.selection_windows is None:
            raise ValueError(f"{settings['experiment']}: model_selection needs validation windows, which dataset "
                             f"{settings['dataset_name']} does not offer")
        windows = data.selection_windows(t_cfg["select_videos"], selection["length"])
    if failure_path.exists():
        failure = json.loads(failure_path.read_text())
        if failure.get("identity") == json.loads(json.dumps(identity, default=str)):
            raise NonFiniteLossError(f"{failure['message']} (found {failure_path}: an earlier attempt with these "
                                     "very settings failed so; training is deterministic, so it would again)")
        failure_path.unlink()

    model, optimisation = build_training_state(settings, seed, dev)
    start = 0
    chosen: dict[str, Selected | None] = {"best": None}  # model selection's best so far (resumable)
    latest = checkpoint.load_latest(ckpt_path, map_location=dev)
    if latest.state is not None:
        state = latest.state
        if all(state.get(k) == v for k, v in identity.items()):
            model.load_state_dict(state["model"])
            optimisation.load_state_dict(state["optimisation"])
            checkpoint.set_rng_state(state["rng"])
            start = int(state["step"])
            chosen["best"] = Selected(**state["selected"]) if state.get("selected") else None
            log.info("resuming %s seed %d from step %d (%s)", settings["experiment"], seed, start, latest.path)
        else:
            log.warning("ignoring %s: it was written with different settings, seed or data; training from step 0",
                        latest.path)
    lines = _read_log(work_log, start)
    write_text(work_log, "".join(line + "\n" for line in lines))

    notes = "".join(f"; {r}" for r in latest.rejected)
    print(f"[latentvideo] train {settings['experiment']} seed {seed} on {device_info['summary']} "
          f"({budget_summary(settings)}; data: {data.source})"
          + (f"; resuming from step {start} ({latest.path.name})" if start else "") + notes, file=sys.stderr)
    stream = data.steps(start)
    # The loader gets its own generator: creating an iterator otherwise draws a base seed from the global
    # torch RNG, which would shift the model's random stream after a resume.
    loader = DataLoader(stream, batch_size=None, shuffle=False, num_workers=t_cfg["workers"],
                        pin_memory=dev.type == "cuda", generator=torch.Generator().manual_seed(seed))
    val_x = to_float_video(torch.from_numpy(data.validation))
    model.train()
    t0 = time.time()
    good = {"path": latest.path if start else None, "step": start if start else None}

    def payload(step: int) -> dict[str, Any]:
        best = chosen["best"]
        return dict(model=model.state_dict(), optimisation=optimisation.state_dict(), rng=checkpoint.rng_state(),
                    step=step, seed=seed, settings=settings, data_sha256=data.sha256,
                    selected=best._asdict() if best is not None else None)

    def fail(what: str, step: int, detail: str) -> NonFiniteLossError:
        message = _failure_message(settings, seed, what, step, detail, good["path"], good["step"])
        write_json(failure_path, {"message": message, "step": step, "identity": identity})
        return NonFiniteLossError(message)

    def write(path: Path, step: int, rolling: bool = False) -> None:
        """The checkpoint of ``step`` at ``path`` (``rolling``: keeping the one it replaces as previous.pt)."""
        try:
            (checkpoint.save_rolling if rolling else checkpoint.save)(path, **payload(step))
        except checkpoint.NonFiniteStateError as err:
            raise fail("the parameters became non-finite", step, str(err)) from None

    def save_state(step: int) -> None:
        write(ckpt_path, step, rolling=True)
        good.update(path=ckpt_path, step=step)

    def select(step: int) -> dict[str, float]:
        """Model selection at ``step``: score the model, keep it as best.pt if it improves; the log's terms."""
        score = validation_psnr(model, windows, settings["dataset"]["cond_frames"], t_cfg["select_samples"], dev)
        if improves(score, chosen["best"]):
            chosen["best"] = Selected(step, score)
            write(ckpt_dir / BEST, step)
        return {f"val_select_{selection['metric']}": score}

    bar = Progress(f"train {settings['experiment']} seed {seed}", t_cfg["steps"], initial=start, mode=progress,
                   every=progress_every)
    last_validation: dict[str, float] = {}
    terms: dict[str, float] = {}
    with open(work_log, "a") as log_file, stop_signals() as stop:
        for step, batch in enumerate(loader, start=start + 1):
            x = to_float_video(batch).to(dev, non_blocking=True)
            loss = model.training_step(x, optimisation)
            terms = {k: float(v.detach()) for k, v in loss._asdict().items()}
            if not all(math.isfinite(v) for v in terms.values()):
                # Nothing of this step is saved: the last checkpoint stays the last finite state.
                raise fail("non-finite loss", step, ", ".join(f"{k}={v:g}" for k, v in terms.items()))
            record = None
            if step % t_cfg["log_every"] == 0 or step == t_cfg["steps"]:
                record = {"step": step, **_lr_record(optimisation), **terms}
            if step % t_cfg["val_every"] == 0 or step == t_cfg["steps"]:
                record = {**(record or {"step": step, **_lr_record(optimisation), **terms}),
                          **_validate(model, val_x, dev)}
            if selection and (step % t_cfg["select_every"] == 0 or step == t_cfg["steps"]):
                record = {**(record or {"step": step, **_lr_record(optimisation), **terms}), **select(step)}
            if record is not None:
                last_validation.update({k: v for k, v in record.items() if k.startswith("val_")})
                log_file.write(json.dumps(record) + "\n")
                log_file.flush()
            if step % t_cfg["checkpoint_every"] == 0 and step < t_cfg["steps"]:
                save_state(step)
            bar.update(step, terms)
            if on_step is not None:
                on_step(step)
            if stop.requested and step < t_cfg["steps"]:
                save_state(step)
                log_file.flush()
                raise TrainingInterrupted(stop.signum, step, str(ckpt_path))
    best = chosen["best"]
    bar.close(f"final training loss: {format_terms(terms)}"
              + (f"; validation: {format_terms(last_validation)}" if last_validation else "")
              + (f"; selected step {best.step} (validation {selection['metric']} {best.value:.4g})" if best else ""))
    final = out_dir / "model.pt"
    if selection:  # model.pt is the selected checkpoint; last.pt keeps the final state (the resume point)
        if best is None or not (ckpt_dir / BEST).is_file():
            raise RuntimeError(f"{ckpt_dir / BEST} is missing: the selected checkpoint was removed; delete "
                               f"{ckpt_dir} to train {settings['experiment']} seed {seed} afresh")
        checkpoint.load(ckpt_dir / BEST)  # verified before it is published
        write(ckpt_path, t_cfg["steps"], rolling=True)
        checkpoint.publish(final, ckpt_dir / BEST)
    else:
        write(final, t_cfg["steps"])
        checkpoint.link_rolling(ckpt_path, final)  # the finished state is also the resume point of a rerun
    log_text = work_log.read_text()
    write_text(log_path, log_text)
    write_text(out_dir / "train_log.csv", training_curve_csv(log_text))
    (ckpt_dir / checkpoint.PREVIOUS).unlink(missing_ok=True)  # last.pt is model.pt, verified: no fallback needed
    write_json(out_dir / "run.json", {
        "settings": settings, "seed": seed, "device": device_info, "steps": t_cfg["steps"], "resumed_from": start,
        "resumed_checkpoint": latest.path.name if start else None, "rejected_checkpoints": latest.rejected,
        "wall_seconds_this_session": round(time.time() - t0, 2), "data_source": data.source,
        "data_manifest_sha256": data.manifest_sha256, "data_sha256": data.sha256,
        "validation_source": data.validation_source, "budget": budget_summary(settings),
        "model_selection": None if not selection else {
            **selection, "windows": len(windows), "samples": t_cfg["select_samples"], "every": t_cfg["select_every"],
            "selected_step": best.step, "value": best.value},
        "provenance": provenance.collect(),
    })
    return final


def load_trained(path: str | Path, device: torch.device | str = "cpu") -> Trained:
    """Rebuild a model from a checkpoint, in eval mode."""
    state = checkpoint.load(path, map_location=device)
    settings = state["settings"]
    model = build_model(settings["model"], settings["hyperparameters"]).to(device)
    model.load_state_dict(state["model"])
    model.eval()
    return Trained(model, settings, state["seed"])
