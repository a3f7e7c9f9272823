# Training: one job per (experiment = model x dataset x variant) x seed, on the digit pools (generated
# datasets) or a preprocessed raw dataset. Resumes from
# results/runs/<experiment>/seed<seed>/checkpoints/last.pt when re-run after an interruption.


rule train:
    input:
        data=lambda w: T.training_input(config, w.experiment),
    output:
        model="results/runs/{experiment}/seed{seed}/model.pt",
        log_jsonl="results/runs/{experiment}/seed{seed}/train_log.jsonl",
        curve="results/runs/{experiment}/seed{seed}/train_log.csv",
        run="results/runs/{experiment}/seed{seed}/run.json",
    log:
        "results/logs/train/{experiment}-seed{seed}.log",
    conda:
        "../envs/latentvideo.yaml"
    # the budget's threads (default 8), capped at --cores; on a cluster, the CPUs asked (per GPU where it gives one)
    threads: lvconfig.job_threads(config, "train")
    resources:
        **lvconfig.job_resources(config, "train"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "train", w),
        out=lambda w, output: os.path.dirname(output.model),
    shell:
        "latentvideo --log {log:q} train --config {params.cfg:q} --budget {params.budget:q}"
        " --experiment {wildcards.experiment:q} --seed {wildcards.seed:q} --data={input.data:q}"
        " --threads {threads} --out {params.out:q}"


rule plot_training:
    input:
        log_jsonl="results/runs/{experiment}/seed{seed}/train_log.jsonl",
        run="results/runs/{experiment}/seed{seed}/run.json",
    output:
        png=report(
            "results/runs/{experiment}/seed{seed}/training_curves.png",
            caption="../report/training_curves.rst",
            category="Training curves",
            labels={"experiment": "{experiment}", "seed": "{seed}"},
        ),
    log:
        "results/logs/plot_training/{experiment}-seed{seed}.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "plot_training"),
    params:
        run_dir=lambda w, input: os.path.dirname(input.run),
    shell:
        "latentvideo --log {log:q} plot-training --run {params.run_dir:q} --out {output.png:q}"


# Judge classifiers (R-WAE): one per labelled dataset with a `judges` entry, trained on its real training videos
# and scored on its real test split; the disentanglement evaluations read it.
rule train_judge:
    input:
        unpack(lambda w: T.judge_inputs(config, w.dataset)),
    output:
        model="results/judges/{dataset}/judge.pt",
        record="results/judges/{dataset}/judge.json",
    log:
        "results/logs/train_judge/{dataset}.log",
    wildcard_constraints:
        dataset="|".join(config.get("judges", {})) or "no-judge-declared",
    conda:
        "../envs/latentvideo.yaml"
    threads: lvconfig.job_threads(config, "train_judge")
    resources:
        **lvconfig.job_resources(config, "train_judge"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "train_judge", w),
        testset=lambda w: T.testset(config, w.dataset),
        out=lambda w, output: os.path.dirname(output.model),
    shell:
        "latentvideo --log {log:q} train-judge --config {params.cfg:q} --budget {params.budget:q}"
        " --dataset {wildcards.dataset:q} --data={input.data:q} --testset {params.testset:q}"
        " --threads {threads} --out {params.out:q}"
