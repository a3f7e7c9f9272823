"""The house style of every figure: title, provenance caption and notes placed clear of the plots, robust PSNR
axes, and a layout record saved inside the PNG so tests can check the saved figure, not an eye.

Every notebook draws with :mod:`latentvideo.reporting.figures` (or its own matplotlib code) and saves with
:func:`save`, which
- puts a one- or two-line ``title`` (what the figure shows) above all axes and the ``caption`` (provenance:
  budget, data source, seeds, what was capped or not run) below them, each wrapped to the figure's width and
  placed outside the union of the axes' extents, so neither can cover a plot, a label or a colour bar;
- writes PDF and PNG atomically; the PNG carries a JSON layout record (``latentvideo-layout`` text chunk):
  the box of every text and every axes, and for PSNR axes their y-limits and data range
  (:func:`layout_problems` checks it; :func:`read_layout` reads it back from a PNG).

Coordinates in the record are display pixels of the figure before the tight crop; boxes are
``[x0, y0, x1, y1]``.
"""

from __future__ import annotations

import json
import logging
import textwrap
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.transforms import Bbox

from latentvideo.atomic import atomic_path

log = logging.getLogger(__name__)

LAYOUT_KEY = "latentvideo-layout"
TITLE_SIZE = 9
CAPTION_SIZE = 6.5
KL_UNUSED_NATS = 0.1
"""A model whose KL per frame is below this (nats) has latents that carry next to nothing: said on its panel."""
LATENTS_UNUSED = "KL ≈ 0: latents unused at this budget"


def _renderer(fig: plt.Figure):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _axes_union(fig: plt.Figure, renderer) -> Bbox:
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
    boxes += [legend.get_window_extent(renderer) for legend in fig.legends]
    boxes = [b for b in boxes if b is not None and b.width > 0]
    return Bbox.union(boxes) if boxes else fig.bbox


def _wrap(text: str, width_px: float, fontsize: float, dpi: float) -> str:
    """Wrap to ``width_px`` assuming an average glyph width of 0.55 em."""
    chars = max(40, int(width_px / (0.55 * fontsize * dpi / 72)))
    return "\n".join(textwrap.fill(par, chars) for par in text.split("\n"))


def place_title_and_caption(fig: plt.Figure, title: str | None, caption: str | None) -> None:
    """Title above and caption below the union of every axes' extent (labels, ticks and colour bars included)."""
    renderer = _renderer(fig)
    union = _axes_union(fig, renderer)
    inv = fig.transFigure.inverted()
    gap = 4 * fig.dpi / 72
    width = max(union.width, fig.bbox.width * 0.9)
    centre = (union.x0 + union.x1) / 2
    if title:
        x, y = inv.transform((centre, union.y1 + gap))
        fig.text(x, y, _wrap(title, width, TITLE_SIZE, fig.dpi), ha="center", va="bottom", fontsize=TITLE_SIZE,
                 gid="title")
    if caption:
        x, y = inv.transform((centre, union.y0 - gap))
        fig.text(x, y, _wrap(caption, width, CAPTION_SIZE, fig.dpi), ha="center", va="top", fontsize=CAPTION_SIZE,
                 color="0.25", gid="caption")


def psnr_axes(ax: Axes, values: np.ndarray, cap_db: float) -> None:
    """Robust y-limits for a PSNR axes: the scale comes from the values below ``cap_db`` (the PSNR a perfectly
    predicted frame gets), with a margin, so capped points (:func:`note_capped`) do not flatten the curves.
    ``values``: every plotted value (bands included)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values) & (values < cap_db)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, cap_db)
    pad = max(0.05 * (hi - lo), 0.1)
    ax.set_ylim(lo - pad, hi + pad)
    ax._latentvideo_psnr = {"cap_db": cap_db, "data": [lo, hi]}  # read by the layout record


def note_capped(ax: Axes, t: np.ndarray, values: np.ndarray, label: str, cap_db: float, color: Any) -> str:
    """Triangles on the top edge where ``label``'s curve is at the cap; returns a caption clause or ""."""
    at_cap = np.asarray(values) >= cap_db - 1e-6
    if not at_cap.any():
        return ""
    top = ax.get_ylim()[1]
    ax.plot(np.asarray(t)[at_cap], np.full(int(at_cap.sum()), top), "^", color=color, clip_on=False, ms=5)
    steps = ", ".join(str(int(x)) for x in np.asarray(t)[at_cap][:6]) + (" ..." if at_cap.sum() > 6 else "")
    return (f"{label} reaches the {cap_db:g} dB cap (every test video predicted exactly) at t = {steps}: "
            "off the scale, marked by triangles on the top edge")


def note_unused_latents(ax: Axes, kl_per_frame: float | None) -> bool:
    """A visible note on ``ax`` when ``kl_per_frame`` (nats) is below :data:`KL_UNUSED_NATS`."""
    if kl_per_frame is None or kl_per_frame >= KL_UNUSED_NATS:
        return False
    ax.text(0.5, 0.5, f"{LATENTS_UNUSED} (KL {kl_per_frame:.3f} nats/frame)", transform=ax.transAxes, ha="center",
            va="center", fontsize=8, color="tab:red", bbox={"facecolor": "white", "alpha": 0.85, "lw": 0},
            gid="kl-note")
    return True


def robust_limits(values: np.ndarray, floor: float = 0.0, quantile: float = 0.995) -> tuple[float, float]:
    """Colour limits that show the data: ``floor`` to the ``quantile`` of the finite values (never an empty
    range)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    top = float(np.quantile(finite, quantile)) if finite.size else 1.0
    return floor, max(top, floor + 1e-6)


def _box(bbox: Bbox) -> list[float]:
    return [round(float(v), 2) for v in (bbox.x0, bbox.y0, bbox.x1, bbox.y1)]


def _texts_of(ax: Axes) -> list[Any]:
    """Texts an axes draws outside its frame: tick labels, axis labels, titles (none when its axis is off)."""
    if not ax.axison:
        return [t for t in (ax.title, ax._left_title, ax._right_title) if t.get_visible() and t.get_text().strip()]

    def shown(labels: list[Any], limits: tuple[float, float], coordinate: int) -> list[Any]:
        lo, hi = sorted(limits)  # matplotlib keeps, but does not draw, tick labels outside the view limits
        return [t for t in labels if lo - 1e-9 <= t.get_position()[coordinate] <= hi + 1e-9]

    texts = [*shown(ax.get_xticklabels(), ax.get_xlim(), 0), *shown(ax.get_yticklabels(), ax.get_ylim(), 1),
             ax.xaxis.label, ax.yaxis.label, ax.title,
             ax._left_title, ax._right_title, ax.xaxis.get_offset_text(), ax.yaxis.get_offset_text()]
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def layout_record(fig: plt.Figure) -> dict[str, Any]:
    """Boxes of every visible axes and text (figure texts, and each axes' outside texts with its index)."""
    renderer = _renderer(fig)
    axes, texts = [], []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        entry: dict[str, Any] = {"index": i, "frame": _box(ax.get_window_extent(renderer)),
                                 "drawn": ax.axison or bool(ax.images)}
        psnr = getattr(ax, "_latentvideo_psnr", None)
        if psnr is not None:
            entry["psnr"] = {**psnr, "ylim": [float(v) for v in ax.get_ylim()]}
        axes.append(entry)
        texts += [{"owner": i, "text": t.get_text()[:80], "box": _box(t.get_window_extent(renderer))}
                  for t in _texts_of(ax)]
    texts += [{"owner": "figure", "text": t.get_text()[:80], "box": _box(t.get_window_extent(renderer))}
              for t in fig.texts if t.get_visible() and t.get_text().strip()]
    return {"axes": axes, "texts": texts}


def _overlap(a: list[float], b: list[float], tolerance: float = 0.5) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > tolerance and min(a[3], b[3]) - max(a[1], b[1]) > tolerance


def layout_problems(record: dict[str, Any]) -> list[str]:
    """What is wrong with a layout record: a text over an axes it does not belong to, two texts of different
    owners over each other, a PSNR axes whose scale reaches its cap or hides data below the cap."""
    problems = []
    drawn = [a for a in record["axes"] if a["drawn"]]
    for t in record["texts"]:
        for a in drawn:
            if t["owner"] != a["index"] and _overlap(t["box"], a["frame"]):
                problems.append(f"text {t['text']!r} ({t['owner']}) overlaps axes {a['index']}")
    texts = record["texts"]
    for i, t in enumerate(texts):
        for u in texts[i + 1:]:
            if t["owner"] != u["owner"] and _overlap(t["box"], u["box"]):
                problems.append(f"text {t['text']!r} ({t['owner']}) overlaps text {u['text']!r} ({u['owner']})")
    for a in record["axes"]:
        if "psnr" in a:
            (y0, y1), (lo, hi), cap = a["psnr"]["ylim"], a["psnr"]["data"], a["psnr"]["cap_db"]
            if y1 >= cap:
                problems.append(f"PSNR axes {a['index']}: the y-range reaches the {cap:g} dB cap ({y0:.1f}-{y1:.1f})")
            if lo < y0 or hi > y1:
                problems.append(f"PSNR axes {a['index']}: values {lo:.2f}-{hi:.2f} outside its y-range {y0:.2f}-{y1:.2f}")
    return problems


def save(fig: plt.Figure, pdf: str | Path | None, png: str | Path, title: str | None = None,
         caption: str | None = None) -> dict[str, Any]:
    """Place ``title`` and ``caption``, write the PDF (unless None) and the PNG atomically (the PNG with its layout
    record), log any layout problem; returns the record."""
    place_title_and_caption(fig, title, caption)
    record = layout_record(fig)
    for problem in layout_problems(record):
        log.warning("%s: %s", Path(png).name, problem)
    if pdf is not None:
        with atomic_path(pdf) as tmp:
            fig.savefig(tmp, format="pdf", bbox_inches="tight", metadata={"Title": title or Path(pdf).stem})
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=150, bbox_inches="tight",
                    metadata={"Title": title or Path(png).stem, LAYOUT_KEY: json.dumps(record)})
    return record


def read_layout(png: str | Path) -> dict[str, Any]:
    """The layout record :func:`save` stored in ``png``."""
    from PIL import Image

    with Image.open(png) as image:
        return json.loads(image.text[LAYOUT_KEY])
