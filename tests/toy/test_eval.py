"""The committed weights and the stored evaluation agree (rope_course/toy/*.json, *.pt)."""

import json

import pytest
import torch

from rope_course.toy.eval import (
    VARIANTS,
    EvalSpec,
    eval_set,
    evaluate_batch,
    evaluate_curve,
    explorer_eval_spec,
    explorer_point,
    load_model,
    load_results,
    rope_for,
)
from rope_course.toy.model import RopeSpec
from rope_course.toy.train import CONFIG_NAME, PACKAGE_DIR, WEIGHTS_NAME


@pytest.fixture(scope="module")
def stored():
    return load_results()


@pytest.fixture(scope="module")
def model():
    return load_model()


def _spec(stored, **overrides):
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in stored["spec"].items()}
    return EvalSpec(**{**fields, **overrides})


def _close(got, want):
    assert got["n"] == want["n"] and got["n_far"] == want["n_far"]
    assert got["loss"] == pytest.approx(want["loss"], rel=1e-5, abs=1e-6)
    # an argmax may flip only on a near-tie; allow one answer either way
    assert abs(got["acc"] - want["acc"]) * got["n"] <= 1 + 1e-9


def test_committed_files_are_small_and_consistent():
    weights = PACKAGE_DIR / WEIGHTS_NAME
    assert weights.stat().st_size <= 2 * 1024 * 1024
    info = json.loads((PACKAGE_DIR / CONFIG_NAME).read_text())
    assert info["metrics"]["heldout_acc_at_L"] > 0.5       # it did learn the task at length L


def test_committed_weights_reproduce_the_stored_training_metric(model):
    from rope_course.toy.data import TaskSpec, make_batch
    from rope_course.toy.train import scored_loss

    info = json.loads((PACKAGE_DIR / CONFIG_NAME).read_text())
    gen = torch.Generator().manual_seed(info["train_config"]["seed"] + 2)
    batch = make_batch(256, model.config.max_position_embeddings, gen, TaskSpec(**info["task"]))
    with torch.no_grad():
        loss, acc, _ = scored_loss(model.set_rope(RopeSpec("none")), batch)
    assert loss.item() == pytest.approx(info["metrics"]["heldout_loss_at_L"], rel=1e-5)
    assert acc.item() == pytest.approx(info["metrics"]["heldout_acc_at_L"], abs=1.01 / 4096)


@pytest.mark.parametrize("kind", VARIANTS)
def test_committed_weights_reproduce_the_stored_table_at_the_shortest_and_longest_length(stored, model, kind):
    spec = _spec(stored)
    batches = eval_set(spec)
    for T in (spec.lengths[0], spec.lengths[-1]):
        if kind == "dynamic":     # the stored curve ran in increasing order: every call past L rebuilds
            got = evaluate_curve(model, kind, _spec(stored, lengths=(T,)), {T: batches[T]})[T]
        else:
            model.set_rope(rope_for(kind, T, model.config.max_position_embeddings, spec))
            got = evaluate_batch(model, batches[T], model.config.max_position_embeddings, spec.batch_tokens)
        _close(got, stored["table"][kind][str(T)])


def test_stored_table_facts(stored):
    table, L = stored["table"], stored["L"]
    short = str(L)
    for kind in ("linear", "dynamic", "dynamic_stateless"):
        assert table[kind][short] == table["none"][short]          # identical at T <= L
    for T in table["none"]:
        assert table["dynamic"][T] == table["dynamic_stateless"][T]   # ascending order: no history


def test_stored_explorer_grid_point_reproduces(stored, model):
    spec = _spec(stored)
    espec = explorer_eval_spec(spec)
    grid = stored["explorer_grid"]
    batches = eval_set(espec)
    i, j = grid["factors"].index(4.0), len(grid["lengths"]) - 1
    got = explorer_point(model, 4.0, grid["lengths"][j], batches, espec)
    assert got["loss"] == pytest.approx(grid["loss"][i][j], rel=1e-5)
    assert abs(got["acc"] - grid["acc"][i][j]) * got["n"] <= 1 + 1e-9
