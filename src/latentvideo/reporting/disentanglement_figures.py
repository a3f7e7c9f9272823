"""R-WAE figures: Fig. 2's motion / content swaps and the videos generated holding one code.

Arrays are those :mod:`latentvideo.evaluation.disentanglement` saves: uint8 ``(P, T, H, W, C)`` ``first``,
``second``, ``content_first_motion_second``, ``content_second_motion_first``, ``fixed_content``, ``fixed_motion``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from latentvideo.reporting.figures import frame_rows

ROWS = (("first", "video a"), ("second", "video b"), ("content_first_motion_second", "content a,\nmotion b"),
        ("content_second_motion_first", "content b,\nmotion a"), ("fixed_content", "content a,\nprior motion"),
        ("fixed_motion", "motion a,\nprior content"))


def swap_grid(panels: list[tuple[str, dict[str, np.ndarray]]], pair: int, max_frames: int = 10) -> plt.Figure:
    """Per model (a panel: its label and arrays) the two test videos of ``pair``, both swaps and the videos that
    keep a's content or a's motion with the other code drawn from its prior; frames left to right."""
    return frame_rows([(f"{label}: {name}" if i else f"{label}:\n{name}", arrays[key][pair][:max_frames])
                       for label, arrays in panels for i, (key, name) in enumerate(ROWS) if key in arrays])
