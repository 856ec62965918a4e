"""Drive the built JupyterLite site in headless Chromium and prove the course runs there as it does natively.

    .venv/bin/python -m tools.browser.lite       # make lite-proof: the site in build/site/lite/
    .venv/bin/python -m tools.browser.lite --site DIR --shots DIR --exercise 2 --quick-steps 20

It serves the site with `python -m http.server` on 127.0.0.1 (what the README tells teachers to do),
opens the landing page, follows its "Start here" link into the lab and, like a student would, each notebook
in a fresh page with the JupyterLab steps of tools/browser/driver.py (a run left stuck starts again once):
- runs lesson train0 at full length (Run → Run All Cells);
- runs lesson train5 in quick mode: a first cell `os.environ["NUM_STEPS"] = "20"` typed in above the rest;
- uploads a student notebook with its blanks filled from the solutions (tools/exercises/student.py's teacher
  version) through the file browser's Upload button, runs it, in quick mode too, and hands it in:
  Ctrl+S, File → Download, and the downloaded .ipynb must hold the run's check lines;
- uploads a notebook alone to the top folder (lesson 0's setup cell, NAMES_URL set to the site's copy):
  names.txt is fetched by the browser, verified and saved beside it, and 32,033 names are read from it;
- then the class's site (make lite CLASS=1, in --class-site): its landing page's "Start here" opens a
  student notebook, the folder of notebooks holds no lesson, and an answer that never ends, uploaded
  there and run under its check (train0's setup cell, `probabilities` a loop, the check), is stopped by
  the check with its ✗ line, as natively (sys.settrace, no signal).
Each notebook's `num docs`/`vocab size`/`num params`, loss and sample lines (those of the step's own
cells) must equal what `python3 steps/trainN.py` prints natively with the same knobs, no cell may fail,
every check line of the exercise must be a ✓, and no request may leave 127.0.0.1 (the browser also has
nowhere else to go: see tools/browser/driver.py). The server's log must show Pyodide and every wheel
served by the site.
Pictures (cells whose id ends in -picture): with matplotlib in tools/lite/lock.json, each shows images that
loaded (natural size not 0), one lesson of every step is run and a picture of each screenshot
(picture-trainN.png); without it, each prints one line (no-picture-trainN.png). Each widget cell (id ending
in -widget) shows its ipywidgets, and its outputs follow a prefix typed into it (widget-trainN.png).
Screenshots and the measured times (kernel start, in-browser vs native) go to build/lite-check/.
Needs .venv with playwright (make browser-deps) and Debian's chromium.
"""

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from .. import dataset, steprun
from ..lite import build as lite
from ..project import QUICK, ROOT, command_line, pinned_environment, positive_int, run_main, step_numbers
from . import driver as browser

SHOTS = lite.CHECK_OUT
KNOB_CELL = 'import os; os.environ["NUM_STEPS"] = "{steps}"'
POKE = "em"  # typed into a widget's text box (a prefix): its outputs must follow
RUN_TIMEOUT = 600  # seconds for one notebook, kernel start included
ALONE = "alone.ipynb"  # uploaded to the top folder, where no data/ is above it
SERVE = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "{port}"]  # a site, as teachers serve it


class CheckFailed(Exception):
    pass


def native(n, num_steps=None):
    """The compared lines of `python3 steps/trainN.py` (with NUM_STEPS when given), and its wall time."""
    started = time.perf_counter()
    result = steprun.run(n, {"NUM_STEPS": num_steps} if num_steps else {}, timeout=RUN_TIMEOUT)
    seconds = time.perf_counter() - started
    if result.returncode:
        raise CheckFailed(f"native train{n} failed: {result.stderr.strip()[-500:]}")
    return compared(result.stdout), seconds


STEP_CELL = re.compile(r"train\d+-\d+")  # a cell of the step's own code (not a check, picture or setup)


def step_text(page, nb_text, offset):
    """What the cells of the step's own code printed (`offset`: cells typed in above them): the other cells
    (checks, pictures, names sampled after a prefix) print lines of their own that the step does not."""
    code = [cell for cell in json.loads(nb_text)["cells"] if cell["cell_type"] == "code"]
    ours = [i for i, cell in enumerate(code) if STEP_CELL.fullmatch(cell.get("id", ""))]
    return "\n".join(out for i in ours for _, out in browser.outputs(page, i + offset))


def compared(text):
    """The lines with a figure in them (the README's "The steps": what every step prints)."""
    return steprun.parse(text, strict=False).figure_lines()


# --- driving the lab, as a student would -------------------------------------------------------------


def insert_first_cell(page, source):
    """Select the first cell, add a cell above it (A), type `source` into it, back to command mode."""
    page.locator(f"{browser.PANEL} .jp-Cell").first.click()  # a rendered Markdown cell: selects it
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    page.keyboard.type(source)
    page.keyboard.press("Escape")


def upload(page, path, folder):
    """Through the file browser: go to `folder` (from the top, a double-click per folder; "" is the top),
    then Upload → pick the file, as a student would."""
    page.locator(".jp-FileBrowser .jp-BreadCrumbs-home").click()
    in_folder(page, "")
    names = folder.split("/") if folder else []
    for i, name in enumerate(names):
        listing(page, name).dblclick()
        in_folder(page, "/".join(names[: i + 1]))
    with page.expect_file_chooser() as chooser:
        page.locator(".jp-FileBrowser-toolbar jp-button[title='Upload Files']").click()
    chooser.value.set_files(str(path))
    listing(page, Path(path).name).wait_for(timeout=30_000)


def in_folder(page, folder):
    """Wait until the file browser shows `folder` (a path from the top)."""
    crumbs = "document.querySelector('.jp-FileBrowser .jp-BreadCrumbs')?.textContent"
    shown = f"/{folder}/" if folder else "/"
    page.wait_for_function(f"() => {crumbs} === {json.dumps(shown)}", timeout=30_000)


def listing(page, name):
    """The file browser's entry for `name`."""
    return page.locator(".jp-DirListing-content .jp-DirListing-itemText").get_by_text(name, exact=True)


def download(page, folder):
    """Save the notebook on show (Ctrl+S), then File → Download, as the landing page tells students to hand
    it in; return the downloaded notebook (a dict)."""
    browser.save(page)
    page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
    with page.expect_download() as download_info:
        page.locator(".lm-Menu-itemLabel", has_text="Download").first.click()
    path = Path(folder) / download_info.value.suggested_filename
    download_info.value.save_as(path)
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb_text):
    return sum(1 for cell in json.loads(nb_text)["cells"] if cell["cell_type"] == "code")


def check_cells(nb_text):
    """Code cells that call a checker (the exercise's check cells; the teacher's version asserts them)."""
    return sum(
        1
        for cell in json.loads(nb_text)["cells"]
        if cell["cell_type"] == "code"
        and re.search(r"^(check\.\w+\(|passed, line = _graded\(\)\.)", "".join(cell["source"]), re.M)
    )


def classroom(site, shots):
    """The class's site (see the module doc): {"start": the notebook it starts on, "runaway": …}."""
    site = Path(site)
    if not (site / "index.html").is_file():  # (begin() ran: the screenshots of check() stay)
        raise CheckFailed(f"{site} has no site: run `make lite CLASS=1` first")
    with tempfile.TemporaryDirectory(prefix="lite-class-") as tmp:
        student0 = (site / "files" / "notebooks" / "exercises" / "train0.ipynb").read_text(encoding="utf-8")
        runaway_path = Path(tmp) / "train0-runaway.ipynb"
        runaway_text = runaway_notebook(student0)
        runaway_path.write_text(runaway_text, encoding="utf-8")
        with (
            browser.LocalServer(SERVE, cwd=site) as server,
            browser.Browser(viewport=(1400, 1000), timeout=120) as b,
        ):
            page = b.page()
            page.goto(server.url + "/")
            b.screenshot(page, shots / "class-landing.png")
            page.locator("#start").click()
            browser.wait_for_cells(page)
            start = browser.title(page)
            # the lab moves the file browser to the notebook's folder after its cells appear: wait for that
            in_folder(page, lite.CLASS_START.rsplit("/", 1)[0])
            page.locator(".jp-FileBrowser .jp-BreadCrumbs-home").click()
            listing(page, "notebooks").dblclick()
            listing(page, "exercises").wait_for(timeout=30_000)
            shown = page.locator(".jp-DirListing-content .jp-DirListing-itemText").all_inner_texts()
            if start != lite.CLASS_START.rsplit("/", 1)[1] or shown != ["exercises"]:
                raise CheckFailed(f"the class's site starts on {start}; notebooks/ holds {shown}")
            print(f"✓ the class's site: Start here opens {start}; notebooks/ holds exercises/ alone")
            upload(page, runaway_path, "notebooks/exercises")
            page.close()
            there = f"{server.url}/{lite.lite_url('notebooks/exercises/' + runaway_path.name)}"
            cells = code_cells(runaway_text)
            found = runaway(b, lambda page: page.goto(there), runaway_path.name, cells, shots)
            b.assert_local()
    return {"start": start, "runaway": found}


def runaway(b, show, name, cells, shots):
    """Run the runaway notebook (show(page) opens it, its file `name`, its code cells `cells`): its check's
    ✗ line must say that the answer did not finish in the time limit. Returns the line and the seconds the
    notebook took."""
    from ..exercises.common import LIMIT

    def prepare(page):
        show(page)
        browser.wait_for_cells(page, cells, name=name)
        return cells

    page, first, last = browser.run(b, prepare, "runaway", shots, timeout=RUN_TIMEOUT)
    lines = [line for line in browser.text(page).splitlines() if line.startswith(("✓", "✗"))]
    browser.show_output(page, "✗")
    b.screenshot(page, shots / "runaway.png")
    page.close()
    if len(lines) != 1 or not lines[0].startswith("✗") or f"did not finish in {LIMIT} s" not in lines[0]:
        raise CheckFailed(f"an answer that never ends: its check should say it did not finish: {lines}")
    took = f"{last - first:.1f} s after the setup cell"
    print(f"✓ an answer that never ends, in Pyodide: stopped by its check, {took}: {lines[0]}")
    return {"line": lines[0], "seconds": round(last - first, 1)}


def teacher_notebook(n):
    """tools/exercises/student.py's build(n, teacher=True): the student notebook with the solutions in
    place."""
    with pinned_environment():
        from ..exercises import student as exercises
    return exercises.build(n, teacher=True)


def pictures(page, nb_text, name, offset, drawn, shots):
    """The picture and widget cells of a run (driver.PICTURE, driver.WIDGET; `offset`: cells typed in
    above them). With matplotlib on the site (`drawn`) each picture cell shows images that loaded, the
    notebook's first one screenshot as picture-NAME.png; without it each prints one line, nothing else
    (no-picture-NAME.png). Each widget cell shows a widget (widget-NAME.png). Returns the cells' counts."""
    cells = browser.marked(nb_text, browser.PICTURE)
    for i, cell_id in cells:
        sizes = browser.images(page, i + offset, timeout=30 if drawn else 0)
        said = "".join(out for _, out in browser.outputs(page, i + offset)).strip().splitlines()
        if drawn and (not sizes or not all(w and h for w, h in sizes)):
            raise CheckFailed(f"{name}: {cell_id} shows no image that loaded (natural sizes {sizes})")
        if not drawn and (sizes or len(said) != 1):
            raise CheckFailed(
                f"{name}: {cell_id} must print one line without matplotlib: it shows {len(sizes)} image(s) "
                f"and printed {said}"
            )
    if cells:
        browser.shoot(page, cells[0][0] + offset, shots / f"{'' if drawn else 'no-'}picture-{name}.png")
    shown = browser.marked(nb_text, browser.WIDGET)
    for i, cell_id in shown:
        deadline = time.monotonic() + 30
        while not browser.widgets(page, i + offset):
            if time.monotonic() > deadline:
                raise CheckFailed(f"{name}: {cell_id} shows no widget: {browser.outputs(page, i + offset)}")
            time.sleep(0.3)
        if browser.poke(page, i + offset, POKE) is False:
            raise CheckFailed(f"{name}: {cell_id}: typing {POKE!r} into its text box changed nothing")
        browser.shoot(page, i + offset, shots / f"widget-{name}.png")
    return len(cells), len(shown)


# --- the check ----------------------------------------------------------------------------------------


def run_one(b, name, show, nb_text, n, quick, shots, focus=None, drawn=False, file=None):
    """show(page) brings up the notebook (its file: `file`, or NAME.ipynb) in a fresh page (a click, a URL);
    then the quick-mode cell if `quick`, Run All, and the outputs compared with native Python's. Return the
    page (still open), the outputs and the figures: the kernel is ready when the first cell (an import, or
    the knob) is done, counted from show(); the rest is the notebook's own time."""
    cells = len(json.loads(nb_text)["cells"])

    def prepare(page):
        show(page)
        browser.wait_for_cells(page, cells, name=file or f"{name}.ipynb")
        if quick:
            insert_first_cell(page, KNOB_CELL.format(steps=quick))
            browser.wait_for_cells(page, cells + 1)
        return code_cells(nb_text) + (1 if quick else 0)

    page, first, last = browser.run(b, prepare, name, shots, timeout=RUN_TIMEOUT)
    text = browser.text(page)
    drew, widgets = pictures(page, nb_text, name, 1 if quick else 0, drawn, shots)
    if focus:
        browser.show_output(page, focus)
    b.screenshot(page, shots / f"{name}.png")
    expected, native_seconds = native(n, quick)
    got = compared(step_text(page, nb_text, 1 if quick else 0))
    if got != expected:
        at = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), min(len(got), len(expected)))
        raise CheckFailed(
            f"{name}: {len(got)} compared lines in the browser, {len(expected)} natively; first "
            f"difference at line {at}: browser {got[at : at + 1]} vs native {expected[at : at + 1]}"
        )
    entry = {
        "name": name,
        "num_steps": quick or "default",
        "compared_lines": len(got),
        "kernel_ready_s": round(first, 1),
        "notebook_s": round(last - first, 1),
        "native_s": round(native_seconds, 2),
        "picture_cells": drew,
        "widget_cells": widgets,
    }
    print(
        f"✓ {name}: {len(got)} lines (counts, losses, samples) equal to native Python's; kernel ready after "
        f"{first:.1f} s, then the notebook took {last - first:.1f} s (natively {native_seconds:.2f} s)"
    )
    if drew or widgets:
        print(
            f"✓ {name}: {drew} picture cell(s) "
            + ("drawn, each image loaded" if drawn else "printing one line each (no matplotlib on the site)")
            + (f", {widgets} widget cell(s) showing their widgets" if widgets else "")
        )
    return page, text, entry


RUNAWAY = "def probabilities(row):\n    while True:  # never ends\n        row = row\n"


def runaway_notebook(student):
    """Student notebook 0 (its JSON text) cut to its setup and checkers cells, an answer that never ends and
    its check."""
    nb = json.loads(student)
    cells = {cell.get("id"): cell for cell in nb["cells"]}
    answer = dict(cells["train0-07"], source=f"vocab_size = 27\n{RUNAWAY}", outputs=[], execution_count=None)
    nb["cells"] = [cells["train0-setup"], cells["train0-checkers-setup"], answer, cells["train0-07-check1"]]
    return json.dumps(nb)


def alone_notebook(lesson, url):
    """Lesson 0's setup cell alone, after a cell pointing NAMES_URL at `url`, and a cell counting the names
    it then reads from DATASET."""
    nb = json.loads(lesson)
    setup = next(cell for cell in nb["cells"] if cell.get("id") == "train0-setup")
    first = f'import os\nos.environ["NAMES_URL"] = {json.dumps(url)}  # the site\'s copy: no network here'
    count = 'path = os.environ["DATASET"]\nprint(f"{len(open(path).read().split()):,} names in {path}")'
    ran = dict(outputs=[], execution_count=None)
    nb["cells"] = [
        dict(setup, **ran, id="alone-url", metadata={}, source=first),
        dict(setup, **ran),
        dict(setup, **ran, id="alone-count", metadata={}, source=count),
    ]
    return json.dumps(nb)


def alone(b, page, server, lesson, tmp, shots):
    """A notebook on its own (the top folder: no data/ above it) downloads names.txt through the browser,
    verifies it and saves it beside itself; the download comes from the site, as the check is offline."""
    path = Path(tmp) / ALONE
    path.write_text(alone_notebook(lesson, f"{server.url}/files/data/names.txt"), encoding="utf-8")
    upload(page, path, "")
    page.close()

    def prepare(page):
        page.goto(f"{server.url}/{lite.lite_url(ALONE)}")
        browser.wait_for_cells(page, 3, name=ALONE)
        return 3

    page, _, _ = browser.run(b, prepare, "alone", shots, timeout=RUN_TIMEOUT)
    text = browser.text(page)
    b.screenshot(page, shots / "alone.png")
    page.close()
    saved = re.search(rf"^saved (\S+) \({dataset.SIZE:,} bytes, sha256 verified\)$", text, re.M)
    counted = re.search(r"^([\d,]+) names in (\S+)$", text, re.M)
    if (
        not saved
        or not counted
        or counted.group(2) != saved.group(1)
        or not saved.group(1).endswith("/names.txt")
    ):
        raise CheckFailed(f"a notebook alone: names.txt not downloaded and saved beside it: {text[-600:]!r}")
    print(
        f"✓ a notebook alone in Pyodide: names.txt fetched by the browser, verified, saved as "
        f"{saved.group(1)}; {counted.group(1)} names read from it"
    )
    return {"saved": saved.group(1), "names": counted.group(1)}


def check(site, shots, exercise, quick_steps):
    """The whole check of the full site (see the module doc); returns its report."""
    site = browser.begin(site, shots, CheckFailed, "make lite")
    lesson = {
        n: (site / "files" / "notebooks" / f"train{n}.ipynb").read_text(encoding="utf-8")
        for n in step_numbers()
    }
    lock = lite.load_lock()
    drawn = lite.drawn(lock)
    marked = [n for n in step_numbers() if browser.marked(lesson[n], browser.PICTURE)]
    if not marked:
        print("no lesson has picture cells (ids ending in -picture) yet: pictures not checked")
    elif not drawn:
        print(
            "no matplotlib on the site (PyPI has no Pyodide build of "
            f"{', '.join(lock.get('not_on_pypi', ['matplotlib']))}): each picture cell must print one line"
        )
    start = re.search(
        r'id="start" href="lab/index.html\?path=([^"]+)"', (site / "index.html").read_text()
    ).group(1)
    solved = f"train{exercise}-solved.ipynb"
    report = {"runs": []}
    with tempfile.TemporaryDirectory(prefix="lite-check-") as tmp:
        solved_text = teacher_notebook(exercise)
        (Path(tmp) / solved).write_text(solved_text, encoding="utf-8")

        log = Path(tmp) / "server.log"
        with (
            browser.LocalServer(SERVE, cwd=site, log=log) as server,
            browser.Browser(viewport=(1400, 1000), timeout=120) as b,
        ):
            landing = b.page()
            landing.goto(server.url + "/")
            b.screenshot(landing, shots / "landing.png")
            landing.close()
            url = lambda path: lambda page: page.goto(f"{server.url}/{lite.lite_url(path)}")  # noqa: E731

            def start_link(page):  # the landing page's "Start here", as a student comes in
                page.goto(server.url + "/")
                page.locator("#start").click()

            train0 = start_link if start == "notebooks/train0.ipynb" else url("notebooks/train0.ipynb")
            page, _, entry = run_one(b, "train0", train0, lesson[0], 0, None, shots, drawn=drawn)
            page.close()
            report["runs"].append(entry)
            report["kernel_start_s"] = entry["kernel_ready_s"]  # the first page load: nothing cached yet
            report["first_lesson_s"] = round(entry["kernel_ready_s"] + entry["notebook_s"], 1)
            # with pictures to draw, one of every step: the lessons between too, in quick mode
            for n in [n for n in marked if n not in (0, 5)] if drawn else []:
                page, _, entry = run_one(
                    b,
                    f"train{n}",
                    url(f"notebooks/train{n}.ipynb"),
                    lesson[n],
                    n,
                    quick_steps,
                    shots,
                    drawn=True,
                )
                page.close()
                report["runs"].append(entry)
            page, _, entry = run_one(
                b, "train5", url("notebooks/train5.ipynb"), lesson[5], 5, quick_steps, shots, drawn=drawn
            )
            report["runs"].append(entry)
            upload(page, Path(tmp) / solved, "notebooks/exercises")  # to the browser's storage: every page's
            page.close()
            page, text, entry = run_one(
                b,
                f"exercise{exercise}",
                url(f"notebooks/exercises/{solved}"),
                solved_text,
                exercise,
                quick_steps,
                shots,
                focus="✓",
                drawn=drawn,
                file=solved,
            )
            report["runs"].append(entry)
            checks = [line for line in text.splitlines() if line.startswith(("✓", "✗"))]
            wanted = check_cells(solved_text)
            if len(checks) != wanted or not all(line.startswith("✓") for line in checks):
                raise CheckFailed(f"exercise {exercise}: {wanted} check cells, check lines: {checks}")
            print(f"✓ exercise {exercise}, solved: all {len(checks)} checks pass (" + "; ".join(checks) + ")")
            handed_in = download(page, tmp)
            kept = [
                line
                for cell in handed_in["cells"]
                for out in cell.get("outputs", [])
                for line in "".join(out.get("text", "")).splitlines()
                if line.startswith("✓")
            ]
            if kept != checks:
                raise CheckFailed(f"File → Download gave a notebook without the run's check lines: {kept}")
            print(f"✓ saved and downloaded (File → Download): {solved} with its outputs, checks included")
            report["alone"] = alone(b, page, server, lesson[0], tmp, shots)
            b.assert_local()
            if b.errors:
                raise CheckFailed("uncaught JavaScript errors: " + "; ".join(b.errors[:5]))
            report["requests"] = len(b.requests)
            report["requests_for_pyodide"] = sum("/static/pyodide/" in url for url in b.requests)
        served = log.read_text(errors="replace")
        needed = [f"/static/pyodide/{name}" for name in lite.PYODIDE_CORE]
        needed += [
            f"/static/pyodide/{w['file']}" if w["into"] in ("pyodide", "preload") else f"/pypi/{w['file']}"
            for w in lock["wheels"]
        ]
        unserved = [path for path in needed if not re.search(f'"GET {re.escape(path)}[ ?]', served)]
        if unserved:
            raise CheckFailed(
                "the site did not serve these, so the page got them elsewhere or not at all: "
                + ", ".join(unserved)
            )
    print(
        f"✓ {report['requests']} requests recorded, every one to 127.0.0.1; the site served Pyodide and all "
        f"{len(needed) - len(lite.PYODIDE_CORE)} wheels"
    )
    files_count, total = lite.size(site)
    report["site"] = {"files": files_count, "bytes": total}
    report["pictures"] = {
        "drawn": drawn,
        "not_on_pypi": lock.get("not_on_pypi", []),
        "screenshots": sorted(p.name for p in shots.glob("*picture-*.png")),
        "widgets": sorted(p.name for p in shots.glob("widget-*.png")),
    }
    return report


def main(argv=None):
    exercise = ("--exercise", 3, "the student notebook to run solved")
    parser = browser.options(command_line(__doc__, __file__), lite.OUT, SHOTS, exercise)
    quick = int(QUICK["lite"]["NUM_STEPS"])
    parser.add_argument(
        "--quick-steps",
        type=positive_int,
        default=quick,
        help=f"NUM_STEPS of the quick runs (default {quick})",
    )
    parser.add_argument(
        "--class-site",
        default=str(lite.CLASS_OUT),
        help=f"the class's site, make lite CLASS=1 (default {os.path.relpath(lite.CLASS_OUT, ROOT)})",
    )
    args = parser.parse_args(argv)
    try:
        report = check(args.site, Path(args.shots), args.exercise, args.quick_steps)
        report["class"] = classroom(args.class_site, Path(args.shots))
        (Path(args.shots) / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"screenshots and report.json in {os.path.relpath(args.shots)}")
    except (CheckFailed, AssertionError, lite.LiteError, browser.playwright_error(CheckFailed)) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    run_main(main)
