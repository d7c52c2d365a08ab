"""Driving a lesson in a real JupyterLab page: shared by the browser test and `make bench`.

Everything is read from the page itself: the status bar, the cells' models, the explorer
boxes (`rc-explorer`, `rc-explorer-<name>`), their controls (`rc-slider`, `rc-slider-<param>`:
sliders, dropdowns, checkboxes, toggle buttons), action buttons (`rc-button`, `rc-button-<key>`),
tables (`rc-table`, cells with `data-col`), readouts (`rc-readout` spans with `data-key`), error
boxes (`rc-error`) and the picture, the first image after the box in its cell's outputs.
Nothing here uses pytest: a failure raises `LabPageError` with a message that says what the
page showed.
"""

from __future__ import annotations

import re
import time

KERNEL_WAIT_MS = 180_000  # a cold kernel importing torch on a busy 2-core machine
RUN_WAIT_MS = 240_000
UPDATE_WAIT_MS = 60_000


class LabPageError(Exception):
    pass


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

CELLS_CLEARED = "() => {" + _CELLS + """
    return cells.length > 0 && cells.every(c => c.model.executionCount === null && c.model.outputs.length === 0);
}"""

RUN_STARTED = "() => {" + _CELLS + "return cells.some(c => c.model.executionCount !== null || running(c));}"

RUN_FINISHED = "() => {" + _CELLS + """
    if (!cells.length) return false;
    if (cells.some(running)) return false;
    return cells.some(errored) || cells.every(c => c.model.executionCount !== null);
}"""

# What a learner would see as broken on the page (or in the cells' outputs).
PROBLEMS = "() => {" + _CELLS + """
    const problems = [];
    const strip = s => s.replace(/\\u001b\\[[0-9;]*m/g, '');
    cells.forEach((c, i) => {
        for (const o of c.model.outputs.toJSON()) {
            if (o.output_type === 'error')
                problems.push(`code cell ${i + 1}: ${o.ename}: ${o.evalue}\\n`
                    + strip((o.traceback || []).join('\\n')).slice(-3000));
            const text = Array.isArray(o.text) ? o.text.join('') : (o.text || '');
            if (o.output_type === 'stream' && o.name === 'stderr' && text.includes('Traceback'))
                problems.push(`code cell ${i + 1} printed a traceback to stderr:\\n` + strip(text).slice(-3000));
        }
    });
    const stderr = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
    if (!problems.length)  // what the page shows, in case the output models above missed it
        document.querySelectorAll(stderr).forEach(el => {
            if (el.innerText.includes('Traceback')) problems.push('stderr traceback: ' + el.innerText.slice(-3000));
        });
    const notebook = panel ? panel.content.node : document.body;
    if (notebook.innerText.includes('Error displaying widget')) problems.push('"Error displaying widget" on the page');
    document.querySelectorAll('.rc-error').forEach(el => {
        if (el.offsetParent !== null && el.innerText.trim())
            problems.push('rc-error box: ' + el.innerText.slice(-3000));
    });
    return problems;
}"""

NOT_RUN = "() => {" + _CELLS + """
    return cells.map((c, i) => c.model.executionCount === null ? `code cell ${i + 1} did not run` : null)
        .filter(Boolean);
}"""

# The picture: the first image shown after the box in the same cell's outputs.
_PICTURE_OF = """(box) => {
    const child = box.closest('.jp-OutputArea-child');
    for (let el = child && child.nextElementSibling; el; el = el.nextElementSibling) {
        if (el.querySelector('.rc-explorer')) break;
        const img = el.querySelector('img');
        if (img) return img;
    }
    return null;
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
        const select = el.querySelector('select'), check = el.querySelector('input[type=checkbox]');
        const toggles = [...el.querySelectorAll('.widget-toggle-button')];
        const active = el.querySelector('.mod-active');
        let value = readout ? readout.innerText.trim() : null;
        if (value === null)  // a control other than a slider: dropdown, checkbox, toggle buttons
            value = select && select.selectedIndex >= 0 ? select.options[select.selectedIndex].text
                : check ? String(check.checked) : active ? active.innerText.trim() : null;
        sliders[key] = {
            kind: handle ? 'slider' : select ? 'select' : check ? 'checkbox' : toggles.length ? 'toggles' : 'other',
            readout: value,
            now: handle ? handle.getAttribute('aria-valuenow') : null,
            min: handle ? handle.getAttribute('aria-valuemin') : null,
            max: handle ? handle.getAttribute('aria-valuemax') : null,
            options: select ? [...select.options].map(o => o.text)
                : toggles.length ? toggles.map(b => b.innerText.trim()) : null,
        };
    });
    // Action buttons (rc-button, rc-button-<key>), in page order, and a table (rc-table) whose
    // cells carry data-col: [{column: text}, ...] per body row.
    const buttons = [...box.querySelectorAll('.rc-button')].map(el =>
        [...el.classList].map(c => (c.match(/^rc-button-(.+)$/) || [])[1]).find(Boolean)).filter(Boolean);
    const tableEl = box.querySelector('.rc-table');
    const table = tableEl ? [...tableEl.querySelectorAll('tbody tr')].map(tr => {
        const row = {};
        tr.querySelectorAll('td[data-col]').forEach(td => { row[td.dataset.col] = td.innerText.trim(); });
        return row;
    }).filter(row => Object.keys(row).length) : null;
    const readout = {};
    box.querySelectorAll('.rc-readout span[data-key]').forEach(el => {
        readout[el.dataset.key] = el.innerText.trim();
    });
    const err = box.querySelector('.rc-error');
    const error = err && err.offsetParent !== null ? err.innerText.trim() : '';
    const img = (PICTURE_OF)(box);
    return {name, sliders, buttons, table, readout, error, picture: img ? img.getAttribute('src') : null};
}""".replace("PICTURE_OF", _PICTURE_OF)

# Done when the value and the picture changed, or as soon as the explorer shows an error.
MOVED_AND_REDRAWN = """([i, key, oldValue, oldPicture]) => {
    const state = (BOX_STATE)(i);
    if (!state) return false;
    if (state.error) return true;
    return !!state.sliders[key] && state.sliders[key].readout !== oldValue
        && state.picture !== null && state.picture !== oldPicture;
}""".replace("BOX_STATE", BOX_STATE)

# Done when the picture changed (an action button was pressed), or as soon as an error shows.
PRESSED_AND_REDRAWN = """([i, oldPicture]) => {
    const state = (BOX_STATE)(i);
    if (!state) return false;
    return !!state.error || (state.picture !== null && state.picture !== oldPicture);
}""".replace("BOX_STATE", BOX_STATE)

TABLE_IS = """([i, expected]) => {
    const state = (BOX_STATE)(i);
    return !!state && JSON.stringify(state.table) === JSON.stringify(expected);
}""".replace("BOX_STATE", BOX_STATE)

READOUT_IS = """([i, expected]) => {
    const state = (BOX_STATE)(i);
    if (!state) return false;
    const shown = Object.keys(state.readout), wanted = Object.keys(expected);
    return shown.length === wanted.length && wanted.every(k => state.readout[k] === expected[k]);
}""".replace("BOX_STATE", BOX_STATE)

PICTURE_IS = """([i, picture]) => {
    const state = (BOX_STATE)(i);
    return !!state && (state.error !== '' || state.picture === picture);
}""".replace("BOX_STATE", BOX_STATE)

# Latency, all on the page's clock: from the keydown event on the slider (captured on the box,
# before noUiSlider sees it) to the new picture in the DOM and decoded (ready to paint).
LATENCY_ARM = """(i) => {
    const box = document.querySelectorAll('.rc-explorer')[i];
    const pictureOf = PICTURE_OF;
    const old = pictureOf(box);
    const probe = {start: null, dom: null, decoded: null, picture: old ? old.getAttribute('src') : null};
    if (window.__rcLatencyObserver) window.__rcLatencyObserver.disconnect();
    const area = box.closest('.jp-OutputArea') || document.body;
    const observer = new MutationObserver(() => {
        if (probe.start === null || probe.dom !== null) return;
        const img = pictureOf(box);
        if (!img || img.getAttribute('src') === probe.picture) return;
        probe.dom = performance.now();
        const decoded = img.decode ? img.decode() : Promise.resolve();
        decoded.catch(() => {}).then(() => { probe.decoded = performance.now(); });
    });
    observer.observe(area, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
    window.__rcLatencyObserver = observer;
    if (!box.__rcKeydown) {
        box.addEventListener('keydown', () => {
            const p = window.__rcLatencyProbe;
            if (p && p.start === null) p.start = performance.now();
        }, {capture: true});
        box.__rcKeydown = true;
    }
    window.__rcLatencyProbe = probe;
    return true;
}""".replace("PICTURE_OF", _PICTURE_OF)

LATENCY_DONE = """() => { const p = window.__rcLatencyProbe; return !!p && p.decoded !== null; }"""
LATENCY_READ = """() => {
    const p = window.__rcLatencyProbe;
    if (window.__rcLatencyObserver) window.__rcLatencyObserver.disconnect();
    return p ? {start: p.start, dom: p.dom, decoded: p.decoded} : null;
}"""

EXPLORERS_SHOWN = """([n]) => { const boxes = document.querySelectorAll('.rc-explorer');
    return boxes.length >= n && [...boxes].every(b => b.querySelector('.rc-slider')); }"""


def wait(page, script: str, arg=None, timeout: float = 30_000) -> bool:
    """page.wait_for_function, answering False on timeout (so failures read without a chained timeout)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, arg=arg, timeout=timeout)
        return True
    except PlaywrightTimeout:
        return False


def new_page(browser):
    """A page in a fresh context (no shared storage) that records console errors in `rc_console_errors`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.rc_console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.rc_console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.rc_console_errors.append(f"pageerror: {exc}"))
    return context, page


def failure(message: str, page) -> LabPageError:
    errors = getattr(page, "rc_console_errors", [])
    if errors:
        message += "\nbrowser console errors (last 5):\n  " + "\n  ".join(e[:500] for e in errors[-5:])
    return LabPageError(message)


def run_all(page) -> None:
    page.evaluate("""() => { window.__rcRunAll = window.jupyterapp.commands
        .execute('notebook:run-all-cells').catch(e => { window.__rcRunAllError = String(e); }); }""")
    if wait(page, RUN_STARTED, timeout=20_000):
        return
    # Fallback: the menu (Run > Run All Cells), e.g. if the command id ever changes.
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()
    if not wait(page, RUN_STARTED, timeout=60_000):
        raise failure("Run All did not start a single cell (command and menu both tried); "
                      f"command error: {page.evaluate('() => window.__rcRunAllError || null')}", page)


def open_notebook(page, lab, name: str) -> list[str]:
    """Open lessons/<name> as a learner gets it (saved outputs shown, kernel started).

    Returns what looks broken in the saved notebook before anything runs."""
    page.goto(lab.notebook_url(name))
    if not wait(page, KERNEL_IDLE, timeout=KERNEL_WAIT_MS):
        raise failure(f"{name}: the status bar never read '(ipykernel) | Idle' (no kernel started?)", page)
    mode = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.notebookConfig.windowingMode")
    if mode != "none":
        raise failure(f"{name}: windowingMode is {mode!r}: the course's overrides.json was not applied", page)
    return page.evaluate(PROBLEMS)


def clear_and_run_all(page, name: str) -> None:
    """Clear the saved outputs (so a finished run can be told from the saved one), Run All, and
    raise if any cell errs, did not run, or a widget fails to display."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    if not wait(page, CELLS_CLEARED, timeout=30_000):
        raise failure(f"{name}: clearing the saved outputs did not clear them", page)
    run_all(page)
    finished = wait(page, RUN_FINISHED, timeout=RUN_WAIT_MS) and wait(page, KERNEL_IDLE, timeout=KERNEL_WAIT_MS)
    problems = page.evaluate(PROBLEMS) + page.evaluate(NOT_RUN)
    if not finished:
        problems.insert(0, f"Run All did not finish within {RUN_WAIT_MS // 1000} s")
    if problems:
        raise failure(f"{name} after Run All:\n" + "\n".join(problems), page)


def wait_for_explorers(page, name: str, expected: int) -> int:
    """Wait until at least `expected` explorer boxes with controls are shown; how many there are."""
    if not wait(page, EXPLORERS_SHOWN, arg=[expected], timeout=60_000):
        found = page.evaluate("() => document.querySelectorAll('.rc-explorer').length")
        raise failure(f"{name}: expected {expected} explorer(s) with controls, the page shows {found}", page)
    return page.evaluate("() => document.querySelectorAll('.rc-explorer').length")


def press_and_time(page, i: int, key: str, press: str, timeout_ms: float = UPDATE_WAIT_MS) -> dict:
    """Press `press` on slider `key` of explorer box i; {dom_ms, decoded_ms} from the keydown to the
    new picture in the DOM and decoded. Raises if the picture does not change or an error shows."""
    page.evaluate(LATENCY_ARM, i)
    handle = page.locator(".rc-explorer").nth(i).locator(f".rc-slider-{key} .noUi-handle")
    handle.press(press)
    if not wait(page, LATENCY_DONE, timeout=timeout_ms):
        state = page.evaluate(BOX_STATE, i)
        page.evaluate(LATENCY_READ)
        raise failure(f"explorer #{i + 1} ({state['name']}): {press} on {key} drew no new picture within "
                      f"{timeout_ms / 1000:.0f} s" + (f"; rc-error box:\n{state['error']}" if state["error"] else ""),
                      page)
    probe = page.evaluate(LATENCY_READ)
    if probe["start"] is None:
        raise failure(f"explorer #{i + 1}: the keydown on {key} was never seen by the page", page)
    return {"dom_ms": probe["dom"] - probe["start"], "decoded_ms": probe["decoded"] - probe["start"]}


def settle(page, seconds: float = 0.05) -> None:
    """Let the kernel go idle and the page breathe between two isolated key presses."""
    wait(page, KERNEL_IDLE, timeout=KERNEL_WAIT_MS)
    time.sleep(seconds)
