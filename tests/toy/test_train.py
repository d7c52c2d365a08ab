import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rope_course.toy.train import TrainConfig, load_model, train, train_config_for

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)        # the subprocess's own limit; about 50 s on a busy 2-core machine
def test_quick_mode_trains_evaluates_and_merges_every_model(tmp_path):
    out = tmp_path / "toy"
    proc = subprocess.run([sys.executable, "-m", "rope_course.toy", "all", "--quick", "--out-dir", str(out)],
                          capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "step     5/5" in proc.stdout                        # the progress bar reached the end
    for task in ("recall", "language"):
        info = json.loads((out / "weights" / f"{task}_seed0.json").read_text())
        assert info["train_config"]["steps"] == 5 and info["train_config"]["task"] == task
        load_model(task, 0, out / "weights")
    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["seeds"] == [0]
    grid = results["tasks"]["recall"]["grid"]
    assert set(grid) == {"recall", "recall_control"} and "ntk_smin" in grid["recall"]
    assert set(grid["recall"]["none"]) == {"128", "256"}
    assert set(results["tasks"]["language"]["grid"]) == {"language"}
    for task in ("recall", "language"):
        assert {"served", "sweep", "decode", "explorer_summary", "training"} <= set(results["tasks"][task])


def test_quick_mode_refuses_to_overwrite_the_committed_files():
    proc = subprocess.run([sys.executable, "-m", "rope_course.toy", "train", "--task", "recall", "--seed", "0",
                           "--quick"], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode != 0 and "--out-dir" in proc.stderr


def test_the_entry_point_lists_its_commands():
    proc = subprocess.run([sys.executable, "-m", "rope_course.toy", "--help"], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert proc.returncode == 0 and all(c in proc.stdout for c in ("train", "evaluate", "merge", "all"))


@pytest.mark.parametrize("task", ["recall", "language"])
def test_training_is_deterministic_given_the_seed(task, capsys):
    cfg = TrainConfig(task=task, seed=5, steps=2, warmup=1, batch_size=2)
    a, ma = train(cfg)
    b, mb = train(cfg)
    c, _ = train(TrainConfig(task=task, seed=6, steps=2, warmup=1, batch_size=2))
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert ma["heldout_loss_at_L"] == mb["heldout_loss_at_L"]
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_train_restores_the_thread_count_and_the_global_rng(capsys):
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch.manual_seed(123)
        expected = torch.rand(3)
        torch.manual_seed(123)
        train(TrainConfig(task="recall", seed=1, steps=1, warmup=1, batch_size=2, threads=1))
        assert torch.get_num_threads() == 2
        assert torch.equal(torch.rand(3), expected)       # the global stream is where it was
    finally:
        torch.set_num_threads(threads)


def test_committed_configs():
    assert train_config_for("recall", 0).steps == 700 and train_config_for("language", 0).lr == 5e-3
    assert train_config_for("language", 1, steps=10).lr == 5e-3
    with pytest.raises(ValueError, match="task"):
        train_config_for("copy", 0)
