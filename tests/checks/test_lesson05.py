import rope_course as rc
from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson05 import check_hf_base_after, check_inv_freq_after


def stub(*args):
    raise NotImplementedError


def deepseek_base(calls, dim, L, s, reset=False, last_only=False):
    if last_only:
        return rc.dynamic_ntk_base(10000, dim, calls[-1], L, s)
    cached, base = None, 10000
    for l in calls:
        if cached is None or l > cached:
            cached = l
            if l > L:
                base = rc.dynamic_ntk_base(10000, dim, l, L, s)
        if reset and l < L:
            cached, base = None, 10000
    return base


def hf_base(calls, dim, L, s, strict_reset=True, no_reset=False):
    cached, base = L, 10000
    for l in calls:
        if l > cached:
            cached, base = l, rc.dynamic_ntk_base(10000, dim, l, L, s)
        below = l < L if strict_reset else l <= L
        if not no_reset and below and cached > L:
            cached, base = L, 10000
    return base


def test_inv_freq_after_accepts_reference():
    r = check_inv_freq_after(lambda c, d, L, s: rc.inv_freq_for_base(deepseek_base(c, d, L, s), d), quiet=True)
    assert r.correct


def test_inv_freq_after_not_attempted():
    assert check_inv_freq_after(stub, quiet=True).status == NOT_ATTEMPTED


def test_inv_freq_after_rejects_stateless_answer():
    r = check_inv_freq_after(lambda c, d, L, s: rc.inv_freq_for_base(deepseek_base(c, d, L, s, last_only=True), d), quiet=True)
    assert r.status == "wrong" and "calls [32, 8]" in r.message


def test_inv_freq_after_rejects_hf_style_reset():
    r = check_inv_freq_after(lambda c, d, L, s: rc.inv_freq_for_base(deepseek_base(c, d, L, s, reset=True), d), quiet=True)
    assert r.status == "wrong" and "calls [32, 8]" in r.message


def test_hf_base_after_accepts_reference_and_not_attempted():
    assert check_hf_base_after(hf_base, quiet=True).correct
    assert check_hf_base_after(stub, quiet=True).status == NOT_ATTEMPTED


def test_hf_base_after_rejects_deepseek_rule_and_non_strict_reset():
    r = check_hf_base_after(deepseek_base, quiet=True)
    assert r.status == "wrong" and "calls [32, 8]" in r.message
    r = check_hf_base_after(lambda c, d, L, s: hf_base(c, d, L, s, strict_reset=False), quiet=True)
    assert r.status == "wrong" and "exactly L" in r.message
    r = check_hf_base_after(lambda c, d, L, s: deepseek_base(c, d, L, s, last_only=True), quiet=True)
    assert r.status == "wrong" and "calls [3000, 2500]" in r.message
