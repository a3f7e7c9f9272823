# latentvideo: one DAG from raw data to every figure and table.
#   snakemake --cores all                        embedded default (offline, small budget)
#   snakemake --cores all --config budget=paper  paper budgets
#   snakemake results/figures/<figure>.pdf       one figure and only what it needs
# Rules are thin: each calls one `latentvideo` command (or papermill) with explicit paths.
from latentvideo import config as lvconfig
from latentvideo import job_params as JP
from latentvideo import targets as T
import mimetypes

# The report embeds the executed notebooks; Python's table of types lacks .ipynb (else one warning each).
mimetypes.add_type("application/x-ipynb+json", ".ipynb")


configfile: "config/config.yaml"


report: "workflow/report/landing.rst"


lvconfig.validate(config)
lvconfig.check_forwardable(config, "config/config.yaml")
CONFIG_FILE = "config/config.yaml"
BUDGET = config["budget"]
DIGIT_SOURCE = lvconfig.digit_source(config)


wildcard_constraints:
    experiment="|".join(config["experiments"]),
    dataset="|".join(config["datasets"]),
    baseline="|".join(config["baselines"]),
    raw="|".join(lvconfig.enabled_raw_datasets(config)) or "no-raw-dataset-enabled",
    seed=r"\d+",
    evaluation="|".join(config["evaluation_variants"]),


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"


rule all:
    default_target: True
    input:
        T.final_targets(config),
