# Data: acquisition (full MNIST, checksummed; only when the digit source is mnist), digit pools, test sets.


rule acquire_mnist:
    output:
        expand(
            "{dir}/{name}",
            dir=T.MNIST_RAW,
            name=config["digits"]["mnist"]["sha256"],
        ),
    log:
        "results/logs/acquire_mnist.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "acquire_mnist"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=JP.job_params(config, "acquire_mnist", {}),
        out=lambda w, output: os.path.dirname(output[0]),
    shell:
        "latentvideo --log {log:q} acquire-mnist --config {params.cfg:q} --budget {params.budget:q} --out {params.out:q}"


rule prepare_digits:
    input:
        rules.acquire_mnist.output if DIGIT_SOURCE == "mnist" else [],
    output:
        directory(T.DIGITS),
    log:
        "results/logs/prepare_digits.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "prepare_digits"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=JP.job_params(config, "prepare_digits", {}),
        source=DIGIT_SOURCE,
    shell:
        "latentvideo --log {log:q} prepare-digits --config {params.cfg:q} --budget {params.budget:q}"
        " --source {params.source:q} --out {output:q}"


rule make_testset:
    input:
        digits=lambda w: T.stored_source(config, w.dataset),
    output:
        directory("data/processed/{dataset}/test"),
    log:
        "results/logs/make_testset/{dataset}.log",
    wildcard_constraints:
        dataset="|".join(T.generated_datasets(config)),
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "make_testset"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "make_testset", w),
    shell:
        "latentvideo --log {log:q} make-testset --config {params.cfg:q} --budget {params.budget:q}"
        " --dataset {wildcards.dataset:q} --digits={input.digits:q} --out {output:q}"


# Raw datasets of the five papers (raw_data in config; only enabled ones are in the DAG).
# Acquisition downloads with resume + sha256 or checks files placed by hand, and writes an inventory.
rule acquire_raw:
    output:
        "data/raw/{raw}.inventory.json",
    log:
        "results/logs/acquire/{raw}.log",
    conda:
        "../envs/latentvideo.yaml"
    resources:
        **lvconfig.job_resources(config, "acquire_raw"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "acquire_raw", w),
    shell:
        "latentvideo --log {log:q} acquire --config {params.cfg:q} --budget {params.budget:q}"
        " --dataset {wildcards.raw:q} --out {output:q}"


rule preprocess_raw:
    input:
        inventory="data/raw/{raw}.inventory.json",
    output:
        directory("data/processed/{raw}"),
    log:
        "results/logs/preprocess/{raw}.log",
    conda:
        "../envs/latentvideo.yaml"
    # the budget's threads (default 8), capped at --cores; decoding / resizing scale with processes
    threads: lvconfig.job_threads(config, "preprocess_raw")
    resources:
        **lvconfig.job_resources(config, "preprocess_raw"),
    params:
        cfg=CONFIG_FILE,
        budget=BUDGET,
        depends=lambda w: JP.job_params(config, "preprocess_raw", w),
    shell:
        "latentvideo --log {log:q} preprocess --config {params.cfg:q} --budget {params.budget:q}"
        " --dataset {wildcards.raw:q} --inventory {input.inventory:q} --out {output:q} --workers {threads}"
