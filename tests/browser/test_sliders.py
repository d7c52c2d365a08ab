"""Every lesson's sliders work in a real JupyterLab (headless Chromium).

For each lesson notebook that shows an explorer (found automatically, so new lessons are
covered), on a fresh kernel: Run All, then check that no cell errs and no widget fails to
display; then move every `seq_len` and `scaling_factor` slider of every explorer one notch
with the keyboard and check that the slider value and the picture change and that the readout
equals `readout_values(compute(**params))` recomputed here from the values the sliders show.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

from .jupyter_server import explorer_notebooks, saved_explorer_outputs

NOTEBOOKS = explorer_notebooks()
MOVED = ("seq_len", "scaling_factor")

KERNEL_WAIT_MS = 180_000  # a cold kernel importing torch on a busy 2-core machine
RUN_WAIT_MS = 240_000
UPDATE_WAIT_MS = 60_000

KERNEL_IDLE = """() => {
    const bar = document.querySelector('#jp-main-statusbar');
    return !!bar && bar.innerText.includes('(ipykernel) | Idle');
}"""

# The notebook panel's code cells that have code (an empty cell never gets a count).
_CELLS = """
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const cells = (panel && panel.content && panel.content.widgets ? panel.content.widgets : [])
        .filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim() !== '');
    const running = c => ((c.node.querySelector('.jp-InputPrompt') || {}).innerText || '').includes('*');
    const errored = c => c.model.outputs.toJSON().some(o => o.output_type === 'error');
"""

RUN_STARTED = "() => {" + _CELLS + "return cells.some(c => c.model.executionCount !== null || running(c));}"

RUN_FINISHED = "() => {" + _CELLS + """
    if (!cells.length) return false;
    if (cells.some(running)) return false;
    return cells.some(errored) || cells.every(c => c.model.executionCount !== null);
}"""

PROBLEMS = "() => {" + _CELLS + """
    const problems = [];
    const strip = s => s.replace(/\\u001b\\[[0-9;]*m/g, '');
    cells.forEach((c, i) => {
        for (const o of c.model.outputs.toJSON()) {
            if (o.output_type === 'error')
                problems.push(`code cell ${i + 1}: ${o.ename}: ${o.evalue}\\n` + strip((o.traceback || []).join('\\n')).slice(-3000));
            const text = Array.isArray(o.text) ? o.text.join('') : (o.text || '');
            if (o.output_type === 'stream' && o.name === 'stderr' && text.includes('Traceback'))
                problems.push(`code cell ${i + 1} printed a traceback to stderr:\\n` + strip(text).slice(-3000));
        }
        if (c.model.executionCount === null)
            problems.push(`code cell ${i + 1} did not run`);
    });
    if (!problems.length)  // what the page shows, in case the output models above missed it
        document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').forEach(el => {
            if (el.innerText.includes('Traceback')) problems.push('stderr traceback: ' + el.innerText.slice(-3000));
        });
    const notebook = panel ? panel.content.node : document.body;
    if (notebook.innerText.includes('Error displaying widget')) problems.push('"Error displaying widget" on the page');
    document.querySelectorAll('.rc-error').forEach(el => {
        if (el.offsetParent !== null && el.innerText.trim()) problems.push('rc-error box: ' + el.innerText.slice(-3000));
    });
    return problems;
}"""

# Everything the test reads from explorer box number i (document order).
BOX_STATE = """(i) => {
    const box = document.querySelectorAll('.rc-explorer')[i];
    if (!box) return null;
    const name = [...box.classList].map(c => (c.match(/^rc-explorer-(.+)$/) || [])[1]).find(Boolean) || null;
    const sliders = {};
    box.querySelectorAll('.rc-slider').forEach(el => {
        const key = [...el.classList].map(c => (c.match(/^rc-slider-(.+)$/) || [])[1]).find(Boolean);
        const handle = el.querySelector('.noUi-handle');
        const readout = el.querySelector('.widget-readout');
        let value = readout ? readout.innerText.trim() : null;
        if (value === null) {  // a control other than a slider: dropdown, checkbox, toggle buttons
            const select = el.querySelector('select'), check = el.querySelector('input[type=checkbox]');
            const active = el.querySelector('.mod-active');
            value = select && select.selectedIndex >= 0 ? select.options[select.selectedIndex].text
                : check ? String(check.checked) : active ? active.innerText.trim() : null;
        }
        sliders[key] = {
            readout: value,
            now: handle ? handle.getAttribute('aria-valuenow') : null,
            min: handle ? handle.getAttribute('aria-valuemin') : null,
            max: handle ? handle.getAttribute('aria-valuemax') : null,
        };
    });
    const readout = {};
    box.querySelectorAll('.rc-readout span[data-key]').forEach(el => { readout[el.dataset.key] = el.innerText.trim(); });
    const err = box.querySelector('.rc-error');
    const error = err && err.offsetParent !== null ? err.innerText.trim() : '';
    // The picture is the first image shown after the box in the same cell's outputs.
    let picture = null;
    const child = box.closest('.jp-OutputArea-child');
    for (let el = child && child.nextElementSibling; el; el = el.nextElementSibling) {
        if (el.querySelector('.rc-explorer')) break;
        const img = el.querySelector('img');
        if (img) { picture = img.getAttribute('src'); break; }
    }
    return {name, sliders, readout, error, picture};
}"""

# Done when the value and the picture changed, or as soon as the explorer shows an error.
MOVED_AND_REDRAWN = """([i, key, oldValue, oldPicture]) => {
    const state = (%s)(i);
    if (!state) return false;
    if (state.error) return true;
    return !!state.sliders[key] && state.sliders[key].readout !== oldValue
        && state.picture !== null && state.picture !== oldPicture;
}""" % BOX_STATE

READOUT_IS = """([i, expected]) => {
    const state = (%s)(i);
    if (!state) return false;
    const shown = Object.keys(state.readout), wanted = Object.keys(expected);
    return shown.length === wanted.length && wanted.every(k => state.readout[k] === expected[k]);
}""" % BOX_STATE


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


def expected_readout(cls, params: dict) -> dict:
    _, format_number = _registry()
    return {label: format_number(value) for label, value in cls.readout_values(cls.compute(**params)).items()}


def test_some_lessons_have_explorers():
    assert NOTEBOOKS, "no lesson in lessons/ shows an explorer (rc-explorer widget or Explorer(...).show())"


def _wait(page, script: str, arg=None, timeout: float = 30_000) -> bool:
    """page.wait_for_function, answering False on timeout (so failures read without a chained timeout)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, arg=arg, timeout=timeout)
        return True
    except PlaywrightTimeout:
        return False


def _run_all(page):
    page.evaluate("""() => { window.__rcRunAll = window.jupyterapp.commands
        .execute('notebook:run-all-cells').catch(e => { window.__rcRunAllError = String(e); }); }""")
    if _wait(page, RUN_STARTED, timeout=20_000):
        return
    # Fallback: the menu (Run > Run All Cells), e.g. if the command id ever changes.
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()
    if not _wait(page, RUN_STARTED, timeout=60_000):
        _fail("Run All did not start a single cell (command and menu both tried); "
              f"command error: {page.evaluate('() => window.__rcRunAllError || null')}", page)


def _fail(message: str, page):
    errors = getattr(page, "rc_console_errors", [])
    if errors:
        message += "\nbrowser console errors (last 5):\n  " + "\n  ".join(e[:500] for e in errors[-5:])
    pytest.fail(message, pytrace=False)


@pytest.mark.browser
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_slider_moves_picture_and_readout(notebook, lab, page, shots_dir):
    REGISTRY, _ = _registry()
    name = notebook.name
    expected_boxes = max(1, saved_explorer_outputs(nbformat.read(notebook, as_version=4)))
    phases, started = [], time.monotonic()

    def phase(label):
        phases.append(f"{label} {time.monotonic() - started:.1f}s")

    try:
        page.goto(lab.notebook_url(name))
        if not _wait(page, KERNEL_IDLE, timeout=KERNEL_WAIT_MS):
            _fail(f"{name}: the status bar never read '(ipykernel) | Idle' (no kernel started?)", page)
        phase("kernel idle")
        mode = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.notebookConfig.windowingMode")
        assert mode == "none", f"windowingMode is {mode!r}: the course's overrides.json was not applied"

        _run_all(page)
        finished = _wait(page, RUN_FINISHED, timeout=RUN_WAIT_MS) and _wait(page, KERNEL_IDLE, timeout=KERNEL_WAIT_MS)
        problems = page.evaluate(PROBLEMS)
        if not finished:
            problems.insert(0, f"Run All did not finish within {RUN_WAIT_MS // 1000} s")
        phase("run all")
        if problems:
            _fail(f"{name} after Run All:\n" + "\n".join(problems), page)

        if not _wait(
                page,
                """([n]) => { const boxes = document.querySelectorAll('.rc-explorer');
                    return boxes.length >= n && [...boxes].every(b => b.querySelector('.rc-slider .noUi-handle')); }""",
                arg=[expected_boxes], timeout=60_000):
            found = page.evaluate("() => document.querySelectorAll('.rc-explorer').length")
            _fail(f"{name}: expected {expected_boxes} explorer(s) with sliders, the page shows {found}", page)

        count = page.evaluate("() => document.querySelectorAll('.rc-explorer').length")
        moves = 0
        for i in range(count):
            state = page.evaluate(BOX_STATE, i)
            where = f"{name}, explorer #{i + 1} ({state['name']})"
            assert state["name"] in REGISTRY, f"{where}: no explorer named {state['name']!r} in rope_course.explorers.REGISTRY"
            cls = REGISTRY[state["name"]]
            assert state["picture"], f"{where}: no picture (<img>) follows the explorer in its cell's outputs"
            box = page.locator(".rc-explorer").nth(i)
            box.scroll_into_view_if_needed()
            for key in MOVED:
                if key not in state["sliders"]:
                    continue
                before = page.evaluate(BOX_STATE, i)
                slider = before["sliders"][key]
                at_max = slider["now"] is not None and slider["now"] == slider["max"]
                direction = "ArrowLeft" if at_max else "ArrowRight"
                box.locator(f".rc-slider-{key} .noUi-handle").press(direction)
                _wait(page, MOVED_AND_REDRAWN, arg=[i, key, slider["readout"], before["picture"]], timeout=UPDATE_WAIT_MS)
                after = page.evaluate(BOX_STATE, i)
                if after["error"] or after["sliders"][key]["readout"] == slider["readout"] or after["picture"] == before["picture"]:
                    _fail(
                        f"{where}: {direction} on {key} (was {slider['readout']}): "
                        f"value {'changed' if after['sliders'][key]['readout'] != slider['readout'] else 'did NOT change'} "
                        f"(now {after['sliders'][key]['readout']}, aria-valuenow {slider['now']} -> {after['sliders'][key]['now']}), "
                        f"picture {'changed' if after['picture'] != before['picture'] else 'did NOT change'}"
                        + (f"\nrc-error box:\n{after['error']}" if after["error"] else ""),
                        page,
                    )
                if not _wait(page, KERNEL_IDLE, timeout=KERNEL_WAIT_MS):
                    _fail(f"{where}: the kernel did not return to Idle after moving {key}", page)
                after = page.evaluate(BOX_STATE, i)
                params = slider_params(cls, after["sliders"])
                expected = expected_readout(cls, params)
                if not _wait(page, READOUT_IS, arg=[i, expected], timeout=10_000):
                    shown = page.evaluate(BOX_STATE, i)["readout"]
                    _fail(
                        f"{where}: after moving {key}, readout {json.dumps(shown)} != "
                        f"{cls.__name__}.readout_values(compute(**{params!r})) = {json.dumps(expected)}",
                        page,
                    )
                moves += 1
            box.locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-OutputArea ')][1]") \
                .screenshot(path=str(shots_dir / f"{notebook.stem}-explorer{i + 1}.png"))
        assert moves, f"{name}: no explorer has a seq_len or scaling_factor slider"
        phase(f"{moves} moves")
        problems = page.evaluate(PROBLEMS)
        if problems:
            _fail(f"{name} after moving the sliders:\n" + "\n".join(problems), page)
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


def test_lab_uses_course_overrides(lab):
    """The server the test starts hands the page the course's settings (tools/lab_settings.py)."""
    from .jupyter_server import load_overrides_writer

    overrides, _ = load_overrides_writer()
    for plugin, values in overrides.items():
        schema = lab.lab_setting(plugin)["schema"]["properties"]
        for key, value in values.items():
            assert schema[key]["default"] == value, f"{plugin}:{key} default is {schema[key]['default']!r}, not {value!r}"
