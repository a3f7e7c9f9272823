# Evaluation, one job per experiment x evaluation variant x seed, by the protocol the registry names for it
# (the model's own, or the variant's): best-of-N PSNR / SSIM / LPIPS (SRVP, SVG), FVD, factor analysis (Whitney &
# Fergus), judge scores of generated videos (R-WAE); and the deterministic reference baselines evaluated like the
# prediction models. The user's weight files of LPIPS and FVD are inputs where they exist (a missing one: the metric
# is reported as not computed); so is the judge of a judged protocol's test set (rule train_judge).


rule evaluate:
    input:
        checkpoint="results/runs/{experiment}/seed{seed}/model.pt",
        testset=lambda w: T.testset_input(
            config, lvconfig.evaluation_dataset(config, w.experiment, w.evaluation)
        ),
        weights=lambda w: T.evaluation_weights(config, w.experiment, w.evaluation),
        judges=lambda w: T.evaluation_judges(config, w.experiment, w.evaluation),
    output:
        metrics="results/eval/{experiment}/{evaluation}/seed{seed}/metrics.csv",
        samples="results/eval/{experiment}/{evaluation}/seed{seed}/samples.npz",
        info="results/eval/{experiment}/{evaluation}/seed{seed}/eval.json",
        summary="results/eval/{experiment}/{evaluation}/seed{seed}/summary.json",
    log:
        "results/logs/evaluate/{experiment}-{evaluation}-seed{seed}.log",
    conda:
        "../envs/latentvideo.yaml"
    # the budget's threads (default 8), capped at --cores; on a cluster, the CPUs asked (per GPU where it gives one)
    threads: lvconfig.job_threads(config, "evaluate")
    resources:
        **lvconfig.job_resources(config, "evaluate"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "evaluate", w),
        testset=lambda w: T.testset(
            config, lvconfig.evaluation_dataset(config, w.experiment, w.evaluation)
        ),
        out=lambda w, output: os.path.dirname(output.metrics),
    shell:
        "latentvideo --log {log:q} evaluate --config {params.cfg:q} --budget {params.budget:q}"
        " --checkpoint {input.checkpoint:q} --experiment {wildcards.experiment:q}"
        " --evaluation {wildcards.evaluation:q} --testset {params.testset:q}"
        " --threads {threads}"
        " --out {params.out:q}"


rule baseline:
    input:
        testset=lambda w: T.testset_input(config, w.dataset),
        weights=lambda w: T.baseline_weights(config, w.dataset),
    output:
        metrics="results/baselines/{baseline}/{dataset}/metrics.csv",
        samples="results/baselines/{baseline}/{dataset}/samples.npz",
        info="results/baselines/{baseline}/{dataset}/eval.json",
        summary="results/baselines/{baseline}/{dataset}/summary.json",
    log:
        "results/logs/baseline/{baseline}-{dataset}.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "baseline"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "baseline", w),
        testset=lambda w: T.testset(config, w.dataset),
        out=lambda w, output: os.path.dirname(output.metrics),
    shell:
        "latentvideo --log {log:q} baseline --config {params.cfg:q} --budget {params.budget:q}"
        " --name {wildcards.baseline:q} --dataset {wildcards.dataset:q} --testset {params.testset:q}"
        " --out {params.out:q}"
