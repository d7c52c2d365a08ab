import pytest
import torch

from rope_course.toy.data import TaskSpec, make_batch, n_pairs, n_queries


def _batch(T=128, B=8, seed=0):
    return make_batch(B, T, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("T", [8, 64, 128, 1024])
def test_every_answer_is_the_value_after_its_query_key_in_the_context(T):
    spec = TaskSpec()
    b = _batch(T)
    C = 3 * T // 4
    for row in range(b.tokens.shape[0]):
        tokens, targets, dist = b.tokens[row], b.targets[row], b.distance[row]
        scored = (targets != -100).nonzero().flatten()
        assert len(scored) == n_queries(T)
        assert scored.tolist() == [C + 2 * j for j in range(n_queries(T))]
        for pos in scored.tolist():
            value_pos = pos - int(dist[pos])
            assert tokens[value_pos] == targets[pos]            # the copied value
            assert tokens[value_pos - 1] == tokens[pos]         # preceded by the query's key
            assert value_pos < C
            assert tokens[pos + 1] == targets[pos]              # the answer follows the query
        keys = tokens[:C][tokens[:C] < spec.n_keys]
        assert len(keys) == n_pairs(T) and len(set(keys.tolist())) == n_pairs(T)   # distinct keys
        asked = tokens[C::2]
        assert sorted(asked.tolist()) == sorted(keys.tolist())  # each key asked exactly once


def test_deterministic_given_the_generator_seed_and_different_for_another():
    a, b, c = _batch(seed=3), _batch(seed=3), _batch(seed=4)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.targets, b.targets)
    assert not torch.equal(a.tokens, c.tokens)


def test_long_sequences_contain_answers_further_back_than_L():
    b = _batch(T=1024, B=4)
    assert int(b.distance.max()) > 128 * 4
    assert int(_batch(T=128).distance.max()) < 128


@pytest.mark.parametrize("T", [0, 12, 2048])
def test_bad_lengths_are_rejected(T):
    with pytest.raises(ValueError, match="seq_len"):
        _batch(T=T)
