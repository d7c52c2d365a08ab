"""Every claim of the seed lesson with a verdict, as data.

The seed lesson is "Lesson 4.3.3: RoPE Dynamic NTK Scaling - Forward Method in
DynamicNTKScalingRotaryEmbedding" of the series vukrosic/kimi-k2-from-scratch, file
`full_llm_course/module_04_rotary_embedding/lesson_17_dynamic_ntk_forward/teaching.md` at commit
171a7f8 (SOURCES.md#seed-4-3-3). Each row quotes only the short claim the course judges, and
`source` names the lesson of the series it comes from (a `seed-*` id of SOURCES.md; every claim
here is from 4.3.3 itself).

Lesson 05 prints this table and backs each row with an executed, asserted cell: the cell's
`shown` dict gets the claim id and the subsection, and the lesson asserts at the end that every
id was shown where `cell` says. Verdicts are one of HOLDS, HOLDS_ONLY_WHEN (the condition is in
`why`) and WRONG.
"""

from __future__ import annotations

from collections import Counter

__all__ = ["HOLDS", "HOLDS_ONLY_WHEN", "WRONG", "VERDICTS", "SEED_LESSON", "CLAIMS", "verdict_counts", "claims_table"]

HOLDS = "holds"
HOLDS_ONLY_WHEN = "holds only when"
WRONG = "wrong"
VERDICTS = (HOLDS, HOLDS_ONLY_WHEN, WRONG)
SEED_LESSON = "seed-4-3-3"


def _c(cid, claim, verdict, why, cell, source=SEED_LESSON):
    return {"id": cid, "claim": claim, "verdict": verdict, "why": why, "cell": cell, "source": source}


CLAIMS = [
    _c("C1", "forward ... is identical to the standard variant, inheriting the cache check, slicing, and dtype casting",
       HOLDS, "the dynamic class defines no forward; the standard one is found through the MRO", "7.1"),
    _c("C2", "No override; calls parent forward, using self.cos_cached/sin_cached",
       HOLDS, "the returned cos is a view of cos_cached (same storage) when x's dtype matches", "7.1"),
    _c("C3", "Cache check calls overridden _set_cos_sin_cache, which may update inv_freq",
       HOLDS, "the parent's forward dispatches to the subclass's builder; inv_freq changes past L", "7.2"),
    _c("C4", "for long sequences, the overridden _set_cos_sin_cache adjusts the base ... long seq use adjusted "
             "inv_freq for that cache",
       HOLDS_ONLY_WHEN, "the long call rebuilds (seq_len > max_seq_len_cached): a 3000 call after a 4000 call "
                        "keeps b'(4000)", "7.2"),
    _c("C5", "When forward triggers _set_cos_sin_cache for seq > max",
       HOLDS_ONLY_WHEN, "'max' is the cached length, not L: the first call always rebuilds (cache None), at any "
                        "length", "7.2"),
    _c("C6", "returned cos/sin have NTK-preserving angles",
       WRONG, "nothing is preserved: D/(D-2) is a boundary condition (highest pair kept, lowest scaled by 1/a; "
              "YaRN App. A.1)", "7.3"),
    _c("C7", "modified frequencies for better extrapolation in Kimi-K2",
       WRONG, "the released Kimi-K2 and DeepSeek-V3 configs build YarnRotaryEmbedding; switched to 'dynamic', the "
              "class would change nothing up to 131072 (K2) or 163840 (V3) tokens", "7.3"),
    _c("C8", "Short seq use original",
       HOLDS_ONLY_WHEN, "the module has not yet served a call past L: after one, a short call reuses the "
                        "adjusted table (HF #25306)", "7.4"),
    _c("C9", "Returned cos/sin used in apply_rotary_pos_emb",
       HOLDS, "rows are picked by absolute position_ids, after DeepSeek's de-interleave of q and k", "7.4"),
    _c("C10", "dynamic base makes long-seq attention similar to short-seq trained",
       WRONG, "at no s and l > L do the never-turned pairs sweep their trained angle range: too far at small s "
              "(s = 1: all beyond), squeezed at large s, a mix that moves with l; at the seed's L = 2048: s = 4, "
              "2L squeezes them to 0.40-0.67 of it, one token past L the worst is within 1.0073x of it (as "
              "plain RoPE), at 2L no s keeps it within 1.15x; attention itself is measured in lessons 06 and 10",
       "7.5"),
    _c("C11", "No Additional Cost",
       WRONG, "every decode step rebuilds the whole table (and past L recomputes inv_freq and the base)", "7.6"),
    _c("C12", "Forward O(1)",
       HOLDS_ONLY_WHEN, "no rebuild is due and x has the cache's dtype (slice = view, cast = no-op); decoding "
                        "rebuilds every step", "7.6"),
    _c("C13", "O(dim + seq * dim/2) for long seq recompute",
       WRONG, "the recompute is not for long seq only: it runs at every growth of the cache, at any length (every "
              "decode step); as an order O(seq * dim) it is right, as a count it is 4x short: cos and sin are "
              "evaluated over the whole (seq, dim) table, 2*seq*dim evaluations, not seq*dim/2", "7.6"),
    _c("C14", "cos[p, d] = cos(p * inv_freq_new[d//2])",
       WRONG, "the index is d mod D/2 (table = cat(freqs, freqs)); d//2 is the interleaved layout", "7.7"),
    _c("C15", "Input/Output: Same as standard: cos, sin (seq_len, dim)",
       HOLDS, "shape (seq_len, dim) in x's dtype, given seq_len", "7.7"),
    _c("C16", "cos_short, sin_short = rope(x_short)",
       WRONG, "seq_len is required: on a fresh module upstream's dynamic class raises TypeError ('>' not supported "
              "between 'NoneType' and 'int') in its own _set_cos_sin_cache, before any arange; x gives only device "
              "and dtype", "7.8"),
    _c("C17", "seq=1000 <2048, uses original inv_freq",
       HOLDS_ONLY_WHEN, "seq_len=1000 is passed and the module has not served a call past L (true in the "
                        "example's order)", "7.8"),
    _c("C18", "print(cos_long.shape)  # (3000,64)",
       HOLDS_ONLY_WHEN, "seq_len=3000 is passed", "7.8"),
    _c("C19", "Compare to standard: For long seq, dynamic cos closer to trained short-seq patterns",
       HOLDS_ONLY_WHEN, "closer = the never-turned pairs' worst factor off their trained angle range is smaller "
                        "than plain RoPE's: iff a(l) < ((l-1)/(L-1))^2, about l > (s-1)L; always at the seed's "
                        "s = 2, not at s = 4 below about 3L", "7.5"),
    _c("C20", "Dynamic NTK inherits efficiency",
       WRONG, "it inherits the discarded init cache and a full rebuild at every decode step", "7.6"),
    _c("C21", "adjustment only for long seq",
       HOLDS_ONLY_WHEN, "the module is fresh or has never served a call past L: after one, the adjusted inv_freq "
                        "serves every later call, short ones included (the same fact as C8)", "7.2"),
    _c("C22", "forward API consistent",
       HOLDS, "it is the standard forward itself, signature and its seq_len=None default (which always raises) "
              "included", "7.8"),
    _c("C23", "if self.max_seq_len_cached is None or seq_len > self.max_seq_len_cached:",
       HOLDS, "the listing's cache check is upstream's: rebuild iff the cache is empty or seq_len is strictly "
              "longer (checked call by call)", "7.2"),
    _c("C24", "# cos_long uses adjusted frequencies for better long-seq performance",
       HOLDS_ONLY_WHEN, "the 3000 call rebuilds past L (it does in the example's order), so its table has b'(3000); "
                        "'better performance' is a claim about a model the seed never tests (lesson 10 measures it "
                        "on small trained ones)", "7.8"),
]


def verdict_counts(claims=CLAIMS) -> dict[str, int]:
    counts = Counter(c["verdict"] for c in claims)
    return {v: counts.get(v, 0) for v in VERDICTS}


def claims_table(claims=CLAIMS, width: int = 60) -> str:
    """The table as fixed-width text (claims shortened to `width` characters)."""

    def cut(text, n):
        return text if len(text) <= n else text[: n - 3] + "..."

    lines = [f"{'id':<4} {'claim':<{width}} {'verdict':<16} {'cell':<5} source"]
    for c in claims:
        lines.append(f"{c['id']:<4} {cut(c['claim'], width):<{width}} {c['verdict']:<16} {c['cell']:<5} {c['source']}")
    return "\n".join(lines)
