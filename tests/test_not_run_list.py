"""A budget with `not_run_outputs: list` renders only the outputs that read one of its runs and lists the others,
with why, in results/not_run.md; with `render` (the default) it renders every output."""

from __future__ import annotations

import copy

from latentvideo import cli, config, job_params, targets
from latentvideo.reporting.not_run_list import not_run_markdown, not_run_outputs


def _budget(base_config, budget: str, mode: str | None) -> dict:
    cfg = {**copy.deepcopy(base_config), "budget": budget}
    if mode is None:
        cfg["budgets"][budget].pop("not_run_outputs", None)
    else:
        cfg["budgets"][budget]["not_run_outputs"] = mode
    config.validate(cfg)
    return cfg


def test_listed_outputs_are_exactly_those_reading_no_run_and_leave_the_default_targets(base_config):
    cfg = _budget(base_config, "default", "list")
    every = targets.budget_instances(cfg)
    left = not_run_outputs(cfg)
    assert left and len(left) < len(every)
    for stem, inst in every.items():
        reads = any(r["kind"] in ("experiment", "baseline") for r in inst.inputs)
        assert (stem in left) != reads, stem
    final = targets.final_targets(cfg)
    assert targets.NOT_RUN_LIST in final
    for stem, inst in every.items():
        assert all((path in final) == (stem not in left) for path in inst.outputs.values()), stem
    # nothing else changes: the runs whose curves are drawn are those the rendered outputs read
    assert "results/figures/srvp2020_fig8_bair.pdf" not in final and "results/tables/srvp2020_table2.md" in final
    assert targets.training_curves("srvp-smmnist_deterministic", 0) in final


def test_render_mode_renders_every_output_and_writes_no_list(base_config):
    for mode in (None, "render"):
        cfg = _budget(base_config, "default", mode)
        final = targets.final_targets(cfg)
        assert targets.NOT_RUN_LIST not in final
        for inst in targets.budget_instances(cfg).values():
            assert all(path in final for path in inst.outputs.values()), inst.stem


def test_the_list_says_why_for_each_row_and_how_to_render_it(base_config):
    cfg = _budget(base_config, "default", "list")
    text = not_run_markdown(cfg, not_run_outputs(cfg))
    assert text.startswith("# Outputs not rendered at budget `default`")
    assert "- **srvp2020_fig8_bair** (figure, `results/figures/srvp2020_fig8_bair.pdf`" in text
    assert "SRVP (BAIR robot pushing)" in text and "raw_data.bair is not enabled" in text
    # a row left out by the budget's experiments list names the budgets that run it
    assert "not run at budget default (budgets.default.experiments); run at" in text
    assert "srvp2020_table2" not in text  # it reads the default's SRVP and SVG runs
    assert "`snakemake <path>`" in text
    assert text.count("- **") == len(not_run_outputs(cfg))


def test_the_cli_writes_the_list_and_its_job_depends_on_what_decides_it(base_config, repo, tmp_path):
    out = tmp_path / "results" / "not_run.md"
    cli.main(["list-not-run", "--config", str(repo / "config" / "config.yaml"), "--budget", "default",
              "--out", str(out)])
    cfg = config.load(repo / "config" / "config.yaml", "default")
    assert out.read_text() == not_run_markdown(cfg, not_run_outputs(cfg))
    assert [p.name for p in out.parent.iterdir()] == ["not_run.md"]  # written atomically: no temporaries left
    keys = job_params.job_param_keys(cfg, "list_not_run", {})
    assert {"budgets.default", "figures", "experiments", "raw_data"} <= set(keys)
