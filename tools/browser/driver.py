"""Browser checks, shared: a local server on 127.0.0.1, Debian's headless Chromium driven by playwright,
and the steps of JupyterLab's UI that the pinned lab and the JupyterLite site have in common.

    import browser                                   # tools/ on sys.path
    if browser.missing():                            # None, or one line saying what is absent
        sys.exit(browser.missing())
    with browser.LocalServer(["python3", "-m", "http.server", "--bind", "127.0.0.1", "{port}"],
                             cwd=site, ready="/") as server, browser.Browser() as b:
        page = b.page()                              # a new tab; every request it makes is recorded
        page.goto(server.url + "/index.html")        # page is a playwright.sync_api.Page
        b.screenshot(page, "build/shot.png")
        b.assert_local()                             # AssertionError naming any request that left 127.0.0.1

LocalServer(command, cwd=None, env=None, ready="/", timeout=60, log=None)
    Picks a free port, substitutes it for "{port}" in the command, starts the process in a
    session of its own and waits until GET http://127.0.0.1:PORT{ready} answers (any HTTP status;
    ready=None: don't wait). .port, .url ("http://127.0.0.1:PORT"), .log (its output file),
    .started_in (seconds until ready). Leaving the block (or .stop()) ends the whole process group:
    SIGTERM, then SIGKILL after 10 s. A server that exits or never answers raises RuntimeError
    with the tail of its log.
Browser(viewport=(1400, 1000), timeout=60)
    Chromium from chromium_path() in headless mode, throw-away profile. .page() opens a tab;
    .requests lists every URL asked for (pages, workers, websockets); .foreign() those not to
    127.0.0.1/localhost/[::1]; .assert_local() raises if there is one; .errors the pages' uncaught
    JavaScript errors; .screenshot(page, path) writes a PNG (folders made as needed).
    Requests that are not local are also blocked: Chromium sends everything except loopback to a
    proxy at 127.0.0.1:9, where nothing listens, so a stray URL fails at once, on this machine.

JupyterLab's UI, the same in the pinned lab (lab.py) and in the JupyterLite site (lite.py); each acts on
the notebook in the tab on show:
    open_notebook(page, url, cells=1)   go there, wait for its cells (wait_for_cells: without the goto)
    run(b, prepare, name, shots)        Run All in a fresh page and wait until every code cell has run:
                                        prepare(page) opens the notebook there and returns how many code
                                        cells it has; a run left stuck is run again once (see run)
    outputs(page, cell=None), text(page)  what the cells (or the code cell `cell`) printed
    show_output(page, text)             scroll the last output holding `text` into view (for a screenshot)
    dirty(page), save(page)             the tab marked unsaved; Ctrl+S and wait until it is not
    marked(nb_text, suffix)             the code cells whose id ends in PICTURE ("-picture") or WIDGET
    images(page, cell), widgets(page, cell)  the sizes of a code cell's output images (0 x 0: not loaded),
                                        its rendered widgets; shoot(page, cell, path): a screenshot of it
    poke(page, cell, value)             type into its widget's text box: do its outputs change?

What every proof of a built site shares: options(parser, site, shots, step), its command line's
(--site, --shots, the step it runs); begin(site, shots, failed, make), its first checks; and
playwright_error(fallback), what its main() shows as one line.

playwright's own browser download is never used: tools/browser/requirements.txt pins the Python client
and `executable_path` points it at Debian's chromium (INSTALL_HINT says how to get it).
"""

import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "install Debian's chromium: sudo apt-get install chromium (or set CHROMIUM=/path/to/chrome)"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1;localhost;[::1]",
]


def options(parser, site, shots, step):
    """A proof's options, added to its command line: --site, the built site; --shots, where its
    screenshots go; and the step it runs, `step` = (option, default, what it is). Returns parser."""
    from ..project import ROOT, step_numbers  # (run by path, this file says what it is)

    shown = {path: os.path.relpath(path, ROOT) for path in (site, shots)}
    parser.add_argument("--site", default=str(site), help=f"the built site (default {shown[site]})")
    parser.add_argument(
        "--shots", default=str(shots), help=f"where its screenshots go (default {shown[shots]})"
    )
    option, default, what = step
    parser.add_argument(
        option, type=int, choices=step_numbers(), default=default, help=f"{what} (default {default})"
    )
    return parser


def begin(site, shots, failed, make):
    """What a proof checks and clears first: chromium and playwright here, a built site at `site` (`make`
    builds it), `shots` with no old screenshot. A problem raises failed(one line); returns Path(site)."""
    if missing():
        raise failed(missing())
    site = Path(site)
    if not (site / "index.html").is_file():
        raise failed(f"{site} has no site: run `{make}` first")
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()  # a stale screenshot must not pass for a new one
    return site


def playwright_error(fallback):
    """playwright's Error (a timeout, say), which a proof shows as one line, not a traceback; without
    playwright, `fallback` (the proof says what is missing)."""
    try:
        from playwright.sync_api import Error
    except ImportError:
        return fallback
    return Error


def chromium_path():
    """The Chromium executable ($CHROMIUM, else the first of BROWSERS on PATH), or None."""
    found = os.environ.get("CHROMIUM") or next(
        (shutil.which(name) for name in BROWSERS if shutil.which(name)), None
    )
    return found if found and os.access(found, os.X_OK) else None


def missing():
    """None when a browser check can run here; otherwise one line saying what is missing and how to get it."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "playwright is not installed: pip install -r tools/browser/requirements.txt "
            "(make lab-proof does it)"
        )
    if not chromium_path():
        return "no Chromium found (looked for " + ", ".join(BROWSERS) + "): " + INSTALL_HINT
    return None


def is_local(url):
    """True for URLs on this machine's loopback (and for data:/blob:/about: URLs, which go nowhere)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome", "chrome-error"):
        return True
    try:
        return parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:  # a name other than localhost
        return False


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """A server process on 127.0.0.1 at a free port, stopped for sure when the block ends (see module doc)."""

    def __init__(self, command, cwd=None, env=None, ready="/", timeout=60, log=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [str(part).replace("{port}", str(self.port)) for part in command]
        self.cwd, self.env, self.ready, self.timeout = cwd, env, ready, timeout
        self.log = Path(log) if log else Path(tempfile.mkstemp(prefix="server-", suffix=".log")[1])
        self.process, self.started_in = None, None

    def start(self):
        self.log.parent.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if self.ready is not None:
            self._wait_ready(began)
        self.started_in = time.monotonic() - began
        return self

    def _wait_ready(self, began):
        while True:
            if self.process.poll() is not None:
                self._fail(f"exited with status {self.process.returncode} before answering")
            try:
                urllib.request.urlopen(self.url + self.ready, timeout=5).close()
                return
            except urllib.error.HTTPError:  # it answered: an error status still means it is up
                return
            except OSError:
                pass
            if time.monotonic() - began > self.timeout:
                self._fail(f"did not answer {self.url}{self.ready} within {self.timeout} s")
            time.sleep(0.2)

    def _fail(self, why):
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"server {' '.join(self.command[:3])} … {why}; its log ({self.log}) ends:\n{tail}")

    def stop(self):
        """End the server and everything it started (its process group); safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Browser:
    """Headless Debian Chromium through playwright, recording every request (see module doc)."""

    def __init__(self, viewport=(1400, 1000), timeout=60):
        self.viewport, self.timeout = viewport, timeout
        self.requests, self.errors = [], []
        self._playwright = self._browser = self.context = None

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        exe = chromium_path()
        if not exe:
            raise RuntimeError("no Chromium found: " + INSTALL_HINT)
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=exe, headless=True, args=FLAGS)
            width, height = self.viewport
            self.context = self._browser.new_context(viewport={"width": width, "height": height})
            self.context.set_default_timeout(self.timeout * 1000)
            self.context.on("request", lambda request: self.requests.append(request.url))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for close in (
            self.context and self.context.close,
            self._browser and self._browser.close,
            self._playwright and self._playwright.stop,
        ):
            if close:
                try:
                    close()
                except Exception:  # closing after a failure must not hide the failure
                    pass

    def page(self):
        """A new tab whose requests, websockets and uncaught errors are recorded."""
        page = self.context.new_page()
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        page.on("worker", lambda worker: self.requests.append(worker.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def foreign(self):
        """The recorded URLs that are not to this machine's loopback, in order, without repeats."""
        return list(dict.fromkeys(url for url in self.requests if not is_local(url)))

    def assert_local(self):
        foreign = self.foreign()
        assert not foreign, f"{len(foreign)} request(s) left 127.0.0.1: " + ", ".join(foreign[:10])

    @staticmethod
    def screenshot(page, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
        return path


# --- JupyterLab's UI ---------------------------------------------------------------------------------

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on show (JupyterLite restores other tabs)
DIRTY = ".lm-TabBar-tab.jp-mod-current.jp-mod-dirty"  # its tab, marked unsaved
STATUS = f"document.querySelector('{PANEL} .jp-Notebook-ExecutionIndicator')?.getAttribute('data-status')"
PROMPTS = f"""() => [...document.querySelectorAll('{PANEL} .jp-CodeCell .jp-InputPrompt')]
    .map(e => e.textContent.trim())"""
OUTPUTS = f"""cell => [...document.querySelectorAll('{PANEL} .jp-CodeCell')]
    .filter((e, i) => cell === null || i === cell)
    .flatMap(e => [...e.querySelectorAll('.jp-OutputArea-output')])
    .map(e => [e.getAttribute('data-mime-type') || '', e.textContent])"""
ERROR = "application/vnd.jupyter.error"
STUCK = 20  # seconds a cell may stay queued, [*], with the kernel idle: the kernel runs cells back to back


class NotDone(AssertionError):
    """Run All did not finish: a cell stayed queued with the kernel idle, or the time ran out."""


class CellFailed(AssertionError):
    """A cell failed, or the run stopped short of the last cell."""


TAB = ".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel"  # the name on the tab on show


def title(page):
    """The name on the current tab (the notebook's file name), for messages."""
    return page.evaluate(f"() => document.querySelector('{TAB}')?.textContent || location.pathname")


def wait_for_cells(page, cells=1, timeout=120, name=None):
    """Wait for `cells` cells in the notebook on show, and for it to be `name` (a file name) if given: a
    tab JupyterLite restores from an earlier page can be on show, with its cells, before the one asked for."""
    named = f"document.querySelector('{TAB}')?.textContent === {json.dumps(name)} && " if name else ""
    shown = f"() => {named}document.querySelectorAll('{PANEL} .jp-Cell').length >= {cells}"
    page.wait_for_function(shown, timeout=timeout * 1000)


def open_notebook(page, url, cells=1, timeout=120):
    """Go to a lab's URL of a notebook (…/name.ipynb or …?path=…/name.ipynb) and wait for its cells."""
    page.goto(url)
    wait_for_cells(page, cells, timeout, re.search(r"([^/=?&]+\.ipynb)", url).group(1))


def kernel_status(page):
    return page.evaluate(f"() => {STATUS}")


def show_inputs(page):
    """Open the collapsed inputs (the setup cell): a collapsed input has no prompt to read."""
    placeholders = page.locator(f"{PANEL} .jp-InputPlaceholder").filter(visible=True)
    for _ in range(placeholders.count()):  # each click opens one, and the rest move up
        placeholders.first.click()


def run_all(page):
    page.locator(f"{PANEL} .jp-Cell").first.click()  # focus the notebook (selects a cell, edits nothing)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def outputs(page, cell=None):
    """(mime type, text) of every output of the notebook, or of its code cell number `cell` (from 0)."""
    return [tuple(output) for output in page.evaluate(OUTPUTS, cell)]


def text(page):
    return "\n".join(out for _, out in outputs(page))


def show_output(page, text):
    page.locator(f"{PANEL} .jp-OutputArea-output", has_text=text).last.scroll_into_view_if_needed()


def wait_for_run(page, count, started, timeout=600, stuck=STUCK):
    """Wait until each of the `count` code cells has run (a number in its prompt); return the seconds from
    `started` (a time.monotonic()) until the first was done (the kernel's start, for a first cell that does
    nearly nothing) and until the last was. CellFailed: a cell failed, or the run stopped short; NotDone: a
    cell stayed queued with the kernel idle for `stuck` s, or `timeout` s passed."""
    first = queued = None
    while True:
        prompts, now = page.evaluate(PROMPTS), time.monotonic()
        done = [re.fullmatch(r"\[\d+\]:", p) is not None for p in prompts]
        if done and done[0] and first is None:
            first = now - started
        errors = [out for mime, out in outputs(page) if mime == ERROR or "Traceback" in out]
        if errors:  # the last cell too: it has its number then
            raise CellFailed(f"{title(page)}: a cell failed:\n" + "\n".join(errors)[-2000:])
        if len(prompts) == count and all(done):
            return first, now - started
        idle, waiting = kernel_status(page) == "idle", "*" in "".join(prompts)
        if first is not None and idle and not waiting and not all(done):
            raise CellFailed(f"{title(page)}: the run stopped early; prompts: {prompts}")
        queued = (queued or now) if idle and waiting else None
        if queued and now - queued > stuck:
            raise NotDone(f"{title(page)}: a cell stayed queued, [*], with the kernel idle for {stuck} s")
        if now - started > timeout:
            raise NotDone(f"{title(page)}: not done after {timeout} s; prompts: {prompts}")
        time.sleep(0.5)


def run(b, prepare, name, shots, timeout=600, attempts=2, cleanup=None, stuck=STUCK):
    """Run All in a fresh page of Browser b: prepare(page) opens the notebook there and returns how many code
    cells must run. Returns (page, first, last): the page still open, the seconds of wait_for_run counted
    from prepare(). Once in a while JupyterLab leaves a cell queued with the kernel idle, its execute request
    lost between the page and the kernel: a run not done (NotDone) leaves a screenshot in shots/, closes its
    page, calls cleanup() (shut the kernels down, say) and starts again in a fresh page, up to `attempts`."""
    for attempt in range(1, attempts + 1):
        page = b.page()
        started = time.monotonic()
        count = prepare(page)
        show_inputs(page)
        run_all(page)
        try:
            first, last = wait_for_run(page, count, started, timeout, stuck)
            return page, first, last
        except NotDone as error:
            b.screenshot(page, Path(shots) / f"{name}-stuck-{attempt}.png")
            page.close()
            if cleanup:
                cleanup()
            if attempt == attempts:
                raise
            print(f"{error}; running it again in a fresh page")


PICTURE, WIDGET = "-picture", "-widget"  # how the id of a cell drawing a picture, or a widget, ends
IMAGES = f"""cell => [...[...document.querySelectorAll('{PANEL} .jp-CodeCell')][cell]
    .querySelectorAll('.jp-OutputArea-output img')]
    .map(e => [e.complete ? e.naturalWidth : 0, e.naturalHeight])"""
WIDGETS = f"""cell => [...document.querySelectorAll('{PANEL} .jp-CodeCell')][cell]
    .querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length"""


def marked(nb_text, suffix):
    """[(number among the code cells, id)] of the code cells whose id ends in `suffix`."""
    code = [cell for cell in json.loads(nb_text)["cells"] if cell["cell_type"] == "code"]
    return [(i, cell["id"]) for i, cell in enumerate(code) if cell.get("id", "").endswith(suffix)]


def images(page, cell, timeout=10):
    """[(natural width, height)] of the images in code cell `cell`'s outputs, once each has loaded (or
    `timeout` s passed: an image that never loads stays 0 x 0)."""
    deadline = time.monotonic() + timeout
    while True:
        sizes = [tuple(size) for size in page.evaluate(IMAGES, cell)]
        if all(w and h for w, h in sizes) or time.monotonic() > deadline:
            return sizes
        time.sleep(0.2)


def widgets(page, cell):
    """How many widgets (ipywidgets' views, drawn by the page's widget manager) code cell `cell` shows."""
    return page.evaluate(WIDGETS, cell)


def poke(page, cell, value, timeout=30):
    """Type `value` into the first text box of code cell `cell`'s widgets, then Enter: True when the
    cell's outputs change within `timeout` s (the kernel heard the widget and answered), None when the
    cell has no text box."""
    box = page.locator(f"{PANEL} .jp-CodeCell").nth(cell).locator(".jupyter-widgets input[type=text]")
    if not box.count():
        return None
    before = outputs(page, cell)
    box.first.fill(value)
    box.first.press("Enter")
    deadline = time.monotonic() + timeout
    while outputs(page, cell) == before:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


def shoot(page, cell, path):
    """A screenshot of code cell `cell`, its outputs included (folders made as needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    element = page.locator(f"{PANEL} .jp-CodeCell").nth(cell)
    element.scroll_into_view_if_needed()
    element.screenshot(path=str(path))
    return path


def dirty(page):
    return page.locator(DIRTY)


def save(page, timeout=30):
    """Ctrl+S on the notebook (its first cell clicked: focus, no edit); wait until its tab is no longer
    marked unsaved."""
    from playwright.sync_api import TimeoutError as Timeout

    page.locator(f"{PANEL} .jp-Cell").first.click()
    page.keyboard.press("Control+s")
    try:
        page.wait_for_function(
            f"() => !document.querySelector('{PANEL} .jp-mod-dirty, {DIRTY}')", timeout=timeout * 1000
        )
    except Timeout:
        raise AssertionError(f"{title(page)}: Ctrl+S did not save the notebook within {timeout} s") from None


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    import sys

    sys.stderr.write(
        "error: tools/browser/driver.py is a library, not a command: "
        "tools/browser/lab.py, tools/browser/lite.py and tools/browser/site.py use it "
        "(`make lab-proof`, `make lite-proof`, `make docs-proof`)\n"
    )
    sys.exit(2)
