"""Every lesson's explorers work in a real JupyterLab (headless Chromium), as a learner gets them.

The server serves a learner's workspace made by the code `make lab` runs (tools/workspace.py,
tools/serve_lab.py), so the notebooks are the copies a learner opens, saved outputs included.
For each lesson that shows an explorer (found automatically, so new lessons are covered):

* opened, before anything runs, the page shows no error and no "Error displaying widget";
* on a fresh kernel, Run All: no cell errs, every cell runs, every widget displays;
* every control of every explorer (found by its `rc-slider` class) goes to BOTH ends of its
  range (End and Home on the focused slider handle; first and last option of a dropdown;
  both states of a checkbox; every option of a row of toggle buttons) and then back to where
  it was. After each move the value and the picture change, no error box (`rc-error`) shows,
  and the readout equals `readout_values(compute(**params))` recomputed here from the values
  the controls show. Back at the start, the picture has the same pixels as before the moves;
* then every action button (`rc-button`, e.g. the call inspector's "call" and "new module") is
  clicked in page order, and the first once more; after each click the picture changes, no
  error shows, and the readout (and a table, `rc-table`) equal what `compute` gives for the
  parameters the page shows, the table's inputs included (`cls.params_from_table`).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
import warnings
from pathlib import Path

import pytest

from .jupyter_server import explorer_notebooks, lessons_dir, read_unvalidated, saved_explorer_outputs
from .lab_page import (
    BOX_STATE,
    KERNEL_IDLE,
    KERNEL_WAIT_MS,
    MOVED_AND_REDRAWN,
    PRESSED_AND_REDRAWN,
    PROBLEMS,
    READOUT_IS,
    TABLE_IS,
    UPDATE_WAIT_MS,
    LabPageError,
    clear_and_run_all,
    open_notebook,
    wait,
    wait_for_explorers,
)

NOTEBOOKS = explorer_notebooks()
RESTORE_MAX_PRESSES = 400
OUTPUT_AREA = "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-OutputArea ')][1]"


_CONTROLS: dict[str, dict] = {}
_LOADED: dict[str, float] = {}


def _newest_package_source() -> float:
    spec = importlib.util.find_spec("rope_course")
    newest = 0.0
    for folder in spec.submodule_search_locations or []:
        for path in Path(folder).rglob("*.py"):
            try:
                newest = max(newest, path.stat().st_mtime)
            except OSError:
                pass
    return newest


def _registry():
    """rope_course.explorers as the kernel sees it: re-imported if a package source changed since
    this process imported it (a fresh kernel always imports the files as they are now)."""
    newest = _newest_package_source()
    if "mtime" in _LOADED and newest > _LOADED["mtime"]:  # only when files changed mid-session
        for module in [m for m in sys.modules if m == "rope_course" or m.startswith("rope_course.")]:
            del sys.modules[module]
        _CONTROLS.clear()
    _LOADED["mtime"] = newest
    from rope_course.explorers import REGISTRY, format_number

    return REGISTRY, format_number


def _controls(cls) -> dict:
    """The explorer's controls as Python builds them (to map a readout label back to its value)."""
    if cls.name not in _CONTROLS:
        try:
            _CONTROLS[cls.name] = cls().controls
        except Exception:
            _CONTROLS[cls.name] = {}
    return _CONTROLS[cls.name]


def _parse_number(text: str):
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)


def slider_params(cls, sliders: dict) -> dict:
    """Parameter values from the readouts the page shows (SelectionSlider: label -> option value)."""
    import ipywidgets as widgets

    controls = _controls(cls)
    params = {}
    for key, slider in sliders.items():
        text = slider["readout"]
        control = controls.get(key)
        assert text is not None, f"{cls.__name__}: cannot read the value of control {key!r} from the page"
        if isinstance(control, widgets.Checkbox):
            params[key] = text == "true"
        elif isinstance(control, widgets.widget_selection._Selection):
            by_label = dict(zip(control._options_labels, control._options_values))
            params[key] = by_label[text] if text in by_label else _parse_number(text)
        elif isinstance(control, (widgets.IntSlider,)):
            params[key] = int(text)
        elif isinstance(control, (widgets.FloatSlider, widgets.FloatLogSlider)):
            params[key] = float(text)
        else:
            params[key] = _parse_number(text)
    return params


def page_params(cls, state: dict) -> dict:
    """All of compute's parameters the page shows: the controls' values, and for an explorer with
    a table of its own inputs (the call inspector's calls) the parameters read back from it."""
    params = slider_params(cls, state["sliders"])
    if state.get("table") is not None and hasattr(cls, "params_from_table"):
        params.update(cls.params_from_table(state["table"]))
    return params


def expected_readout(cls, params: dict) -> dict:
    _, format_number = _registry()
    return {label: format_number(value) for label, value in cls.readout_values(cls.compute(**params)).items()}



def pixels_differ(src_a: str | None, src_b: str | None) -> str:
    """'' when two data-URL PNGs show the same pixels, else how they differ (bytes may differ)."""
    if src_a == src_b:
        return ""
    if not src_a or not src_b:
        return "one of them is missing"
    import base64
    import io

    import numpy as np
    from PIL import Image

    a, b = (np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGBA"))
            for src in (src_a, src_b))
    if a.shape != b.shape:
        return f"size {a.shape[1]}x{a.shape[0]} -> {b.shape[1]}x{b.shape[0]}"
    changed = (a != b).any(axis=-1)
    return f"{int(changed.sum())} of {changed.size} pixels" if changed.any() else ""


def test_some_lessons_have_explorers():
    assert NOTEBOOKS, "no lesson in lessons/ shows an explorer (rc-explorer widget or Explorer(...).show())"


def test_every_lesson_that_shows_an_explorer_is_walked():
    """A lesson that imports an explorer and calls .show() must be in NOTEBOOKS: a detector that
    misses one would skip its sliders silently (it once missed lesson 09's ScalingCompare)."""
    walked = {path.name for path in NOTEBOOKS}
    for path in sorted(lessons_dir().glob("*.ipynb")):
        text = path.read_text()
        if "rope_course.explorers" in text and ".show()" in text:
            assert path.name in walked, f"{path.name} shows an explorer but the browser test would skip it"


def _fail(message: str, page):
    errors = getattr(page, "rc_console_errors", [])
    if errors:
        message += "\nbrowser console errors (last 5):\n  " + "\n  ".join(e[:500] for e in errors[-5:])
    pytest.fail(message, pytrace=False)


class _Walker:
    """Moves the controls of explorer box i and checks what the page shows after each move."""

    def __init__(self, page, i: int, cls, where: str):
        self.page, self.i, self.cls, self.where = page, i, cls, where
        self.box = page.locator(".rc-explorer").nth(i)
        self.moves = 0

    def state(self) -> dict:
        return self.page.evaluate(BOX_STATE, self.i)

    def control(self, key: str):
        return self.box.locator(f".rc-slider-{key}")

    def move(self, key: str, label: str, act) -> None:
        """Do `act()` (one move of control `key`), then check value, picture, errors and readout."""
        before = self.state()
        old = before["sliders"][key]
        act()
        wait(self.page, MOVED_AND_REDRAWN, arg=[self.i, key, old["readout"], before["picture"]], timeout=UPDATE_WAIT_MS)
        after = self.state()
        new = after["sliders"][key]
        if after["error"] or new["readout"] == old["readout"] or after["picture"] == before["picture"]:
            _fail(
                f"{self.where}: {label} on {key} (was {old['readout']}): "
                f"value {'changed' if new['readout'] != old['readout'] else 'did NOT change'} "
                f"(now {new['readout']}, aria-valuenow {old['now']} -> {new['now']}), "
                f"picture {'changed' if after['picture'] != before['picture'] else 'did NOT change'}"
                + (f"\nrc-error box:\n{after['error']}" if after["error"] else ""),
                self.page,
            )
        self.check_readout(f"after {label} on {key}")
        self.moves += 1

    def check_readout(self, when: str) -> None:
        if not wait(self.page, KERNEL_IDLE, timeout=KERNEL_WAIT_MS):
            _fail(f"{self.where}: the kernel did not return to Idle {when}", self.page)
        shown = self.state()
        params = page_params(self.cls, shown)
        expected = expected_readout(self.cls, params)
        if not wait(self.page, READOUT_IS, arg=[self.i, expected], timeout=10_000):
            _fail(f"{self.where}: {when}, readout {json.dumps(self.state()['readout'])} != "
                  f"{self.cls.__name__}.readout_values(compute(**{params!r})) = {json.dumps(expected)}", self.page)
        if shown.get("table") is not None and hasattr(self.cls, "table_values"):
            table = self.cls.table_values(self.cls.compute(**params))
            if not wait(self.page, TABLE_IS, arg=[self.i, table], timeout=10_000):
                _fail(f"{self.where}: {when}, the table shows {json.dumps(self.state()['table'])}, but "
                      f"{self.cls.__name__}.table_values(compute(**{params!r})) = {json.dumps(table)}", self.page)
        problems = self.page.evaluate(PROBLEMS)
        if problems:
            _fail(f"{self.where}: {when}:\n" + "\n".join(problems), self.page)

    def walk_slider(self, key: str) -> None:
        """End, Home (skipping an end it is already at), then ArrowRight back to the start value."""
        start = self.state()["sliders"][key]
        handle = self.control(key).locator(".noUi-handle")
        if start["now"] != start["max"]:
            self.move(key, "End", lambda: handle.press("End"))
        if self.state()["sliders"][key]["now"] != start["min"]:
            self.move(key, "Home", lambda: handle.press("Home"))
        for _ in range(RESTORE_MAX_PRESSES):
            now = self.state()["sliders"][key]
            if now["readout"] == start["readout"] or now["now"] == now["max"]:
                break
            handle.press("ArrowRight")
        if self.state()["sliders"][key]["readout"] != start["readout"]:
            _fail(f"{self.where}: ArrowRight from the low end never brought {key} back to {start['readout']}",
                  self.page)

    def walk_select(self, key: str) -> None:
        start = self.state()["sliders"][key]
        select = self.control(key).locator("select")
        options = start["options"] or []
        for label in (options[-1], options[0]) if len(options) > 1 else ():
            if self.state()["sliders"][key]["readout"] != label:
                self.move(key, f"choosing {label!r}", lambda label=label: select.select_option(label=label))
        select.select_option(label=start["readout"])

    def walk_toggles(self, key: str) -> None:
        """A row of toggle buttons (choice_buttons): every other option in turn, then the start one."""
        start = self.state()["sliders"][key]
        options = start["options"] or []
        buttons = self.control(key).locator(".widget-toggle-button")

        def click(label):
            return lambda: buttons.filter(has_text=re.compile(f"^{re.escape(label)}$")).first.click()

        for label in [o for o in options if o != start["readout"]] + [start["readout"]]:
            if self.state()["sliders"][key]["readout"] != label:
                self.move(key, f"choosing {label!r}", click(label))

    def walk_checkbox(self, key: str) -> None:
        check = self.control(key).locator("input[type=checkbox]")
        self.move(key, "a click", check.click)
        self.move(key, "a second click", check.click)

    def walk(self, key: str) -> None:
        start, kind = self.state(), self.state()["sliders"][key]["kind"]
        walker = {"slider": self.walk_slider, "select": self.walk_select, "checkbox": self.walk_checkbox,
                  "toggles": self.walk_toggles}.get(kind)
        if walker is None:
            warnings.warn(f"{self.where}: control {key!r} is of a kind this test cannot move; not tested", stacklevel=1)
            return
        walker(key)
        self.check_readout(f"with {key} back at {start['sliders'][key]['readout']}")
        self.check_same_picture(key, start["picture"])

    def press(self, key: str) -> None:
        """Click action button `key`; the picture must change, with no error, and the readout (and
        table) must then equal what compute gives for what the page shows."""
        before = self.state()
        self.box.locator(f".rc-button-{key}").click()
        wait(self.page, PRESSED_AND_REDRAWN, arg=[self.i, before["picture"]], timeout=UPDATE_WAIT_MS)
        after = self.state()
        if after["error"] or after["picture"] == before["picture"]:
            _fail(f"{self.where}: a click on button {key!r}: picture "
                  f"{'changed' if after['picture'] != before['picture'] else 'did NOT change'}"
                  + (f"\nrc-error box:\n{after['error']}" if after["error"] else ""), self.page)
        self.check_readout(f"after a click on button {key!r}")
        self.moves += 1

    def press_buttons(self) -> None:
        """Every action button in page order, then the first one again (for the call inspector: a
        call, a new module, a call on the new module)."""
        keys = self.state()["buttons"]
        for key in keys + keys[:1]:
            self.press(key)

    def check_same_picture(self, key: str, picture: str) -> None:
        """Back at the start values, the picture has the same pixels as before the moves."""
        deadline = time.monotonic() + UPDATE_WAIT_MS / 1000
        while True:
            now = self.state()["picture"]
            differ = pixels_differ(picture, now)
            if not differ or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if differ:
            _fail(f"{self.where}: {key} back at its start value, but the picture differs from the one shown "
                  f"there before the moves: {differ}", self.page)


@pytest.mark.browser
@pytest.mark.timeout(1200)  # a cold kernel, Run All and a few dozen round trips on a busy 2-core machine
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_control_moves_picture_and_readout(notebook, lab, page, shots_dir):
    REGISTRY, _ = _registry()
    name = notebook.name
    expected_boxes = max(1, saved_explorer_outputs(read_unvalidated(notebook)))
    phases, started = [], time.monotonic()

    def phase(label):
        phases.append(f"{label} {time.monotonic() - started:.1f}s")

    try:
        try:
            on_open = open_notebook(page, lab, name)
            if on_open:
                _fail(f"{name} as a learner opens it (before running anything):\n" + "\n".join(on_open), page)
            phase("opened")
            clear_and_run_all(page, name)
            phase("run all")
            count = wait_for_explorers(page, name, expected_boxes)
        except LabPageError as exc:
            _fail(str(exc), page)

        moves = 0
        for i in range(count):
            state = page.evaluate(BOX_STATE, i)
            where = f"{name}, explorer #{i + 1} ({state['name']})"
            assert state["name"] in REGISTRY, (
                f"{where}: no explorer named {state['name']!r} in rope_course.explorers.REGISTRY")
            assert state["picture"], f"{where}: no picture (<img>) follows the explorer in its cell's outputs"
            assert state["sliders"], f"{where}: no control with the rc-slider class"
            walker = _Walker(page, i, REGISTRY[state["name"]], where)
            walker.box.scroll_into_view_if_needed()
            for key in state["sliders"]:
                walker.walk(key)
            walker.press_buttons()
            moves += walker.moves
            walker.box.locator(OUTPUT_AREA).screenshot(path=str(shots_dir / f"{notebook.stem}-explorer{i + 1}.png"))
        assert moves, f"{name}: no explorer control could be moved"
        phase(f"{moves} moves")
        problems = page.evaluate(PROBLEMS)
        if problems:
            _fail(f"{name} after moving the controls:\n" + "\n".join(problems), page)
        page.screenshot(path=str(shots_dir / f"{notebook.stem}.png"))
    except BaseException:
        try:
            page.screenshot(path=str(shots_dir / f"{notebook.stem}-FAILED.png"))
        except Exception:
            pass
        raise
    finally:
        lab.shutdown_kernel_of(name)
        with open(shots_dir / "timings.txt", "a") as log:
            log.write(f"{notebook.stem}: {', '.join(phases)}\n")


@pytest.mark.timeout(600)  # the first test to use `lab` pays for starting the server
def test_lab_uses_course_overrides(lab):
    """The server the test starts hands the page the course's settings (tools/lab_settings.py)."""
    from .jupyter_server import load_overrides_writer

    overrides, _ = load_overrides_writer()
    for plugin, values in overrides.items():
        schema = lab.lab_setting(plugin)["schema"]["properties"]
        for key, value in values.items():
            default = schema[key]["default"]
            assert default == value, f"{plugin}:{key} default is {default!r}, not {value!r}"


@pytest.mark.timeout(600)
def test_lab_serves_the_learners_workspace(lab):
    """The browser test's server is rooted at a workspace that tools/workspace.py set up, as `make lab`'s is."""
    _, body = lab.api("GET", "/api/contents/lessons")
    names = {item["name"] for item in body["content"]}
    assert {p.name for p in NOTEBOOKS} <= names and "solutions" in names
    assert (lab.root_dir / ".course-manifest.json").is_file()
