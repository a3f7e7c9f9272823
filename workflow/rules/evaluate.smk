# Evaluation, by the model's protocol: best-of-N PSNR / SSIM per test video (SRVP, SVG; best sample chosen
# per metric) or factor analysis (Whitney & Fergus: ELBO, mutual information, correlations, generations);
# and the deterministic reference baselines evaluated like the prediction models.


rule evaluate:
    input:
        checkpoint="results/runs/{experiment}/seed{seed}/model.pt",
        testset=lambda w: T.testset_input(
            config, config["experiments"][w.experiment]["dataset"]
        ),
    output:
        metrics="results/eval/{experiment}/seed{seed}/metrics.csv",
        samples="results/eval/{experiment}/seed{seed}/samples.npz",
        info="results/eval/{experiment}/seed{seed}/eval.json",
    log:
        "results/logs/evaluate/{experiment}-seed{seed}.log",
    conda:
        "../envs/latentvideo.yaml"
    threads: 8  # capped at --cores; on a cluster, the CPUs asked per GPU (profiles/default)
    resources:
        **lvconfig.job_resources(config, "evaluate"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        evaluation=config["budgets"][BUDGET]["evaluation"],
        testset=lambda w: T.testset(
            config, config["experiments"][w.experiment]["dataset"]
        ),
        out=lambda w, output: os.path.dirname(output.metrics),
    shell:
        "latentvideo --log {log:q} evaluate --config {params.cfg:q} --budget {params.budget:q}"
        " --checkpoint {input.checkpoint:q} --experiment {wildcards.experiment:q} --testset {params.testset:q}"
        " --threads {threads}"
        " --out {params.out:q}"


rule baseline:
    input:
        testset="data/processed/{dataset}/test",
    output:
        metrics="results/baselines/{baseline}/{dataset}/metrics.csv",
        samples="results/baselines/{baseline}/{dataset}/samples.npz",
        info="results/baselines/{baseline}/{dataset}/eval.json",
    log:
        "results/logs/baseline/{baseline}-{dataset}.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "baseline"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        evaluation=config["budgets"][BUDGET]["evaluation"],
        out=lambda w, output: os.path.dirname(output.metrics),
    shell:
        "latentvideo --log {log:q} baseline --config {params.cfg:q} --budget {params.budget:q}"
        " --name {wildcards.baseline:q} --dataset {wildcards.dataset:q} --testset {input.testset:q}"
        " --out {params.out:q}"
