"""R-WAE's figures: the swap grid's rows, the unconditional samples' rows and the t-SNE panels of the content
codes."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from latentvideo.reporting.disentanglement_figures import ROWS, content_tsne, swap_grid, unconditional_grid  # noqa: E402,E501


def test_the_swap_grid_has_one_row_per_saved_array_and_model():
    rng = np.random.default_rng(0)
    arrays = {key: rng.integers(0, 256, (2, 5, 8, 8, 1), dtype=np.uint8) for key, _ in ROWS}
    fig = swap_grid([("R-WAE", arrays), ("DS-VAE", {k: v for k, v in arrays.items() if "fixed" not in k})], pair=1)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert len(labels) == len(ROWS) + len(ROWS) - 2
    assert labels[0] == "R-WAE:\nvideo a" and labels[2] == "R-WAE: content a,\nmotion b"
    assert labels[-1] == "DS-VAE: content b,\nmotion a"
    assert fig.axes[0].images[0].get_array().shape == (8, 5 * 8)  # grey frames side by side


def test_tsne_panels_colour_every_class_and_cap_the_points():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 20)
    codes = rng.normal(size=(60, 6)) + 8 * np.eye(6)[labels]  # three separated clusters
    fig = content_tsne([("R-WAE", codes, labels, ("a", "b", "c")), ("DS-VAE", codes, labels, ("a", "b", "c"))],
                       points=45)
    assert [ax.get_title() for ax in fig.axes] == ["R-WAE: z^c of 45 test videos", "DS-VAE: z^c of 45 test videos"]
    assert [t.get_text() for t in fig.axes[-1].get_legend().get_texts()] == ["a", "b", "c"]
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 45


def test_unconditional_samples_are_one_row_per_sample_and_model_ending_at_the_last_frame():
    rng = np.random.default_rng(0)
    videos = rng.integers(0, 256, (4, 10, 8, 8, 3), dtype=np.uint8)
    fig = unconditional_grid([("R-WAE(GAN)", videos), ("DS-VAE(W)", videos[:2])], samples=3)
    assert [ax.get_ylabel() for ax in fig.axes] == ["R-WAE(GAN): sample 1", "R-WAE(GAN): sample 2",
                                                    "R-WAE(GAN): sample 3", "DS-VAE(W): sample 1", "DS-VAE(W): sample 2"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][-1] == "t=10"
    assert np.array_equal(fig.axes[4].images[0].get_array()[:, -8:], videos[1, -1])  # the last frame, t = 10
