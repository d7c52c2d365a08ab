import torch

from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson08 import check_cache_bytes, check_half_work_tables, check_distinct_bf16_positions


def stub(*args):
    raise NotImplementedError


def test_cache_bytes():
    assert check_cache_bytes(lambda l, d, b: 2 * l * d * b, quiet=True).correct
    assert check_cache_bytes(stub, quiet=True).status == NOT_ATTEMPTED
    r = check_cache_bytes(lambda l, d, b: l * d * b, quiet=True)  # cos only
    assert r.status == "wrong" and "seq_len=8, dim=4, float32" in r.message
    r = check_cache_bytes(lambda l, d, b: 2 * l * (d // 2) * b, quiet=True)  # the half only
    assert r.status == "wrong" and "seq_len=8" in r.message
    r = check_cache_bytes(lambda l, d, b: 2 * l * d * 4, quiet=True)  # always float32
    assert r.status == "wrong" and "bf16" in r.message


def test_distinct_bf16_positions():
    assert check_distinct_bf16_positions(lambda n: len(set(torch.arange(n).to(torch.bfloat16).tolist())), quiet=True).correct
    assert check_distinct_bf16_positions(stub, quiet=True).status == NOT_ATTEMPTED
    r = check_distinct_bf16_positions(lambda n: n, quiet=True)
    assert r.status == "wrong" and "n=2048" in r.message
    r = check_distinct_bf16_positions(lambda n: int(torch.arange(n, dtype=torch.float16).unique().numel()), quiet=True)
    assert r.status == "wrong" and "n=2048" in r.message


def test_half_work_tables():
    import rope_course as rc

    good = lambda inv, n: rc.cos_sin_tables(inv, n, torch.float32)
    assert check_half_work_tables(good, quiet=True).correct
    assert check_half_work_tables(stub, quiet=True).status == NOT_ATTEMPTED

    def cos_then_sin(inv, n):  # concatenates cos with sin instead of each with itself
        f = torch.outer(torch.arange(n, dtype=inv.dtype), inv)
        return torch.cat((f.cos(), f.sin()), -1), torch.cat((f.sin(), f.cos()), -1)

    r = check_half_work_tables(cos_then_sin, quiet=True)
    assert r.status == "wrong" and "D=8, base 1e4" in r.message

    def interleaved(inv, n):  # adjacent-pair layout instead of half-split
        f = torch.outer(torch.arange(n, dtype=inv.dtype), inv).repeat_interleave(2, dim=-1)
        return f.cos(), f.sin()

    r = check_half_work_tables(interleaved, quiet=True)
    assert r.status == "wrong" and "D=8, base 1e4" in r.message
