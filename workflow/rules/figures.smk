# Figures and tables: papermill runs each notebook with its parameters; the executed notebook is kept.


rule srvp_fig3_psnr:
    input:
        notebook="notebooks/srvp2020_fig3_psnr_vs_t.ipynb",
        metrics=lambda w: T.experiment_metrics(config, w.dataset)
        + T.baseline_metrics(config, w.dataset),
    output:
        pdf=report(
            "results/figures/srvp2020_fig3_psnr_{dataset}.pdf", category="SRVP 2020"
        ),
        png=report(
            "results/figures/srvp2020_fig3_psnr_{dataset}.png", category="SRVP 2020"
        ),
        notebook="results/notebooks/srvp2020_fig3_psnr_{dataset}.ipynb",
    log:
        "results/notebooks/srvp2020_fig3_psnr_{dataset}.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "srvp_fig3_psnr"),
    params:
        metrics=lambda w, input: T.csv_list(input.metrics),
        train_length=lambda w: config["datasets"][w.dataset]["train_length"],
        kernel=config["kernel"],
        notebook_dir=lambda w, output: os.path.dirname(output.notebook),
    shell:
        "mkdir -p {params.notebook_dir:q} && papermill {input.notebook:q} {output.notebook:q} -k {params.kernel:q}"
        " -p metrics {params.metrics:q} -p dataset {wildcards.dataset:q}"
        " -p train_length {params.train_length:q} -p out_pdf {output.pdf:q} -p out_png {output.png:q}"
        " --no-progress-bar --log-level WARNING 2> {log:q}"


rule srvp_fig2_samples:
    input:
        notebook="notebooks/srvp2020_fig2_samples.ipynb",
        samples=T.experiment_samples(config, "smmnist_stochastic", paper="srvp2020"),
    output:
        pdf=report(T.FIG2["pdf"], category="SRVP 2020"),
        png=report(T.FIG2["png"], category="SRVP 2020"),
        notebook="results/notebooks/srvp2020_fig2_samples.ipynb",
    log:
        "results/notebooks/srvp2020_fig2_samples.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "srvp_fig2_samples"),
    params:
        samples=lambda w, input: T.csv_list(input.samples),
        labels=T.csv_list(
            T.experiment_labels(config, "smmnist_stochastic", paper="srvp2020")
        ),
        kernel=config["kernel"],
        notebook_dir=lambda w, output: os.path.dirname(output.notebook),
    shell:
        "mkdir -p {params.notebook_dir:q} && papermill {input.notebook:q} {output.notebook:q} -k {params.kernel:q}"
        " -p samples {params.samples:q} -p labels {params.labels:q}"
        " -p out_pdf {output.pdf:q} -p out_png {output.png:q}"
        " --no-progress-bar --log-level WARNING 2> {log:q}"


rule srvp_table2:
    input:
        notebook="notebooks/srvp2020_table2.ipynb",
        paper="config/paper_numbers/srvp2020.yaml",
        metrics=T.experiment_metrics(config, paper="srvp2020")
        + T.baseline_metrics(config),
    output:
        md=report(T.TABLE2["md"], category="SRVP 2020"),
        tex=T.TABLE2["tex"],
        csv=report(T.TABLE2["csv"], category="SRVP 2020"),
        notebook="results/notebooks/srvp2020_table2.ipynb",
    log:
        "results/notebooks/srvp2020_table2.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "srvp_table2"),
    params:
        metrics=lambda w, input: T.csv_list(input.metrics),
        kernel=config["kernel"],
        notebook_dir=lambda w, output: os.path.dirname(output.notebook),
    shell:
        "mkdir -p {params.notebook_dir:q} && papermill {input.notebook:q} {output.notebook:q} -k {params.kernel:q}"
        " -p metrics {params.metrics:q} -p paper_numbers {input.paper:q}"
        " -p out_md {output.md:q} -p out_tex {output.tex:q} -p out_csv {output.csv:q}"
        " --no-progress-bar --log-level WARNING 2> {log:q}"


# Whitney & Fergus 2017: Figure 2 (cross-time correlations), Figure 3 (independent generations), Table 2.
rule whitney_fig2_correlation:
    input:
        notebook="notebooks/whitney2017_fig2_correlation.ipynb",
        samples=lambda w: T.experiment_samples(config, w.dataset, paper="whitney2017"),
        metrics=lambda w: T.experiment_metrics(config, w.dataset, paper="whitney2017"),
    output:
        pdf=report(
            "results/figures/whitney2017_fig2_correlation_{dataset}.pdf",
            category="Whitney & Fergus 2017",
        ),
        png=report(
            "results/figures/whitney2017_fig2_correlation_{dataset}.png",
            category="Whitney & Fergus 2017",
        ),
        notebook="results/notebooks/whitney2017_fig2_correlation_{dataset}.ipynb",
    log:
        "results/notebooks/whitney2017_fig2_correlation_{dataset}.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "whitney_fig2_correlation"),
    params:
        samples=lambda w, input: T.csv_list(input.samples),
        metrics=lambda w, input: T.csv_list(input.metrics),
        kernel=config["kernel"],
        notebook_dir=lambda w, output: os.path.dirname(output.notebook),
    shell:
        "mkdir -p {params.notebook_dir:q} && papermill {input.notebook:q} {output.notebook:q} -k {params.kernel:q}"
        " -p samples {params.samples:q} -p metrics {params.metrics:q} -p dataset {wildcards.dataset:q}"
        " -p out_pdf {output.pdf:q} -p out_png {output.png:q}"
        " --no-progress-bar --log-level WARNING 2> {log:q}"


rule whitney_fig3_generations:
    input:
        notebook="notebooks/whitney2017_fig3_generations.ipynb",
        samples=lambda w: T.experiment_samples(
            config, w.dataset, paper="whitney2017", variant="factored"
        ),
        metrics=lambda w: T.experiment_metrics(config, w.dataset, paper="whitney2017"),
    output:
        pdf=report(
            "results/figures/whitney2017_fig3_generations_{dataset}.pdf",
            category="Whitney & Fergus 2017",
        ),
        png=report(
            "results/figures/whitney2017_fig3_generations_{dataset}.png",
            category="Whitney & Fergus 2017",
        ),
        notebook="results/notebooks/whitney2017_fig3_generations_{dataset}.ipynb",
    log:
        "results/notebooks/whitney2017_fig3_generations_{dataset}.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "whitney_fig3_generations"),
    params:
        samples=lambda w, input: T.csv_list(input.samples),
        metrics=lambda w, input: T.csv_list(input.metrics),
        kernel=config["kernel"],
        notebook_dir=lambda w, output: os.path.dirname(output.notebook),
    shell:
        "mkdir -p {params.notebook_dir:q} && papermill {input.notebook:q} {output.notebook:q} -k {params.kernel:q}"
        " -p samples {params.samples:q} -p metrics {params.metrics:q} -p dataset {wildcards.dataset:q}"
        " -p out_pdf {output.pdf:q} -p out_png {output.png:q}"
        " --no-progress-bar --log-level WARNING 2> {log:q}"


rule whitney_table2:
    input:
        notebook="notebooks/whitney2017_table2.ipynb",
        paper="config/paper_numbers/whitney2017.yaml",
        metrics=T.experiment_metrics(config, paper="whitney2017"),
    output:
        md=report(T.WHITNEY_TABLE2["md"], category="Whitney & Fergus 2017"),
        tex=T.WHITNEY_TABLE2["tex"],
        csv=report(T.WHITNEY_TABLE2["csv"], category="Whitney & Fergus 2017"),
        notebook="results/notebooks/whitney2017_table2.ipynb",
    log:
        "results/notebooks/whitney2017_table2.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "whitney_table2"),
    params:
        metrics=lambda w, input: T.csv_list(input.metrics),
        kernel=config["kernel"],
        notebook_dir=lambda w, output: os.path.dirname(output.notebook),
    shell:
        "mkdir -p {params.notebook_dir:q} && papermill {input.notebook:q} {output.notebook:q} -k {params.kernel:q}"
        " -p metrics {params.metrics:q} -p paper_numbers {input.paper:q}"
        " -p out_md {output.md:q} -p out_tex {output.tex:q} -p out_csv {output.csv:q}"
        " --no-progress-bar --log-level WARNING 2> {log:q}"
