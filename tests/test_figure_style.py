"""Figures in the house style, checked from the saved figure's layout record (not by eye): no text over an
axes it does not belong to, PSNR scales set by the values below the cap, a note where latents are unused."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from latentvideo.evaluation.tidy import PSNR_CAP_DB  # noqa: E402
from latentvideo.reporting import figure_style, figures  # noqa: E402

LONG = ("Ours, budget 'default': SRVP 2000 steps x batch 16, seed 0; best of 3 samples, 256 test videos. " * 6).strip()


def psnr_frame(copy_last_capped_at: int | None) -> pd.DataFrame:
    """SRVP Fig. 3's shape on the deterministic set: 95 predicted frames, copy-last back at its start at t = 77."""
    rows = []
    for label, model, level in (("SRVP", "srvp", 15.0), ("Copy last frame", "copy_last", 12.5)):
        for t in range(6, 101):
            value = PSNR_CAP_DB if model == "copy_last" and t == copy_last_capped_at else level - 0.01 * t
            rows.append({"label": label, "model": model, "dataset": "d", "metric": "psnr", "t": str(t),
                         "value": value, "ci95": 0.0 if value == PSNR_CAP_DB else 0.2})
    return pd.DataFrame(rows)


def saved(fig, tmp_path, title="A title that says what the figure shows", caption=LONG):
    figure_style.save(fig, tmp_path / "f.pdf", tmp_path / "f.png", title=title, caption=caption)
    assert (tmp_path / "f.pdf").stat().st_size > 1000
    return figure_style.read_layout(tmp_path / "f.png")


def test_capped_psnr_does_not_set_the_scale_and_is_said(tmp_path):
    fig, notes = figures.metric_vs_t(psnr_frame(77), "d", "psnr", 15, cap_db=PSNR_CAP_DB)
    (note,) = notes
    assert "Copy last frame reaches the 100 dB cap" in note and "t = 77" in note
    record = saved(fig, tmp_path, caption=f"{LONG} {note}.")
    (axes,) = [a for a in record["axes"] if "psnr" in a]
    assert axes["psnr"]["ylim"][1] < 20  # the curves, not the cap, set the scale
    assert figure_style.layout_problems(record) == []
    labels = {t["text"] for t in record["texts"]}
    assert "PSNR (dB)" in labels and any(t.startswith("A title") for t in labels)


def test_a_psnr_axes_scaled_to_the_cap_is_a_layout_problem(tmp_path):
    fig, _ = figures.metric_vs_t(psnr_frame(77), "d", "psnr", 15, cap_db=PSNR_CAP_DB)
    fig.axes[0].set_ylim(10, 101)
    problems = figure_style.layout_problems(saved(fig, tmp_path))
    assert any("reaches the 100 dB cap" in p for p in problems), problems


def test_a_caption_over_the_axes_is_a_layout_problem(tmp_path):
    fig, _ = figures.metric_vs_t(psnr_frame(None), "d", "psnr", 15, cap_db=PSNR_CAP_DB)
    fig.text(0.5, 0.5, "a note dropped on the plot", ha="center")
    problems = figure_style.layout_problems(saved(fig, tmp_path))
    assert any("a note dropped on the plot" in p and "overlaps axes" in p for p in problems), problems


@pytest.mark.parametrize("kl, noted", [(0.004, True), (5.3, False)])
def test_unused_latents_are_noted_on_the_panels(tmp_path, kl, noted):
    rng = np.random.default_rng(0)
    corr = rng.uniform(-0.3, 0.3, (20, 20))
    fig = figures.correlation_heatmaps([("Factored", corr, 10, kl), ("Entangled", corr.T, 10, None)])
    grid = figures.generation_grid(rng.integers(0, 255, (3, 6, 8, 8, 1), dtype=np.uint8),
                                   rng.integers(0, 255, (6, 8, 8, 1), dtype=np.uint8), kl_per_frame=kl)
    for f in (fig, grid):
        notes = [t for ax in f.axes for t in ax.texts if t.get_gid() == "kl-note"]
        assert len(notes) == int(noted) and all(figure_style.LATENTS_UNUSED in t.get_text() for t in notes)
    assert fig.axes[0].images[0].get_clim()[1] == pytest.approx(np.abs(corr).max())  # the scale shows the data
    assert figure_style.layout_problems(saved(fig, tmp_path)) == []


def test_every_strip_figure_keeps_title_and_caption_clear(tmp_path):
    rng = np.random.default_rng(1)
    video = lambda n: rng.integers(0, 255, (2, n, 16, 16, 1), dtype=np.uint8)  # noqa: E731
    samples = {"SRVP": {"cond": video(5), "truth": video(20), "best_psnr": video(20)},
               "SVG": {"cond": video(5), "truth": video(20), "best_psnr": video(20)}}
    arrays = {"dynamics": video(15), "content": video(15), "swapped": video(15), "cond_frames": np.int64(5)}
    for fig in (figures.sample_strip(samples, 0), figures.content_swap_grid(arrays, 0),
                figures.frame_rate_strip(video(5)[0], video(10)[0], video(20)[0], 2),
                figures.not_run_figure("Not run at budget default: " + LONG)):
        assert figure_style.layout_problems(saved(fig, tmp_path)) == []


def test_every_notebook_writes_through_the_house_style(repo):
    """Figures are saved by figure_style.save and tables written by table_output.write_table: no notebook
    saves or formats on its own."""
    import json

    for path in sorted((repo / "notebooks").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        assert ("figure_style.save(" in code) != ("from latentvideo.reporting.table_output import" in code
                                                   and "write_table(" in code), path.name
        for own in ("savefig", "to_markdown", "to_latex", "to_csv", "suptitle"):
            assert own not in code, (path.name, own)


def test_training_curves_have_one_panel_per_term_with_validation_and_learning_rate(tmp_path):
    from latentvideo.reporting.training_curves import curves_figure

    records = [{"step": s, "lr": 1e-3, "total": 100.0 / s, "nll": 90.0 / s, "kl": 0.5,
                **({"val_total": 110.0 / s, "val_nll": 95.0 / s, "val_kl": 0.6} if s % 50 == 0 else {})}
               for s in range(1, 201)]
    fig = curves_figure(records)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["total", "nll", "kl", "learning rate"]
    assert [len(ax.lines) for ax in shown] == [2, 2, 2, 1]  # training and validation in one panel
    assert shown[0].get_yscale() == "log" and shown[2].get_yscale() == "linear"  # 100 -> 0.5: two decades
    assert figure_style.layout_problems(saved(fig, tmp_path)) == []
