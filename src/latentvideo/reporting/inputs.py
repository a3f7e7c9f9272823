"""The notebook side of a figure declaration: read the ``inputs`` records ``latentvideo render`` passes.

Each record names one file set (``metrics`` / ``samples`` paths) with its experiment, label, model, variant,
evaluation variant, dataset and seed, so a notebook never pairs files by position; ``not_run`` records say
which declared experiments the budget skipped, and why (see :class:`latentvideo.targets.FigureInstance`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from latentvideo.evaluation.tidy import COLUMNS

Record = Mapping[str, Any]


def ran(inputs: Iterable[Record], kinds: tuple[str, ...] = ("experiment", "baseline")) -> list[Record]:
    """Records with result files (trained experiments and, by default, the reference baselines)."""
    return [r for r in inputs if r["kind"] in kinds]


def metrics(inputs: Iterable[Record]) -> pd.DataFrame:
    """Every tidy metric file of the records, concatenated (an empty table with the tidy columns if none)."""
    frames = [pd.read_csv(r["metrics"], dtype={"t": str, "seed": str, "note": str}, keep_default_na=False,
                          na_values={"value": ["", "nan", "NaN"], "ci95": ["", "nan", "NaN"]})
              for r in ran(inputs) if "metrics" in r]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def samples(record: Record, keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays of one record's ``samples.npz`` (all, or ``keys``)."""
    with np.load(record["samples"]) as z:
        return {k: z[k] for k in (keys if keys is not None else z.files)}


def not_run_note(inputs: Iterable[Record], titles: Mapping[str, str] | None = None) -> str:
    """One sentence naming the declared experiments the budget did not run, or "" if it ran them all
    (datasets by ``titles``)."""
    skipped: dict[str, list[str]] = {}
    for r in inputs:
        if r["kind"] == "not_run":
            skipped.setdefault(r["reason"], []).append(f"{r['label']} on {(titles or {}).get(r['dataset'], r['dataset'])}")
    return " ".join(f"{', '.join(dict.fromkeys(names))}: {reason}." for reason, names in skipped.items())


def not_run_reasons(inputs: Iterable[Record]) -> dict[tuple[Any, Any, Any], str]:
    """{(model, variant, dataset): why the budget did not run it} for the not_run records of ``inputs``."""
    return {(r["model"], r["variant"], r["dataset"]): r["reason"] for r in inputs if r["kind"] == "not_run"}


def not_computed(frame: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """{(label, evaluation, metric): why} for the metrics a tidy frame records as not computed."""
    rows = frame[(frame["t"] == "mean") & frame["value"].isna() & (frame["note"] != "")]
    return {(r["label"], r["evaluation"], r["metric"]): r["note"] for _, r in rows.iterrows()}


def mean_value(frame: pd.DataFrame, metric: str) -> float | None:
    """The mean over test videos (and seeds) of ``metric`` in a tidy metric frame, or None if it is absent."""
    sel = frame[(frame["t"] == "mean") & (frame["metric"] == metric)]
    return float(sel["value"].mean()) if len(sel) else None


def not_run_by_variant(inputs: list[Mapping[str, Any]]) -> dict[tuple[Any, Any], str]:
    """{(variant, dataset): why the budget did not run it} from the render inputs' ``not_run`` records."""
    return {(r["variant"], r["dataset"]): r["reason"] for r in inputs if r["kind"] == "not_run"}


def labels_by_variant(inputs: list[Mapping[str, Any]]) -> dict[tuple[Any, Any], str]:
    """{(variant, dataset): the experiment's label} of every declared experiment the render inputs name."""
    return {(r["variant"], r["dataset"]): r["label"] for r in inputs}
