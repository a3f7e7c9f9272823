"""R-WAE figures: Fig. 2's motion / content swaps and the videos generated holding one code, Fig. 3's
unconditional samples, Fig. 6's t-SNE of the content codes, Fig. 11's cross-generation of TIMIT spectra.

Arrays are those :mod:`latentvideo.evaluation.disentanglement` saves: uint8 ``(P, T, H, W, C)`` ``first``,
``second``, ``content_first_motion_second``, ``content_second_motion_first``, ``fixed_content``, ``fixed_motion``,
``unconditional``; Fig. 11 reads :mod:`latentvideo.evaluation.speaker_verification`'s float32 ``cross_originals
(P, T, bins)`` and ``cross_generation (P, P, T, bins)``.
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


def cross_generation_grid(originals: np.ndarray, matrix: np.ndarray, speakers: np.ndarray,
                          max_clips: int = 16) -> plt.Figure:
    """R-WAE Fig. 11: a (P + 1) x (P + 1) grid of log spectra (time left to right, frequency bins upwards): row 0
    the originals (their motion, one per column), column 0 the originals (their content, one per row), cell
    (i + 1, j + 1) decoded from the content of clip i and the motion of clip j. ``originals: (P, T, bins)``,
    ``matrix: (P, P, T, bins)``, ``speakers: (P,)``; one colour scale for every cell (the originals' 1st to 99th
    percentile); at most ``max_clips`` clips."""
    p = min(max_clips, len(originals))
    low, high = np.percentile(originals[:p], [1, 99])
    size = 0.62
    fig, axes = plt.subplots(p + 1, p + 1, figsize=(size * (p + 1) + 0.8, size * (p + 1) + 0.6), squeeze=False)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].axis("off")
    cells = {(0, j + 1): originals[j] for j in range(p)}
    cells |= {(i + 1, 0): originals[i] for i in range(p)}
    cells |= {(i + 1, j + 1): matrix[i, j] for i in range(p) for j in range(p)}
    image = None
    for (r, c), spectrum in cells.items():
        image = axes[r, c].imshow(spectrum.T, origin="lower", aspect="auto", cmap="magma", vmin=low, vmax=high,
                                  interpolation="nearest")
    for k in range(p):
        axes[0, k + 1].set_title(f"motion\n{speakers[k]}", fontsize=5)
        axes[k + 1, 0].set_ylabel(f"content\n{speakers[k]}", fontsize=5)
    for ax in [axes[0, k + 1] for k in range(p)] + [axes[k + 1, 0] for k in range(p)]:
        for spine in ax.spines.values():
            spine.set_edgecolor("tab:blue")
            spine.set_linewidth(1.2)
    if image is not None:
        bar = fig.colorbar(image, ax=axes, fraction=0.02, pad=0.01)
        bar.set_label("log magnitude", fontsize=6)
        bar.ax.tick_params(labelsize=5)
    return fig
