"""Every claim of the seed lesson (4.3.3, Dynamic NTK forward) with a verdict, as data.

Lesson 05 prints this table and backs each row with an executed, asserted cell: the cell's
`shown` set gets the claim id, and the lesson asserts at the end that every id was shown.
Verdicts are one of HOLDS, HOLDS_ONLY_WHEN (the condition is in `why`) and WRONG.
Sources are the facts file's sections (upstream-rope-facts.md) and what they cite.
"""

from __future__ import annotations

from collections import Counter

__all__ = ["HOLDS", "HOLDS_ONLY_WHEN", "WRONG", "VERDICTS", "CLAIMS", "verdict_counts", "claims_table"]

HOLDS = "holds"
HOLDS_ONLY_WHEN = "holds only when"
WRONG = "wrong"
VERDICTS = (HOLDS, HOLDS_ONLY_WHEN, WRONG)


def _c(cid, claim, verdict, why, cell):
    return {"id": cid, "claim": claim, "verdict": verdict, "why": why, "cell": cell}


CLAIMS = [
    _c("C1", "forward ... is identical to the standard variant, inheriting the cache check, slicing, and dtype casting",
       HOLDS, "the dynamic class defines no forward; the standard one is found through the MRO", "7.1"),
    _c("C2", "No override; calls parent forward, using self.cos_cached/sin_cached",
       HOLDS, "the returned cos is a view of cos_cached (same storage) when x's dtype matches", "7.1"),
    _c("C3", "Cache check calls overridden _set_cos_sin_cache, which may update inv_freq",
       HOLDS, "the parent's forward dispatches to the subclass's builder; inv_freq changes past L", "7.2"),
    _c("C4", "for long sequences, the overridden _set_cos_sin_cache adjusts the base ... long seq use adjusted inv_freq for that cache",
       HOLDS_ONLY_WHEN, "the long call rebuilds (seq_len > max_seq_len_cached): a 3000 call after a 4000 call keeps b'(4000)", "7.2"),
    _c("C5", "When forward triggers _set_cos_sin_cache for seq > max",
       HOLDS_ONLY_WHEN, "'max' is the cached length, not L: the first call always rebuilds (cache None), at any length", "7.2"),
    _c("C6", "returned cos/sin have NTK-preserving angles",
       WRONG, "nothing is preserved: D/(D-2) is a boundary condition (highest pair kept, lowest scaled by 1/a; YaRN App. A.1)", "7.3"),
    _c("C7", "modified frequencies for better extrapolation in Kimi-K2",
       WRONG, "Kimi-K2 and DeepSeek-V3 configs select YaRN; the dynamic class is never built for them (facts §4)", "7.3"),
    _c("C8", "Short seq use original",
       HOLDS_ONLY_WHEN, "the module is fresh: after any call past L a short call reuses the adjusted table (HF #25306)", "7.4"),
    _c("C9", "Returned cos/sin used in apply_rotary_pos_emb",
       HOLDS, "rows are picked by absolute position_ids, after DeepSeek's de-interleave of q and k", "7.4"),
    _c("C10", "dynamic base makes long-seq attention similar to short-seq trained",
       HOLDS_ONLY_WHEN, "only the lowest pair is brought back into its trained angle range; middle pairs still leave it", "7.5"),
    _c("C11", "No Additional Cost",
       WRONG, "every decode step rebuilds the whole table (and past L recomputes inv_freq and the base)", "7.6"),
    _c("C12", "Forward O(1)",
       HOLDS_ONLY_WHEN, "no rebuild is due and x has the cache's dtype (slice = view, cast = no-op); decoding rebuilds every step", "7.6"),
    _c("C13", "O(dim + seq * dim/2) for long seq recompute",
       HOLDS_ONLY_WHEN, "read as a big-O (both are O(seq*dim)); the work is 4x the seed's count (cos and sin over the duplicated (seq, dim) table: 2*seq*dim evaluations) and it recurs at every growth, i.e. every decode step, not only for long sequences", "7.6"),
    _c("C14", "cos[p, d] = cos(p * inv_freq_new[d//2])",
       WRONG, "the index is d mod D/2 (table = cat(freqs, freqs)); d//2 is the interleaved layout", "7.7"),
    _c("C15", "Input/Output: Same as standard: cos, sin (seq_len, dim)",
       HOLDS, "shape (seq_len, dim) in x's dtype, given seq_len", "7.7"),
    _c("C16", "cos_short, sin_short = rope(x_short)",
       WRONG, "seq_len is required: upstream raises TypeError (None > int / arange(None)); x gives only device and dtype", "7.8"),
    _c("C17", "seq=1000 <2048, uses original inv_freq",
       HOLDS_ONLY_WHEN, "seq_len=1000 is passed and the module has not served a call past L (true in the example's order)", "7.8"),
    _c("C18", "print(cos_long.shape)  # (3000,64)",
       HOLDS_ONLY_WHEN, "seq_len=3000 is passed", "7.8"),
    _c("C19", "For long seq, dynamic cos closer to trained short-seq patterns",
       HOLDS_ONLY_WHEN, "looking at the slow pairs: their overshoot past the trained angle range shrinks (100% -> at most 25%); only the lowest is back inside", "7.5"),
    _c("C20", "Dynamic NTK inherits efficiency",
       WRONG, "it inherits the discarded init cache and a full rebuild at every decode step", "7.6"),
    _c("C21", "adjustment only for long seq",
       HOLDS, "the base changes only in a rebuild with seq_len > L (but the change then persists, C8)", "7.2"),
    _c("C22", "forward API consistent",
       HOLDS_ONLY_WHEN, "seq_len is passed: forward(x, seq_len=None) has a default that always raises", "7.8"),
]


def verdict_counts(claims=CLAIMS) -> dict[str, int]:
    counts = Counter(c["verdict"] for c in claims)
    return {v: counts.get(v, 0) for v in VERDICTS}


def claims_table(claims=CLAIMS, width: int = 60) -> str:
    """The table as fixed-width text (claims shortened to `width` characters)."""

    def cut(text, n):
        return text if len(text) <= n else text[: n - 3] + "..."

    lines = [f"{'id':<4} {'claim':<{width}} {'verdict':<16} cell"]
    for c in claims:
        lines.append(f"{c['id']:<4} {cut(c['claim'], width):<{width}} {c['verdict']:<16} {c['cell']}")
    return "\n".join(lines)
