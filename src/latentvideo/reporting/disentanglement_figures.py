"""R-WAE figures: Fig. 2's motion / content swaps and the videos generated holding one code, Fig. 3's
unconditional samples, Fig. 6's t-SNE of the content codes.

Arrays are those :mod:`latentvideo.evaluation.disentanglement` saves: uint8 ``(P, T, H, W, C)`` ``first``,
``second``, ``content_first_motion_second``, ``content_second_motion_first``, ``fixed_content``, ``fixed_motion``,
``unconditional``.
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


def unconditional_grid(panels: list[tuple[str, np.ndarray]], samples: int = 3) -> plt.Figure:
    """R-WAE Fig. 3: per model (its label and ``unconditional`` samples ``(P, T', H, W, C)``, every code drawn from
    its prior) its first ``samples`` videos, one row each, frames left to right (the last column is the paper's
    t = T')."""
    return frame_rows([(f"{label}: sample {k + 1}", videos[k]) for label, videos in panels
                       for k in range(min(samples, len(videos)))])


def content_tsne(panels: list[tuple[str, np.ndarray, np.ndarray, tuple[str, ...]]], points: int = 2000,
                 seed: int = 0) -> plt.Figure:
    """R-WAE Fig. 6: a 2-d t-SNE of each model's posterior-mean content codes, one panel per model, every point
    coloured by its test video's label. A panel: the model's label, codes ``(N, Dc)``, labels ``(N,)`` and the
    class names; at most ``points`` videos (the first ones), perplexity min(30, (n - 1) / 3)."""
    from matplotlib import colormaps
    from sklearn.manifold import TSNE

    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1.4, 4.0), squeeze=False)
    colours = colormaps["tab10"].colors
    for ax, (label, codes, labels, classes) in zip(axes[0], panels):
        codes, labels = codes[:points], labels[:points]
        perplexity = max(1.0, min(30.0, (len(codes) - 1) / 3))
        xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(
            codes.astype(np.float64))
        for k, name in enumerate(classes):
            chosen = labels == k
            if chosen.any():
                ax.scatter(xy[chosen, 0], xy[chosen, 1], s=6, color=colours[k % len(colours)], label=str(name))
        ax.set_title(f"{label}: z^c of {len(codes)} test videos", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, -1].legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    return fig
