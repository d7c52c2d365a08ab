import pytest
import torch

from rope_course.toy.data import (
    ANSWER,
    COPY_BODY,
    COPY_HEAD,
    MARKOV,
    UNSCORED,
    LanguageSpec,
    RecallSpec,
    answer_positions,
    make_language_batch,
    make_recall_batch,
    recall_pairs,
    transition_table,
)


def _recall(T=128, B=8, seed=0, control=False):
    return make_recall_batch(B, T, torch.Generator().manual_seed(seed), control=control)


@pytest.mark.parametrize("T,control", [(8, False), (64, False), (128, False), (1024, False), (128, True), (1024, True)])
def test_every_answer_is_the_value_after_its_query_key_in_the_context(T, control):
    spec = RecallSpec()
    b = _recall(T, control=control)
    P = recall_pairs(T, control)
    assert P == (16 if control else T // 8)
    C = T - 2 * P
    for row in range(b.tokens.shape[0]):
        tokens, targets, dist = b.tokens[row], b.targets[row], b.distance[row]
        scored = (targets != -100).nonzero().flatten().tolist()
        assert scored == list(range(C, T, 2)) == answer_positions(T, P)
        assert (b.kind[row][scored] == ANSWER).all() and (b.kind[row] != UNSCORED).sum() == P
        for pos in scored:
            value_pos = pos - int(dist[pos])
            assert value_pos < C
            assert tokens[value_pos] == targets[pos]            # the copied value
            assert tokens[value_pos - 1] == tokens[pos]         # preceded by the query's key
            assert tokens[pos + 1] == targets[pos]              # the answer follows the query
        keys = tokens[:C][tokens[:C] < spec.n_keys]
        assert len(keys) == P and len(set(keys.tolist())) == P  # distinct keys
        assert sorted(tokens[C::2].tolist()) == sorted(keys.tolist())   # each asked once


def test_control_holds_the_number_of_pairs_and_equals_the_standard_task_at_L():
    std, ctrl = _recall(128, seed=3), _recall(128, seed=3, control=True)
    assert torch.equal(std.tokens, ctrl.tokens) and torch.equal(std.targets, ctrl.targets)
    long_ctrl = _recall(1024, B=4, control=True)
    assert int((long_ctrl.targets != -100).sum()) == 4 * 16
    assert int((_recall(1024, B=4).targets != -100).sum()) == 4 * 128


def test_recall_is_deterministic_given_the_seed_and_spreads_answers_past_L():
    a, b, c = _recall(seed=3), _recall(seed=3), _recall(seed=4)
    assert torch.equal(a.tokens, b.tokens) and not torch.equal(a.tokens, c.tokens)
    assert int(_recall(1024, B=4).distance.max()) > 512
    assert int(_recall(1024, B=4, control=True).distance.max()) > 512
    assert int(_recall(128).distance.max()) < 128


@pytest.mark.parametrize("T", [0, 12, 2048, True, 128.0])
def test_bad_recall_lengths_are_rejected(T):
    with pytest.raises(ValueError, match="seq_len"):
        _recall(T=T)


def test_language_targets_are_the_next_token_and_copies_come_from_distance_back():
    T = 512
    b = make_language_batch(6, T, torch.Generator().manual_seed(1))
    assert b.tokens.shape == b.targets.shape == (6, T)
    assert torch.equal(b.targets[:, :-1], b.tokens[:, 1:])          # target = next token
    body = b.kind == COPY_BODY
    src = (torch.arange(T) + 1 - b.distance).clamp(0, T - 1)
    assert body.any() and torch.equal(b.targets[body], torch.gather(b.tokens, 1, src)[body])
    spec = LanguageSpec()
    assert int(b.distance[body].min()) >= spec.copy_min_distance
    assert ((b.kind == MARKOV) | (b.kind == COPY_HEAD) | body).all()
    assert (b.distance[b.kind == MARKOV] == 0).all()


def test_language_markov_tokens_follow_the_table_and_the_table_is_sparse():
    spec = LanguageSpec()
    cdf = transition_table(spec)
    probs = torch.diff(cdf, dim=-1, prepend=torch.zeros(*cdf.shape[:-1], 1, dtype=cdf.dtype))
    assert torch.allclose(probs.sum(-1), torch.ones(()).double())
    entropy = -(probs * probs.clamp_min(1e-300).log()).sum(-1).mean()
    assert entropy < 0.5 * torch.log(torch.tensor(float(spec.vocab_size)))      # far from uniform
    b = make_language_batch(16, 256, torch.Generator().manual_seed(2))
    full = torch.cat((b.tokens, b.targets[:, -1:]), dim=1)
    markov = (b.kind == MARKOV)
    markov[:, :1] = False                                            # needs two tokens of history
    t = markov.nonzero()
    p = probs[full[t[:, 0], t[:, 1] - 1], full[t[:, 0], t[:, 1]], full[t[:, 0], t[:, 1] + 1]]
    assert (p > 0).all() and p.log().mean() > -1.5 * entropy - 0.5   # typical draws, not uniform ones


def test_language_is_deterministic_given_the_generator():
    a = make_language_batch(2, 64, torch.Generator().manual_seed(5))
    b = make_language_batch(2, 64, torch.Generator().manual_seed(5))
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.kind, b.kind)
    with pytest.raises(ValueError, match="seq_len"):
        make_language_batch(2, 2, torch.Generator())
