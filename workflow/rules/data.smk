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
    params:
        out=T.MNIST_RAW,
    conda:
        "../envs/latentvideo.yaml"
    shell:
        "latentvideo --log {log} acquire-mnist --config {CONFIG_FILE} --budget {BUDGET} --out {params.out}"


rule prepare_digits:
    input:
        rules.acquire_mnist.output if DIGIT_SOURCE == "mnist" else [],
    output:
        directory(T.DIGITS),
    log:
        "results/logs/prepare_digits.log",
    params:
        source=DIGIT_SOURCE,
    conda:
        "../envs/latentvideo.yaml"
    shell:
        "latentvideo --log {log} prepare-digits --config {CONFIG_FILE} --budget {BUDGET}"
        " --source {params.source} --out {output}"


rule make_testset:
    input:
        digits=T.DIGITS,
    output:
        directory("data/processed/{dataset}/test"),
    log:
        "results/logs/make_testset/{dataset}.log",
    params:
        test_videos=config["budgets"][BUDGET]["evaluation"]["test_videos"],
    conda:
        "../envs/latentvideo.yaml"
    shell:
        "latentvideo --log {log} make-testset --config {CONFIG_FILE} --budget {BUDGET}"
        " --dataset {wildcards.dataset} --digits {input.digits} --out {output}"
