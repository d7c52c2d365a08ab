import re
from pathlib import Path

from rope_course.seed_claims import (
    CLAIMS,
    HOLDS,
    HOLDS_ONLY_WHEN,
    SEED_LESSON,
    VERDICTS,
    WRONG,
    claims_table,
    verdict_counts,
)

REPO = Path(__file__).resolve().parent.parent
LESSON = REPO / "lessons_src" / "05_dynamic_forward.py"
SOURCES = REPO / "SOURCES.md"


def test_ids_unique_and_fields_present():
    ids = [c["id"] for c in CLAIMS]
    assert len(ids) == len(set(ids)) > 10
    assert ids == [f"C{n}" for n in range(1, len(ids) + 1)]
    for c in CLAIMS:
        assert set(c) == {"id", "claim", "verdict", "why", "cell", "source"}
        assert c["verdict"] in VERDICTS and c["claim"] and c["why"]


def test_counts():
    assert verdict_counts() == {HOLDS: 7, HOLDS_ONLY_WHEN: 9, WRONG: 8}
    assert sum(verdict_counts().values()) == len(CLAIMS) == 24


def test_every_claim_names_a_seed_lesson_of_sources_md():
    headings = set(re.findall(r"^### (seed-[a-z0-9-]+)$", SOURCES.read_text(encoding="utf-8"), flags=re.M))
    assert SEED_LESSON in headings
    for c in CLAIMS:
        assert c["source"] in headings, c["id"]


def test_key_verdicts():
    by_id = {c["id"]: c for c in CLAIMS}
    assert by_id["C14"]["verdict"] == WRONG and "d//2" in by_id["C14"]["claim"]  # cos index
    assert by_id["C16"]["verdict"] == WRONG and "rope(x_short)" in by_id["C16"]["claim"]
    assert "'>' not supported" in by_id["C16"]["why"] and "arange(None)" not in by_id["C16"]["why"]
    assert by_id["C7"]["verdict"] == WRONG and "Kimi-K2" in by_id["C7"]["claim"]
    assert by_id["C8"]["verdict"] == HOLDS_ONLY_WHEN
    assert by_id["C11"]["verdict"] == WRONG and by_id["C12"]["verdict"] == HOLDS_ONLY_WHEN
    # issue 11: C8 and C21 are the same fact; C22 is the same function; C13's recompute is not for long seq only
    assert by_id["C21"]["verdict"] == by_id["C8"]["verdict"] == HOLDS_ONLY_WHEN
    assert by_id["C22"]["verdict"] == HOLDS and by_id["C13"]["verdict"] == WRONG
    # the verdicts on the angles rest on every s, not on s = 1
    assert by_id["C10"]["verdict"] == WRONG and by_id["C19"]["verdict"] == HOLDS_ONLY_WHEN
    assert by_id["C23"]["verdict"] == HOLDS and "max_seq_len_cached is None" in by_id["C23"]["claim"]


def test_every_cell_reference_exists_in_lesson_05():
    text = LESSON.read_text()
    headings = set(re.findall(r"^# ### (\d+\.\d+) ", text, flags=re.M))
    recorded = dict(re.findall(r"(C\d+)=\"(\d+\.\d+)\"", text))
    for c in CLAIMS:
        assert c["cell"] in headings, c["id"]
        assert recorded.get(c["id"]) == c["cell"], c["id"]


def test_table_text():
    table = claims_table()
    lines = table.splitlines()
    assert len(lines) == len(CLAIMS) + 1
    assert lines[1].startswith("C1 ") and "holds" in lines[1] and lines[1].endswith(SEED_LESSON)
