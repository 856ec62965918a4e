"""Open every notebook in the pinned JupyterLab, as a teacher would, and prove the checkout survives it.

    python -m tools.browser.lab [--run train5] -- .venv/bin/jupyter lab --config=tools/lab/config.py
                                  # what `make lab-proof` runs: after -- the lab as `make lab` starts it

Starts that JupyterLab (tools/lab/requirements.txt) on 127.0.0.1 with a throw-away token, config,
settings and workspace, serving notebooks/ as `make lab` does, and drives Debian's headless
Chromium through tools/browser/driver.py (its JupyterLab steps are lite-proof's too):
  1. opens every lesson notebooks/trainN.ipynb and student notebook notebooks/exercises/trainN.ipynb,
     waits for its kernel and for the lab to mark it unsaved (it rewrites the kernel metadata),
     and saves it with Ctrl+S without editing (the file's modification time must move: the lab
     really wrote it); JupyterLab's pop-up asking about Jupyter news must not show over it (make
     lab's overrides.json, tools/lab/overrides.json, says no);
  2. runs one lesson with Run All in quick mode (the server, and so its kernels, get NUM_STEPS and
     NUM_SAMPLES) and asserts its loss and sample lines (a run left stuck starts again once, in a
     fresh page: driver.run); that run is never saved (autosave is off in the throw-away settings,
     and the tab is closed with the page);
  3. opens the student notebook exercises/train3.ipynb unsaved: each hint cell must render as a
     closed <details> (summary shown, hint hidden) that opens on a click, with its Markdown
     rendered, and the lessons' LaTeX must be typeset (a screenshot goes to build/lab-check/);
  4. runs every lesson with picture cells (ids ending in -picture) in quick mode too: each shows images
     that loaded (natural size not 0), and a picture of each step is screenshot (build/lab-check/
     picture-trainN.png); each widget cell (id ending in -widget) shows ipywidgets' widgets, and its
     outputs follow when a prefix is typed into its text box (widget-trainN.png);
  5. asserts that no request left 127.0.0.1, keeps a screenshot of the run in build/lab-check/,
     then asserts that every notebook file is byte for byte what it was, `git status --porcelain`
     is what it was (empty in a clean clone, as in CI) and the notebooks are in sync with the steps
     (tools/generate/notebooks.py --stale, tools/exercises/student.py --stale).
It prints how long the lab took to start and, per notebook, what the lab had changed in it (the
pre-save hook of tools/generate/kernel_metadata.py logs it). Exit 0: all good; 1: a check failed (each
failure on its own line). Needs `make browser-deps` (playwright, chromium): make lab-proof does it.
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ..exercises import student as exercises
from ..generate import notebooks
from ..project import BUILD, ROOT, command_line, run_main
from ..project import QUICK as PRESETS
from . import driver as browser

SERVED = notebooks.NOTEBOOKS  # what `make lab` serves
SHOTS = BUILD / "lab-check"
QUICK = PRESETS["lab"]
# Throw-away lab config: no announcements, update checks or extension catalogue (they fetch from the
# internet).
CONFIG = {
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        "extension_manager": "readonly",
    }
}
# Throw-away user settings: no autosave, so the quick run's outputs are never written. Nothing about
# notifications: the news pop-up must stay away by `make lab`'s own overrides.json, as for a teacher.
SETTINGS = {"@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False}}
POKE = "em"  # typed into a widget's text box (a prefix): its outputs must follow
NEWS = "Would you like to get notified about official Jupyter news?"  # the pop-up's text in JupyterLab 4


def targets():
    """Every notebook the lab must leave alone, relative to the served folder."""
    paths = [notebooks.notebook_path(n) for n in notebooks.steps()] + [
        exercises.notebook_path(n) for n in notebooks.steps()
    ]
    return [path.relative_to(SERVED).as_posix() for path in paths]


class Lab:
    """JupyterLab on 127.0.0.1 in a throw-away home; .api(path) talks to its REST API with the token."""

    def __init__(self, home, command):
        self.token = secrets.token_hex(16)
        home = Path(home)
        env = dict(
            os.environ,
            **QUICK,
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_DATA_DIR=str(home / "data"),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
            IPYTHONDIR=str(home / "ipython"),
        )
        (home / "config").mkdir()
        (home / "config" / "jupyter_server_config.json").write_text(json.dumps(CONFIG))
        for name, value in SETTINGS.items():
            (home / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
            (home / "settings" / name).write_text(json.dumps(value))
        command = command + [
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={SERVED}",
        ]
        self.server = browser.LocalServer(
            command, cwd=ROOT, env=env, ready="/api/status", timeout=120, log=home / "lab.log"
        )

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc):
        self.server.stop()

    def url(self, path):
        return f"{self.server.url}/{path}?token={self.token}"

    def api(self, path, method="GET"):
        request = urllib.request.Request(
            f"{self.server.url}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def modified(self, name):
        return self.api(f"contents/{name}?content=0")["last_modified"]

    def wait_for_kernel(self, name, timeout=90):
        """Wait until the notebook's kernel is idle for the server: it has answered the lab's kernel_info
        request (the page's own indicator says idle sooner, before the lab has the kernel's metadata)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for session in self.api("sessions"):
                if session["path"] == name and session["kernel"]["execution_state"] == "idle":
                    return
            time.sleep(0.3)
        raise AssertionError(f"{name}: no idle kernel within {timeout} s")

    def notebook(self, name):
        """The notebook's page (&reset: a fresh workspace, no other tab restored)."""
        return self.url(f"lab/tree/{name}") + "&reset"

    def shut_down_kernels(self):
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")


def what_the_hook_saw(lab, name):
    """What the lab had changed in the notebook before the pre-save hook put our metadata back (its log)."""
    lines = [
        line
        for line in lab.server.log.read_text(errors="replace").splitlines()
        if f"] {name}: saved with the repo's kernel metadata" in line
    ]
    return lines[-1].split("(the lab had changed ", 1)[1].rstrip(")") if lines else "nothing"


def open_and_save(lab, b, name):
    """Open one notebook in a fresh lab page, wait for its kernel and for the lab to mark it unsaved,
    save it with Ctrl+S; return (marked unsaved?, what the lab had changed, the news pop-up shown?)."""
    before = lab.modified(name)
    page = b.page()
    browser.open_notebook(page, lab.notebook(name))
    lab.wait_for_kernel(name)
    try:
        # the lab rewrites the kernel metadata once the kernel has answered
        browser.dirty(page).wait_for(timeout=30_000)
        marked = True
    except Exception:  # playwright's TimeoutError: an unchanged notebook is saved all the same
        marked = False
    browser.save(page)
    deadline = time.monotonic() + 30
    while lab.modified(name) == before:
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: Ctrl+S did not save the notebook within 30 s")
        time.sleep(0.2)
    news = page.get_by_text(NEWS).count() > 0  # asked once the lab is restored, long before the save
    if news:
        b.screenshot(page, SHOTS / f"{name.removesuffix('.ipynb').replace('/', '-')}-news.png")
    page.close()
    lab.shut_down_kernels()
    return marked, what_the_hook_saw(lab, name), news


def run_quick(lab, b, name, shoot=True):
    """Run All on one lesson in quick mode (a stuck run starts again once: driver.run); return the output
    text, the last loss line it must hold and the page, still open. Never saved."""
    last = f"step {int(QUICK['NUM_STEPS']):4d} / {int(QUICK['NUM_STEPS']):4d} | loss"
    code = sum(cell["cell_type"] == "code" for cell in json.loads((SERVED / name).read_text())["cells"])

    def prepare(page):
        browser.open_notebook(page, lab.notebook(name))
        lab.wait_for_kernel(name)
        return code

    page, _, _ = browser.run(b, prepare, Path(name).stem, SHOTS, timeout=180, cleanup=lab.shut_down_kernels)
    text = browser.text(page)
    if shoot:
        browser.show_output(page, last)
        b.screenshot(page, SHOTS / f"{Path(name).stem}-quick.png")
    return text, last, page


def pictured():
    """The lessons with picture cells (tools/browser/driver.py's PICTURE), by name."""
    names = [target for target in targets() if "/" not in target]
    return [
        name for name in names if browser.marked((SERVED / name).read_text(encoding="utf-8"), browser.PICTURE)
    ]


def pictures(page, name):
    """Every picture cell of a lesson just run shows images that loaded (natural size not 0), the first
    one screenshot as picture-trainN.png; every widget cell shows its widgets (widget-trainN.png).
    Returns the problems found and a line saying what was seen."""
    nb_text = (SERVED / name).read_text(encoding="utf-8")
    stem, problems, sizes = Path(name).stem, [], []
    cells = browser.marked(nb_text, browser.PICTURE)
    for i, cell_id in cells:
        got = browser.images(page, i, timeout=30)
        sizes += got
        if not got or not all(w and h for w, h in got):
            problems.append(f"{name}: {cell_id} shows no image that loaded (natural sizes {got})")
    if cells:
        browser.shoot(page, cells[0][0], SHOTS / f"picture-{stem}.png")
    shown = browser.marked(nb_text, browser.WIDGET)
    for i, cell_id in shown:
        deadline = time.monotonic() + 30
        while not browser.widgets(page, i) and time.monotonic() < deadline:
            time.sleep(0.3)
        if not browser.widgets(page, i):
            problems.append(f"{name}: {cell_id} shows no widget (is jupyterlab_widgets in the lab?)")
        elif browser.poke(page, i, POKE) is False:
            problems.append(f"{name}: {cell_id}: typing {POKE!r} into its text box changed nothing")
        browser.shoot(page, i, SHOTS / f"widget-{stem}.png")
    seen = f"{name}: {len(cells)} picture cell(s), {len(sizes)} image(s) " + (
        "drawn (" + ", ".join(f"{w}x{h}" for w, h in sizes) + ")" if sizes else "drawn"
    )
    return problems, seen + (f", {len(shown)} widget cell(s) showing their widgets" if shown else "")


def hints_and_maths(lab, b, name):
    """A student notebook as the student sees it: each hint cell a closed <details>, its summary shown
    and its hint hidden until clicked, and the lessons' LaTeX typeset (no $$ left as text). Never saved.
    Returns the problems found."""
    n = int(Path(name).stem.removeprefix("train"))
    codes = [exercise.code_hint for _, exercise, _ in exercises.exercises(n)]
    page = b.page()
    browser.open_notebook(page, lab.notebook(name))
    details = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown details")
    problems = []
    try:
        deadline = time.monotonic() + 60
        while details.count() < len(codes) and time.monotonic() < deadline:
            page.mouse.wheel(0, 2000)  # the lab may render cells as they scroll into view
            time.sleep(0.3)
        if details.count() != len(codes):
            return [f"{name}: {details.count()} rendered hint cell(s), expected {len(codes)}"]
        for k in range(len(codes)):
            hint = details.nth(k)
            hint.scroll_into_view_if_needed()
            body = hint.locator("p").first
            if hint.evaluate("e => e.open") or body.is_visible() or not hint.locator("summary").is_visible():
                problems.append(f"{name}: hint {k + 1} is not a closed <details> with its summary showing")
            hint.locator("summary").click()
            body.wait_for(state="visible", timeout=5_000)
            if "`" in body.inner_text():
                problems.append(f"{name}: hint {k + 1}'s Markdown was not rendered: {body.inner_text()[:80]}")
        b.screenshot(page, SHOTS / f"{Path(name).stem}-hints.png")
        rendered = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown")
        text = "\n".join(rendered.all_inner_texts())
        if not page.locator(".jp-RenderedMarkdown mjx-container").count() or "$$" in text:
            problems.append(f"{name}: the lessons' LaTeX was not typeset")
    finally:
        page.close()
        lab.shut_down_kernels()
    return problems


def drive(lab, b, run):
    """Open and save every notebook, run one lesson in quick mode; return the problems found.
    An exception on the way leaves a screenshot of each page still open in SHOTS."""
    print(f"JupyterLab answered after {lab.server.started_in:.1f} s on {lab.server.url}")
    news = []
    try:
        for name in targets():
            t0 = time.monotonic()
            marked, changed, asked = open_and_save(lab, b, name)
            news += [name] if asked else []
            print(
                f"{name}: opened, {'marked unsaved by the lab' if marked else 'never marked unsaved'}, saved"
                f" ({time.monotonic() - t0:.1f} s); the lab had changed: {changed}"
            )
        print(f"the news pop-up over {len(news)} notebook(s)" if news else "no news pop-up over any notebook")
        t0 = time.monotonic()
        found = hints_and_maths(lab, b, "exercises/train3.ipynb")
        print(
            f"exercises/train3.ipynb: hint cells closed until clicked, LaTeX typeset"
            f"{'' if not found else ': NO'} ({time.monotonic() - t0:.1f} s)"
        )
        t0 = time.monotonic()
        text, last, page = run_quick(lab, b, f"{run}.ipynb")
        ran = time.monotonic() - t0
        lessons = pictured()
        if not lessons:
            print("no lesson has picture cells (ids ending in -picture) yet: pictures not checked")
        for name in dict.fromkeys([f"{run}.ipynb", *lessons]):  # one picture of every step, in quick mode
            t1 = time.monotonic()
            page = page or run_quick(lab, b, name, shoot=False)[2]
            if name in lessons:
                missing, seen = pictures(page, name)
                found += missing
                print(f"{seen} ({time.monotonic() - t1:.1f} s)")
            page.close()
            page = None
            lab.shut_down_kernels()
    except Exception:
        for i, page in enumerate(b.context.pages):
            b.screenshot(page, SHOTS / f"failed-{i}.png")
        raise
    print(f"ran {run} in quick mode ({' '.join(f'{k}={v}' for k, v in QUICK.items())}) in {ran:.1f} s")
    problems = list(found)
    if news:
        problems.append(
            f"JupyterLab asked {NEWS!r} over {', '.join(news)}: no .venv/share/jupyter/lab/"
            "settings/overrides.json? (make lab copies tools/lab/overrides.json there)"
        )
    if last not in text or "step    1 /" not in text or f"sample {int(QUICK['NUM_SAMPLES']):2d}:" not in text:
        problems.append(f"{run}: no loss or sample lines in the outputs:\n{text[-1500:]}")
    problems += [f"a page error: {error}" for error in b.errors]
    if b.foreign():
        problems.append(f"{len(b.foreign())} request(s) left 127.0.0.1: " + ", ".join(b.foreign()[:10]))
    print(f"{len(b.requests)} requests, all to 127.0.0.1" if not b.foreign() else "requests left 127.0.0.1")
    return problems


def git_status():
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument("--run", default="train5", help="the lesson to run in quick mode (default train5)")
    parser.add_argument(
        "lab", nargs=argparse.REMAINDER, help="-- and the command that starts the lab, as make lab has it"
    )
    args = parser.parse_args(argv)
    if args.lab[:1] == ["--"]:
        args.lab = args.lab[1:]
    if not args.lab:
        parser.error(
            "give the lab's command after --, e.g. -- .venv/bin/jupyter lab --config=tools/lab/config.py"
        )
    if browser.missing():
        print("error: " + browser.missing(), file=sys.stderr)
        return 1
    if not (ROOT / "data" / "names.txt").is_file():
        print(
            "error: data/names.txt is missing (the lessons read it): run `make data` first", file=sys.stderr
        )
        return 1
    problems = []
    began = time.monotonic()
    status_before = git_status()
    for old in SHOTS.glob("*.png"):
        old.unlink()  # a stale screenshot (a picture, say) must not pass for a new one
    saved = {name: (SERVED / name).read_bytes() for name in targets()}
    with tempfile.TemporaryDirectory(prefix="lab-check-") as home:
        try:
            with Lab(home, args.lab) as lab, browser.Browser(viewport=(1400, 1000)) as b:
                problems += drive(lab, b, args.run)
        except Exception as error:  # the lab did not start, a page never showed what it should, …
            problems.append(f"{type(error).__name__}: {str(error).strip()[:3000]}")
        finally:
            if Path(home, "lab.log").is_file():
                SHOTS.mkdir(parents=True, exist_ok=True)
                shutil.copy(Path(home, "lab.log"), SHOTS / "lab.log")  # the server's log, kept for a failure
    status = git_status()
    if status != status_before:
        problems.append("git status changed while the lab opened and saved the notebooks:\n" + status)
    problems += [
        f"{name}: the lab's save changed the file"
        for name in targets()
        if (SERVED / name).read_bytes() != saved[name]
    ]
    if status == status_before:
        print(
            "git status "
            + ("is clean" if not status else "is as it was before (not clean: uncommitted work)")
        )
    for tool in ("tools.generate.notebooks", "tools.exercises.student"):
        stale = subprocess.run(
            [sys.executable, "-m", tool, "--stale"], cwd=ROOT, capture_output=True, text=True
        )
        if stale.returncode:
            problems.append(f"python3 -m {tool} --stale: {stale.stderr.strip()}")
    for problem in problems:
        print("FAILED: " + problem, file=sys.stderr)
    print(
        f"lab-check {'FAILED' if problems else 'passed'} in {time.monotonic() - began:.0f} s; "
        f"screenshots and the lab's log in {SHOTS.relative_to(ROOT)}/"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    run_main(main)
