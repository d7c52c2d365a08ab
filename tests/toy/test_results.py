"""The committed weights and the committed grid (rope_course/toy/weights, results.json) agree."""

import pytest
import torch

from rope_course.attention import s_min
from rope_course.toy import evaluate as ev
from rope_course.toy.methods import METHODS, apply_spec, rope_spec
from rope_course.toy.model import ModelConfig
from rope_course.toy.results import Grid, load_results
from rope_course.toy.train import (
    SEEDS,
    TASKS,
    WEIGHTS_DIR,
    batch_for,
    load_model,
    model_config_for,
    scored_loss,
    weights_path,
)


@pytest.fixture(scope="module")
def results():
    return load_results()


def test_every_model_is_committed_and_all_weights_stay_under_6_mb(results):
    paths = [weights_path(t, s) for t in TASKS for s in SEEDS]
    assert all(p.exists() and p.with_suffix(".json").exists() for p in paths)
    assert sum(p.stat().st_size for p in WEIGHTS_DIR.glob("*.pt")) <= 6 * 1024 * 1024
    assert results["meta"]["seeds"] == list(SEEDS)
    for task in TASKS:
        assert not results["tasks"][task]["quick"]
        assert [r["train_config"]["seed"] for r in results["tasks"][task]["training"]] == list(SEEDS)


@pytest.mark.parametrize("task", TASKS)
def test_each_committed_model_has_the_architecture_its_record_and_the_trainer_name(results, task):
    """The records once said the language models had no previous-token embedding while their
    weights had one; a strict load, the record and `model_config_for` must now agree."""
    for seed, row in zip(SEEDS, results["tasks"][task]["training"]):
        model = load_model(task, seed)                    # strict: a missing or extra tensor raises
        assert model.config == model_config_for(task) == ModelConfig(**row["model_config"])
        assert (model.prev_embed is not None) == model.config.prev_token_embedding


@pytest.mark.parametrize("task", TASKS)
def test_committed_weights_reproduce_their_training_metric(task):
    info = load_results()["tasks"][task]["training"][0]
    model = load_model(task, 0)
    gen = torch.Generator().manual_seed(info["train_config"]["seed"] + 2)
    with torch.no_grad():
        loss, acc, _ = scored_loss(model, batch_for(task, 64, model.config.max_position_embeddings, gen))
    assert loss.item() == pytest.approx(info["metrics"]["heldout_loss_at_L"], rel=1e-5)


@pytest.mark.parametrize("task,set_name,method,T", [("recall", "recall", "yarn_dynamic", 256),
                                                    ("language", "language", "pi_fixed", 128)])
def test_a_live_evaluation_matches_the_stored_grid(results, task, set_name, method, T):
    model = load_model(task, 1)
    c = model.config
    apply_spec(model, rope_spec(method, T, c.max_position_embeddings, c.head_dim, c.rope_base))
    got = ev.score_batch(model, ev.eval_batch(set_name, T), set_name)["all"]
    correct, loss = results["tasks"][task]["grid"][set_name][method][str(T)]["per_seed"]["all"][1]
    assert abs(sum(got["correct"]) - correct) <= 1
    assert sum(got["loss"]) == pytest.approx(loss, rel=1e-5)


def test_pooled_sequences_add_up_to_the_per_seed_totals(results):
    for task, set_name in (("recall", "recall"), ("recall", "recall_control"), ("language", "language")):
        grid = results["tasks"][task]["grid"][set_name]
        for method in ("none", "ntk_dynamic"):
            for T in ("128", "1024"):
                cell = grid[method][T]
                for name, pooled in cell["pooled"].items():
                    seeds = cell["per_seed"][name]
                    assert sum(pooled["correct"]) == sum(c for c, _ in seeds)
                    assert sum(pooled["loss"]) == pytest.approx(sum(v for _, v in seeds), rel=1e-6, abs=1e-6)


def test_exact_identities_hold_in_the_grid(results):
    L = 128
    for task, sets in ev.SETS.items():
        grid = Grid(task, results)
        for set_name in sets:
            none_L = grid.group(set_name, "none", L)
            for method in ("pi_dynamic", "ntk_dynamic", "yarn_dynamic", "ntk_smin"):
                assert grid.group(set_name, method, L) == none_L, method       # plain RoPE inside the window
            # dynamic NTK at 8L uses a = 8, exactly the fixed NTK base with s = 8
            assert grid.group(set_name, "ntk_dynamic", 8 * L) == grid.group(set_name, "ntk_fixed", 8 * L)
            assert set(grid.data["grid"][set_name]) == {m for m in METHODS if m != "deepseek_class"}


def test_the_stored_s_min_is_lesson_06s_bound(results):
    """The lesson reads s_min from the grid (it does not import the function, exercise 1's answer)."""
    for task, sets in ev.SETS.items():
        for set_name in sets:
            for T in ev.SWEEP_LENGTHS:
                assert results["tasks"][task]["sweep"][set_name][str(T)]["s_min"] == s_min(T, 128, 32, 100.0)
