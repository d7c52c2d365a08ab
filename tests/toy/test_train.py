import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rope_course.toy.data import TaskSpec
from rope_course.toy.model import ModelConfig, ToyTransformer
from rope_course.toy.train import TrainConfig, main, train

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_mode_of_the_script_writes_weights_config_and_eval(tmp_path):
    out = tmp_path / "toy"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "train_toy_model.py"), "--quick", "--out-dir", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "step     5/5" in proc.stdout                        # the progress bar reached the end
    info = json.loads((out / "toy_model.json").read_text())
    assert info["train_config"]["steps"] == 5
    assert set(info["metrics"]) >= {"heldout_loss_at_L", "heldout_acc_at_L", "history"}
    model = ToyTransformer(ModelConfig(**info["model_config"]))
    model.load_state_dict(torch.load(out / "toy_model.pt", weights_only=True))
    results = json.loads((out / "eval_results.json").read_text())
    assert set(results["table"]) == {"none", "linear", "ntk_fixed", "dynamic", "dynamic_stateless", "yarn"}
    assert set(results["table"]["none"]) == {"128", "256"}


def test_quick_mode_refuses_to_overwrite_the_committed_weights(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--quick"])
    assert exit_info.value.code != 0 and "--out-dir" in capsys.readouterr().err


def test_module_entry_point_needs_the_train_subcommand():
    proc = subprocess.run([sys.executable, "-m", "rope_course.toy"], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert proc.returncode == 2 and "usage: python -m rope_course.toy train" in proc.stderr


def test_training_is_deterministic_given_the_seed(capsys):
    cfg = TrainConfig(seed=5, steps=3, warmup=1, batch_size=4)
    small = ModelConfig()
    a, ma = train(small, TaskSpec(), cfg)
    b, mb = train(small, TaskSpec(), cfg)
    c, _ = train(small, TaskSpec(), TrainConfig(seed=6, steps=3, warmup=1, batch_size=4))
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert ma["heldout_loss_at_L"] == mb["heldout_loss_at_L"]
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
