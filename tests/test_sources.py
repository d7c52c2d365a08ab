"""Citations a learner can follow: every SOURCES.md reference resolves, the file is well formed,
and nothing in the course cites a document that is not in the repository."""

import json
import re
import subprocess
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "SOURCES.md"

# An id is what GitHub's heading anchor keeps unchanged: lower case, digits, single hyphens.
ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# Where citations may appear (check a) and where files outside the repository must not be cited (check c).
CITING_PATHS = ("lessons_src", "lessons", "rope_course", "tests", "tools", "benchmarks", "README.md")
SELF_CONTAINED_PATHS = ("lessons_src", "lessons", "rope_course", "tools", "benchmarks", "README.md",
                        "SOURCES.md")

# Citations of documents a learner cannot open: the team's research notes and design file.
FOREIGN_CITATION = re.compile(
    r"facts §|facts file|facts section|DESIGN\.md|upstream-rope-facts|/work/shared|shared/(?:reference|seed|course)/")

# Files whose citations still point outside the repository, to be emptied as each owner migrates:
# when you move a file's citations to SOURCES.md, delete its line here (the test fails until you do).
MIGRATING_CITATIONS = frozenset({
})

ANCHOR = r"SOURCES\.md#"
# An anchor's id; a dot ends it unless more id characters follow, so a full stop after a citation is fine.
CITED_ID = re.compile(ANCHOR + r"([A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)")
# Code may also name ids without anchors: the file name, a colon, then backticked ids joined by commas or "and".
CITED_LIST = re.compile(r"SOURCES\.md:\s*((?:`[^`]+`(?:\s*,\s*|\s+and\s+|\s*))+)")
LINK = re.compile(r"\]\(\s*<?([^)\s>#]*SOURCES\.md)(?:#[^)\s>]*)?>?(?:\s+\"[^\"]*\")?\s*\)")
LINKED_ID = re.compile(r"\]\(\s*<?[^)\s>#]*" + ANCHOR)
# How documentation writes "an anchor goes here" (the team brief uses #id); never a real entry.
PLACEHOLDER_IDS = frozenset({"", "id"})


@cache
def course_files(*roots):
    """Repository-relative paths of the text files under `roots` that git tracks or would add."""
    try:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", *roots], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree instead
        listed = []
        for root in roots:
            path = REPO / root
            found = [path] if path.is_file() else path.rglob("*")
            listed += [p.relative_to(REPO).as_posix() for p in found if p.is_file()
                       and not any(part.startswith(".") or part == "__pycache__" for part in p.parts)]
    paths = []
    for rel in sorted(set(listed)):
        path = REPO / rel
        if path.is_file() and b"\0" not in path.read_bytes()[:8192]:
            paths.append(rel)
    return tuple(paths)


def cited_texts(rel):
    """The parts of a file a reader sees as text: cell sources for notebooks, the whole file otherwise."""
    text = (REPO / rel).read_text(encoding="utf-8", errors="replace")
    if rel.endswith(".ipynb"):
        return ["".join(cell["source"]) for cell in json.loads(text)["cells"]]
    return [text]


def rendered_dir(rel):
    """The folder a file's relative links are resolved from: a lesson source renders as its notebook."""
    path = Path(rel)
    if path.parts[0] == "lessons_src":
        path = Path("lessons", *path.parts[1:])
    return REPO / path.parent


@cache
def parse_sources():
    """(id, paragraph text) for every level-3 entry, ignoring HTML comments, plus all heading lines."""
    text = re.sub(r"<!--.*?-->", "", SOURCES.read_text(encoding="utf-8"), flags=re.DOTALL)
    entries, headings, current, body = [], [], None, []
    for line in text.splitlines() + ["## end"]:
        if re.match(r"#{1,6} ", line):
            if current is not None:
                entries.append((current, "\n".join(body).strip()))
            headings.append(line)
            current = line[4:].strip() if line.startswith("### ") else None
            body = []
        elif current is not None:
            body.append(line)
    return entries, headings[:-1]


def source_ids():
    return {entry_id for entry_id, _ in parse_sources()[0]}


def test_entries_are_unique_well_formed_and_each_has_one_paragraph():
    entries, headings = parse_sources()
    ids = [entry_id for entry_id, _ in entries]
    assert len(ids) > 50, "SOURCES.md lost its entries"
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert not PLACEHOLDER_IDS & set(ids), "placeholder ids cannot be entries"
    bad_ids = [i for i in ids if not ID.fullmatch(i)]
    assert not bad_ids, f"ids must be lower case, digits and hyphens only: {bad_ids}"
    assert not [h for h in headings if h.startswith("#### ")], "entries are level-3 headings, nothing deeper"
    empty = [i for i, body in entries if not body]
    assert not empty, f"entries without a paragraph: {empty}"
    split = [i for i, body in entries if re.search(r"\n\s*\n", body)]
    assert not split, f"each entry is one paragraph; these have more: {split}"


def test_entries_refer_to_each_other_by_existing_ids():
    entries, _ = parse_sources()
    known = {entry_id for entry_id, _ in entries}
    families = {entry_id.split("-")[0] for entry_id in known}
    dangling = [f"{entry_id} -> {name}" for entry_id, body in entries for name in re.findall(r"`([^`]+)`", body)
                if ID.fullmatch(name) and "-" in name and name.split("-")[0] in families and name not in known]
    assert not dangling, dangling


def test_every_cited_id_exists():
    known, missing = source_ids(), []
    for rel in course_files(*CITING_PATHS):
        for text in cited_texts(rel):
            cited = CITED_ID.findall(text)
            for names in CITED_LIST.findall(text):
                cited += re.findall(r"`([^`]+)`", names)
            missing += [f"{rel}: {cited_id!r}" for cited_id in cited
                        if cited_id not in known and cited_id not in PLACEHOLDER_IDS]
    assert not missing, "citations of ids that SOURCES.md does not have:\n" + "\n".join(missing)


def test_links_to_sources_resolve_from_where_the_file_is_read():
    wrong = []
    for rel in course_files(*CITING_PATHS):
        for text in cited_texts(rel):
            for target in LINK.findall(text):
                if (rendered_dir(rel) / target).resolve() != SOURCES.resolve():
                    wrong.append(f"{rel}: ({target}#...)")
    assert not wrong, ("links that do not reach the top-level SOURCES.md (from lessons_src/NN_*.py write "
                       "../SOURCES.md, from lessons_src/solutions/ ../../SOURCES.md):\n" + "\n".join(wrong))


def test_lesson_link_prefixes_follow_the_convention():
    # The rule above, spelled out for the two places lesson sources live, and the parsing it relies on.
    for rel, prefix in (("lessons_src/01_x.py", "../SOURCES.md"),
                        ("lessons_src/solutions/01_x.py", "../../SOURCES.md")):
        assert (rendered_dir(rel) / prefix).resolve() == SOURCES.resolve()
    assert (rendered_dir("lessons_src/01_x.py") / "SOURCES.md").resolve() != SOURCES.resolve()
    example = "[HF #25306](../SOURCES.md#hf-25306), see SOURCES.md#upstream-forward."
    assert LINK.findall(example) == ["../SOURCES.md"]
    assert CITED_ID.findall(example) == ["hf-25306", "upstream-forward"]
    assert len(LINKED_ID.findall(example)) == 1


def markdown_cells(rel):
    """The markdown a learner reads in a lesson: markdown cells of a notebook or of its percent-format source."""
    text = (REPO / rel).read_text(encoding="utf-8", errors="replace")
    if rel.endswith(".ipynb"):
        return ["".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown"]
    cells = re.split(r"^# %%", text, flags=re.MULTILINE)[1:]
    return [cell for cell in cells if cell.startswith(" [markdown]")]


def test_lesson_markdown_cites_sources_as_links():
    unlinked = []
    for rel in course_files("lessons_src", "lessons"):
        if not rel.endswith((".py", ".ipynb")):
            continue
        for cell in markdown_cells(rel):
            unlinked += [f"{rel}: {line.strip()[:90]}" for line in cell.splitlines()
                         if len(CITED_ID.findall(line)) != len(LINKED_ID.findall(line))]
    assert not unlinked, ("in lesson text cite as a link, [HF #25306](../SOURCES.md#hf-25306); "
                          "plain references found in:\n" + "\n".join(unlinked))


def cites_outside(rel):
    return bool(FOREIGN_CITATION.search((REPO / rel).read_text(encoding="utf-8", errors="replace")))


def test_no_new_file_cites_documents_outside_the_repository():
    new = sorted(rel for rel in course_files(*SELF_CONTAINED_PATHS)
                 if rel not in MIGRATING_CITATIONS and cites_outside(rel))
    assert not new, "cite SOURCES.md entries instead of the team's notes or DESIGN.md in:\n" + "\n".join(new)


def test_migrating_files_still_need_migrating():
    done = sorted(rel for rel in MIGRATING_CITATIONS if not (REPO / rel).is_file() or not cites_outside(rel))
    assert not done, ("these files no longer cite outside documents; delete them from MIGRATING_CITATIONS in "
                      "tests/test_sources.py:\n" + "\n".join(done))


def test_the_authors_map_names_existing_ids():
    comment = "".join(re.findall(r"<!--(.*?)-->", SOURCES.read_text(encoding="utf-8"), flags=re.DOTALL))
    table = comment.split("Which id for what:", 1)[1].split("Adding an entry:", 1)[0]
    named = set()
    for line in table.splitlines():
        if ".." in line:
            named |= set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", line.rsplit("..", 1)[1]))
    assert named, "the map for course authors is missing"
    assert not named - source_ids(), sorted(named - source_ids())
