"""R-WAE figures: Fig. 2's motion / content swaps and the videos generated holding one code.

Arrays are those :mod:`latentvideo.evaluation.disentanglement` saves: uint8 ``(P, T, H, W, C)`` ``first``,
``second``, ``content_first_motion_second``, ``content_second_motion_first``, ``fixed_content``, ``fixed_motion``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from latentvideo.reporting.figures import frame_strip

ROWS = (("first", "video a"), ("second", "video b"), ("content_first_motion_second", "content a,\nmotion b"),
        ("content_second_motion_first", "content b,\nmotion a"), ("fixed_content", "content a,\nprior motion"),
        ("fixed_motion", "motion a,\nprior content"))


def _strip(frames: np.ndarray) -> np.ndarray:
    return frame_strip(np.repeat(frames, 3, axis=-1) if frames.shape[-1] == 1 else frames)


def swap_grid(panels: list[tuple[str, dict[str, np.ndarray]]], pair: int, max_frames: int = 10) -> plt.Figure:
    """Per model (a panel: its label and arrays) the two test videos of ``pair``, both swaps and the videos that
    keep a's content or a's motion with the other code drawn from its prior; frames left to right."""
    rows = [(f"{label}: {name}" if i else f"{label}:\n{name}", arrays[key][pair][:max_frames])
            for label, arrays in panels for i, (key, name) in enumerate(ROWS) if key in arrays]
    n_cols = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), 1, figsize=(n_cols * 0.75 + 2.2, len(rows) * 0.8 + 0.4), squeeze=False)
    for i, (ax, (label, frames)) in enumerate(zip(axes[:, 0], rows)):
        width = frames.shape[2]
        ax.imshow(_strip(frames), interpolation="nearest")
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=6.5)
        if i == 0:
            ax.set_xticks([(j + 0.5) * width for j in range(n_cols)])
            ax.set_xticklabels([f"t={j + 1}" for j in range(n_cols)], fontsize=6)
            ax.xaxis.tick_top()
        else:
            ax.set_xticks([])
    return fig
