# Figures and tables: one job per declared output (config `figures`), each running its notebook with
# papermill through `latentvideo render`; the executed notebook is kept. Nothing here is per figure: a new
# figure is a notebook plus a declaration.


rule render_figure:
    input:
        unpack(lambda w: T.render_inputs(config, w.figure)),
    output:
        pdf="results/figures/{figure}.pdf",
        png=report(
            "results/figures/{figure}.png",
            caption="../report/figure.rst",
            category="Figures",
        ),
        notebook=report(
            "results/notebooks/{figure}.ipynb",
            caption="../report/notebook.rst",
            category="Notebooks",
        ),
    log:
        "results/logs/render/{figure}.log",
    wildcard_constraints:
        figure="|".join(T.figure_stems(config, "figure")),
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "render_figure"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "render_figure", w),
    shell:
        "latentvideo --log {log:q} render --config {params.cfg:q} --budget {params.budget:q}"
        " --figure {wildcards.figure:q}"


rule render_table:
    input:
        unpack(lambda w: T.render_inputs(config, w.figure)),
    output:
        md="results/tables/{figure}.md",
        tex="results/tables/{figure}.tex",
        csv=report(
            "results/tables/{figure}.csv",
            caption="../report/table.rst",
            category="Tables",
        ),
        html="results/tables/{figure}.html",
        notebook=report(
            "results/notebooks/{figure}.ipynb",
            caption="../report/notebook.rst",
            category="Notebooks",
        ),
    log:
        "results/logs/render/{figure}.log",
    wildcard_constraints:
        figure="|".join(T.figure_stems(config, "table")),
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "render_table"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "render_table", w),
    shell:
        "latentvideo --log {log:q} render --config {params.cfg:q} --budget {params.budget:q}"
        " --figure {wildcards.figure:q}"


# With budgets.<b>.not_run_outputs: list, the outputs that read none of the budget's runs are listed here, each
# with why, instead of being rendered (targets.final_targets).
rule list_not_run:
    output:
        md=report(
            T.NOT_RUN_LIST, caption="../report/not_run.rst", category="Not rendered"
        ),
    log:
        "results/logs/render/not_run.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "list_not_run"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "list_not_run", w),
    shell:
        "latentvideo --log {log:q} list-not-run --config {params.cfg:q} --budget {params.budget:q}"
        " --out {output.md:q}"
