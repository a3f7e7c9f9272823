# Figures and tables: one job per declared output (config `figures`), each running its notebook with
# papermill through `latentvideo render`; the executed notebook is kept. Nothing here is per figure: a new
# figure is a notebook plus a declaration.


rule render_figure:
    input:
        unpack(lambda w: T.render_inputs(config, w.figure)),
    output:
        pdf=report("results/figures/{figure}.pdf", category="Figures"),
        png=report("results/figures/{figure}.png", category="Figures"),
        notebook="results/notebooks/{figure}.ipynb",
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
        md=report("results/tables/{figure}.md", category="Tables"),
        tex="results/tables/{figure}.tex",
        csv=report("results/tables/{figure}.csv", category="Tables"),
        notebook="results/notebooks/{figure}.ipynb",
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
