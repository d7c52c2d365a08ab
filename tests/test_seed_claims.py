import re
from pathlib import Path

from rope_course.seed_claims import CLAIMS, HOLDS, HOLDS_ONLY_WHEN, VERDICTS, WRONG, claims_table, verdict_counts

REPO = Path(__file__).resolve().parent.parent
LESSON = REPO / "lessons_src" / "05_dynamic_forward.py"


def test_ids_unique_and_fields_present():
    ids = [c["id"] for c in CLAIMS]
    assert len(ids) == len(set(ids)) > 10
    for c in CLAIMS:
        assert set(c) == {"id", "claim", "verdict", "why", "cell"}
        assert c["verdict"] in VERDICTS and c["claim"] and c["why"]


def test_counts():
    assert verdict_counts() == {HOLDS: 6, HOLDS_ONLY_WHEN: 10, WRONG: 6}
    assert sum(verdict_counts().values()) == len(CLAIMS)


def test_key_verdicts():
    by_id = {c["id"]: c for c in CLAIMS}
    assert by_id["C14"]["verdict"] == WRONG and "d//2" in by_id["C14"]["claim"]  # cos index
    assert by_id["C16"]["verdict"] == WRONG and "rope(x_short)" in by_id["C16"]["claim"]
    assert by_id["C7"]["verdict"] == WRONG and "Kimi-K2" in by_id["C7"]["claim"]
    assert by_id["C8"]["verdict"] == HOLDS_ONLY_WHEN
    assert by_id["C11"]["verdict"] == WRONG and by_id["C12"]["verdict"] == HOLDS_ONLY_WHEN


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
    assert lines[1].startswith("C1 ") and "holds" in lines[1]
