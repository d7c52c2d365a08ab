"""The learner's workspace: copies of the lessons that are theirs to edit, apart from lessons/.

    python tools/workspace.py setup [--workspace DIR]            # what `make lab` runs first
    python tools/workspace.py reset 03 [--workspace DIR]         # `make reset-lesson LESSON=03`

`lessons/` stays the pristine course (what `make test` and CI check); the learner works in DIR
(default `workspace/` at the repository root, ignored by git). DIR mirrors the repository, so
the lessons' relative links (`../SOURCES.md#id`, `../../SOURCES.md#id` from solutions) work in
both places:

    DIR/lessons/NN_*.ipynb              the lessons
    DIR/lessons/solutions/NN_*.ipynb    the solutions
    DIR/README.md, DIR/SOURCES.md       the top-level pages the lessons link to
    DIR/.course-manifest.json           for each course file: sha256 of the original it was copied from
    DIR/backups/<timestamp>/...         copies moved aside by `reset`

The rules, file by file (a "course file" is any of the above except the manifest and backups):
* missing from DIR: copied in (a new lesson appears; a deleted copy comes back);
* unchanged by the learner (its hash is still the one recorded) and the original changed:
  refreshed, since nothing of the learner's is in it (the old version stays in git history);
* changed by the learner: never touched. If the original changed too, `setup` says so and
  how to get the new version (`reset`, which first moves the learner's copy to backups/);
* present but not recorded (copied by hand, or the manifest was lost): kept, and recorded
  only if it equals the original.
Nothing is ever deleted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORKSPACE = REPO / "workspace"
MANIFEST_NAME = ".course-manifest.json"
BACKUPS = "backups"
TOP_LEVEL_PAGES = ("README.md", "SOURCES.md")  # pages the lessons link to (../X.md)
FIRST_LESSON = "lessons/00_start_here.ipynb"
_LESSON_ARG = re.compile(r"^(solutions/)?(\d{1,2})$")


def workspace_path(text: str) -> Path:
    """A --workspace argument: `~` expanded (a quoted `make ... WORKSPACE=~/x` reaches us unexpanded)."""
    return Path(text).expanduser()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def course_files(repo: Path = REPO) -> dict[str, Path]:
    """Workspace-relative path (POSIX) -> original, for every file a workspace holds."""
    repo = Path(repo)
    files = {}
    for folder in ("lessons", "lessons/solutions"):
        for path in sorted((repo / folder).glob("*.ipynb")):
            files[f"{folder}/{path.name}"] = path
    for name in TOP_LEVEL_PAGES:
        if (repo / name).is_file():
            files[name] = repo / name
    return files


# --- the manifest ---------------------------------------------------------------------------

def read_manifest(workspace: Path) -> dict[str, str]:
    path = Path(workspace) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        return {str(k): str(v) for k, v in data["files"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SystemExit(
            f"{path} is not a manifest this tool wrote ({type(exc).__name__}: {exc}). Move it aside and rerun: "
            "your copies are kept, and those equal to the course's are recorded again."
        ) from None


def write_manifest(workspace: Path, files: dict[str, str]) -> None:
    path = Path(workspace) / MANIFEST_NAME
    data = {
        "about": "rope-course workspace: for each course file, the sha256 of the original in the repository "
                 "that this copy was made from (tools/workspace.py reads it to tell your edits from course updates).",
        "files": dict(sorted(files.items())),
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


# --- setup ------------------------------------------------------------------------------------

@dataclass
class SetupReport:
    workspace: Path
    copied: list[str] = field(default_factory=list)  # missing in the workspace, copied in
    refreshed: list[str] = field(default_factory=list)  # learner had not changed it, original had
    update_available: list[str] = field(default_factory=list)  # learner changed it, original too: kept
    kept_unrecorded: list[str] = field(default_factory=list)  # exists, no record, differs from the course
    gone_from_course: list[str] = field(default_factory=list)  # recorded, no longer in the course: kept
    first_run: bool = False
    total: int = 0  # course files

    def lines(self) -> list[str]:
        ws = self.workspace
        out = [f"Your work lives in {ws} (open lessons/ there). The course's own lessons/ stays untouched."]
        if self.first_run:
            out.append(f"  first run: copied {len(self.copied)} files (lessons, solutions/, top-level pages)")
        elif self.copied:
            out.append("  new in the course (copied): " + ", ".join(self.copied))
        if self.refreshed:
            out.append("  updated to the course's new version (you had not changed them): " + ", ".join(self.refreshed))
        for rel in self.update_available:
            out.append(f"  a newer version of {rel} exists; your copy (you changed it) is kept. To get the new one: "
                       f"{reset_command(rel)} (your copy moves to {ws / BACKUPS}/<timestamp>/)")
        for rel in self.kept_unrecorded:
            out.append(f"  {rel} was not made by this tool and differs from the course's; kept as it is "
                       f"({reset_command(rel)} replaces it, with a backup)")
        for rel in self.gone_from_course:
            out.append(f"  {rel} is no longer part of the course; your copy stays")
        if len(out) == 1:
            out.append(f"  all {self.total} course files present; no course updates")
        return out


def reset_command(rel: str) -> str:
    name = Path(rel).name
    prefix = name[:2] if name[:2].isdigit() else name
    arg = f"solutions/{prefix}" if rel.startswith("lessons/solutions/") else prefix
    return f"make reset-lesson LESSON={arg}"


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".copying")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)  # never a half-written lesson, even if interrupted


def setup(workspace: Path = DEFAULT_WORKSPACE, repo: Path = REPO) -> SetupReport:
    """Bring the workspace up to date with the course without touching the learner's work."""
    workspace = Path(workspace).resolve()
    workspace.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(workspace)
    report = SetupReport(workspace, first_run=not manifest and not (workspace / "lessons").exists())
    originals = course_files(repo)
    report.total = len(originals)
    for rel, original in originals.items():
        copy = workspace / rel
        source_hash = sha256(original)
        recorded = manifest.get(rel)
        if not copy.exists():
            _copy(original, copy)
            manifest[rel] = source_hash
            report.copied.append(rel)
            continue
        copy_hash = sha256(copy)
        if recorded is None:
            if copy_hash == source_hash:
                manifest[rel] = source_hash
            else:
                report.kept_unrecorded.append(rel)
        elif recorded == source_hash:
            continue  # the course did not change this file; whatever the learner did stays
        elif copy_hash == recorded:
            _copy(original, copy)
            manifest[rel] = source_hash
            report.refreshed.append(rel)
        elif copy_hash == source_hash:  # the learner's copy already equals the new original
            manifest[rel] = source_hash
        else:
            report.update_available.append(rel)
    report.gone_from_course = sorted(rel for rel in manifest if rel not in originals and (workspace / rel).exists())
    write_manifest(workspace, manifest)
    return report


# --- reset ------------------------------------------------------------------------------------

def resolve_lesson(arg: str, repo: Path = REPO) -> str:
    """'03' -> 'lessons/03_cache_trigger.ipynb'; 'solutions/03' -> its solution; also a full name."""
    originals = course_files(repo)
    text = arg.strip().removeprefix("lessons/")
    match = _LESSON_ARG.match(text)
    if match:
        folder = "lessons/solutions" if match.group(1) else "lessons"
        prefix = f"{int(match.group(2)):02d}_"
        found = [rel for rel in originals
                 if rel.startswith(f"{folder}/{prefix}") and rel.count("/") == folder.count("/") + 1]
    else:
        found = [rel for rel in originals if rel in (text, f"lessons/{text}")]
    if len(found) != 1:
        top = [rel for rel in originals if rel.count("/") == 1 and rel.startswith("lessons/")]
        lessons = " ".join(sorted(Path(rel).name[:2] for rel in top))
        raise SystemExit(f"LESSON={arg!r} names no single course file. Use a lesson number ({lessons}), "
                         "solutions/NN for a solution, or a file name such as SOURCES.md.")
    return found[0]


@dataclass
class ResetReport:
    lesson: str
    copy: Path
    backup: Path | None

    def lines(self) -> list[str]:
        if self.backup is None:
            return [f"{self.copy}: there was no copy; a fresh one is in place"]
        return [f"your copy of {self.lesson} is now {self.backup}", f"a fresh copy is in {self.copy}"]


def backup_dir(workspace: Path, now: dt.datetime | None = None) -> Path:
    """A new folder workspace/backups/<YYYYmmdd-HHMMSS>[-n] (never one that exists)."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(workspace) / BACKUPS / stamp
    candidate, n = base, 1
    while candidate.exists():
        candidate = base.with_name(f"{stamp}-{n}")
        n += 1
    return candidate


def reset(lesson: str, workspace: Path = DEFAULT_WORKSPACE, repo: Path = REPO,
          now: dt.datetime | None = None) -> ResetReport:
    """Move the learner's copy to a timestamped backup and copy the course's version in."""
    workspace = Path(workspace).resolve()
    rel = resolve_lesson(lesson, repo)
    original, copy = course_files(repo)[rel], workspace / rel
    manifest = read_manifest(workspace)
    backup = None
    if copy.exists():
        backup = backup_dir(workspace, now) / rel
        backup.parent.mkdir(parents=True, exist_ok=True)
        os.replace(copy, backup)  # a move within the workspace: the learner's bytes, untouched
    _copy(original, copy)
    manifest[rel] = sha256(original)
    write_manifest(workspace, manifest)
    return ResetReport(rel, copy, backup)


def main(argv=None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", type=workspace_path, default=DEFAULT_WORKSPACE, help="default: workspace/")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", parents=[common], help="copy new lessons in, refresh unchanged ones, report the rest")
    reset_parser = commands.add_parser("reset", parents=[common], help="back up a lesson's copy and start it fresh")
    reset_parser.add_argument("lesson", help="a lesson number (03), solutions/03, or a file name")
    args = parser.parse_args(argv)
    if args.command == "setup":
        lines = setup(args.workspace).lines()
    else:
        lines = reset(args.lesson, args.workspace).lines()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
