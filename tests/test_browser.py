"""tools/browser/driver.py: the local server starts and stops for sure; the browser records (and blocks) every
request that is not to 127.0.0.1, and takes a screenshot; the JupyterLab steps (Run All, wait, outputs, the
run left stuck that starts again in a fresh page) on a page shaped like JupyterLab's. The browser tests
run in make lab-proof, which installs playwright (marked `chromium`: make test and a plain pytest leave
them out, pytest.ini) and skip, with the reason, where playwright or Chromium is absent."""

import json
import sys
import time

import pytest

from tools.browser import driver as browser

PAGE = """<!doctype html><title>local</title><h1 id="hi">hello</h1>
<img src="pixel.svg"><img src="http://nowhere.invalid/stray.png"><script>fetch("http://nowhere.invalid/api")</script>"""


def serve(folder):
    return browser.LocalServer(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "{port}"], cwd=folder
    )


@pytest.mark.parametrize(
    "url, local",
    [
        ("http://127.0.0.1:8888/lab", True),
        ("ws://localhost:1/api", True),
        ("http://[::1]:80/", True),
        ("data:image/png;base64,AA", True),
        ("https://cdn.example.org/pyodide.js", False),
        ("http://10.0.0.1/", False),
        ("http://127.0.0.1.example.org/", False),
    ],
)
def test_is_local(url, local):
    assert browser.is_local(url) is local


def test_server_starts_on_a_free_port_and_stops_with_its_children(tmp_path):
    (tmp_path / "index.html").write_text("hi")
    with serve(tmp_path) as server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.process.poll() is None
        assert server.started_in is not None
    assert server.process.poll() is not None
    server.stop()  # a second stop is harmless


def test_a_server_that_dies_says_so_with_its_log(tmp_path):
    dying = browser.LocalServer(
        [sys.executable, "-c", "import sys; print('bad config'); sys.exit(3)"],
        timeout=10,
        log=tmp_path / "server.log",
    )
    with pytest.raises(RuntimeError, match=r"exited with status 3(.|\n)*bad config"):
        dying.start()


@pytest.mark.chromium
def test_browser_records_blocks_and_screenshots(tmp_path):
    if browser.missing():
        pytest.skip(browser.missing())
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "pixel.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')
    with serve(tmp_path) as server, browser.Browser() as b:
        page = b.page()
        page.goto(server.url + "/index.html", wait_until="networkidle")
        assert page.inner_text("#hi") == "hello"
        shot = b.screenshot(page, tmp_path / "shots" / "page.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert server.url + "/pixel.svg" in b.requests
    assert b.foreign() == ["http://nowhere.invalid/stray.png", "http://nowhere.invalid/api"]
    with pytest.raises(AssertionError, match="2 request.s. left 127.0.0.1: http://nowhere.invalid/stray.png"):
        b.assert_local()


# A notebook as JupyterLab's DOM shows it: two code cells, the kernel's execution indicator and the Run menu.
# Run All queues both cells, the first runs at once, the second after 300 ms, or never (stuck: the kernel
# goes idle with it queued), or with a traceback (fails).
LAB = """<!doctype html>
<div class="lm-TabBar-tab jp-mod-current"><div class="lm-TabBar-tabLabel">fake.ipynb</div></div>
<div role="menuitem">Run</div><div role="menuitem" id="all">Run All Cells</div>
<div class="jp-NotebookPanel"><div class="jp-Notebook-ExecutionIndicator" data-status="idle"></div>
<div class="jp-Notebook">
<div class="jp-Cell jp-CodeCell"><div class="jp-InputPrompt">[ ]:</div><div class="jp-OutputArea"></div></div>
<div class="jp-Cell jp-CodeCell"><div class="jp-InputPrompt">[ ]:</div><div class="jp-OutputArea"></div></div>
</div></div>
<script>
const [one, two] = document.querySelectorAll(".jp-CodeCell");
const status = document.querySelector("[data-status]");
const ran = (cell, n, mime, out) => {
  cell.querySelector(".jp-InputPrompt").textContent = `[${n}]:`;
  cell.querySelector(".jp-OutputArea").innerHTML =
    `<div class="jp-OutputArea-output" data-mime-type="${mime}">${out}</div>`; };
document.getElementById("all").onclick = () => {
  for (const cell of [one, two]) cell.querySelector(".jp-InputPrompt").textContent = "[*]:";
  status.dataset.status = "busy";
  ran(one, 1, "application/vnd.jupyter.stdout", "num docs: 3");
  setTimeout(() => { status.dataset.status = "idle";
    if (MODE == "fails") ran(two, 2, "application/vnd.jupyter.error", "Traceback: NameError");
    if (MODE == "runs") ran(two, 2, "application/vnd.jupyter.stdout", "sample  1: ann"); }, 300); };
</script>"""


def fake_lab(page, mode):
    page.set_content(LAB.replace("MODE", repr(mode)))
    browser.wait_for_cells(page, 2)
    return 2


@pytest.mark.chromium
def test_run_all_waits_for_the_last_cell_and_reads_the_outputs(tmp_path):
    if browser.missing():
        pytest.skip(browser.missing())
    with browser.Browser(timeout=10) as b:
        page, first, last = browser.run(b, lambda page: fake_lab(page, "runs"), "fake", tmp_path)
        assert 0 <= first <= last and last >= 0.3
        assert browser.outputs(page, 1) == [("application/vnd.jupyter.stdout", "sample  1: ann")]
        assert browser.text(page) == "num docs: 3\nsample  1: ann"
        browser.show_output(page, "ann")
        with pytest.raises(browser.CellFailed, match="fake.ipynb: a cell failed:\nTraceback: NameError"):
            browser.run(b, lambda page: fake_lab(page, "fails"), "fake", tmp_path)
    assert not list(tmp_path.iterdir()) and not b.foreign()


@pytest.mark.chromium
def test_a_run_left_queued_with_the_kernel_idle_runs_again_once_in_a_fresh_page(tmp_path, capsys):
    if browser.missing():
        pytest.skip(browser.missing())
    modes, cleaned = ["stuck", "runs"], []
    with browser.Browser(timeout=10) as b:
        started = time.monotonic()
        page, _, _ = browser.run(
            b,
            lambda page: fake_lab(page, modes.pop(0)),
            "fake",
            tmp_path,
            cleanup=lambda: cleaned.append(len(b.context.pages)),
            stuck=1,
        )
        assert time.monotonic() - started < 10 and browser.text(page).endswith("ann")
        assert cleaned == [0] and b.context.pages == [page]  # the stuck page closed before the cleanup
        assert "fake.ipynb: a cell stayed queued" in capsys.readouterr().out
        with pytest.raises(browser.NotDone, match="kernel idle for 1 s"):
            browser.run(b, lambda page: fake_lab(page, "stuck"), "again", tmp_path, stuck=1)
    shots = sorted(path.name for path in tmp_path.iterdir())
    assert shots == ["again-stuck-1.png", "again-stuck-2.png", "fake-stuck-1.png"]


# Outputs as JupyterLab's DOM shows them: a picture that loaded, one that never does, and a widget whose
# text box the "kernel" answers on Enter; two collapsed inputs above them.
PIXELS = "data:image/svg+xml," + '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20"/>'.replace(
    '"', "'"
)
OUTPUTS = f"""<!doctype html><div class="jp-NotebookPanel">
<div class="jp-Cell jp-CodeCell"><div class="jp-InputPlaceholder" onclick="this.remove()">…</div></div>
<div class="jp-Cell jp-CodeCell"><div class="jp-InputPlaceholder" onclick="this.remove()">…</div></div>
<div class="jp-Cell jp-CodeCell"><div class="jp-OutputArea-output"><img src="{PIXELS}"></div></div>
<div class="jp-Cell jp-CodeCell"><div class="jp-OutputArea-output"><img src="missing.png"></div></div>
<div class="jp-Cell jp-CodeCell"><div class="jp-OutputArea-output"><div class="jupyter-widgets">
<input type="text" value="ma" onkeydown="if (event.key == 'Enter') say.textContent = 'after ' + this.value">
<pre id="say">after ma</pre></div></div></div></div>"""


@pytest.mark.chromium
def test_pictures_and_widgets_are_read_from_the_outputs(tmp_path):
    cells = [
        {"cell_type": "markdown", "id": "t-00-picture-about", "source": []},
        {"cell_type": "code", "id": "t-01", "source": []},
        {"cell_type": "code", "id": "t-01-counts-picture", "source": []},
        {"cell_type": "code", "id": "t-03-widget", "source": []},
    ]
    nb_text = json.dumps({"cells": cells})
    assert browser.marked(nb_text, browser.PICTURE) == [(1, "t-01-counts-picture")]
    assert browser.marked(nb_text, browser.WIDGET) == [(2, "t-03-widget")]
    if browser.missing():
        pytest.skip(browser.missing())
    with browser.Browser(timeout=10) as b:
        page = b.page()
        page.set_content(OUTPUTS)
        browser.show_inputs(page)  # each click opens one: the second is first then
        assert page.locator(".jp-InputPlaceholder").count() == 0
        assert browser.images(page, 2) == [(30, 20)]
        assert browser.images(page, 3, timeout=0.5) == [(0, 0)]  # never loads: no size
        assert browser.images(page, 0) == [] and browser.widgets(page, 0) == 0
        assert browser.widgets(page, 4) == 1
        assert browser.poke(page, 4, "em") is True and browser.outputs(page, 4)[0][1].strip().endswith("em")
        assert browser.poke(page, 4, "em", timeout=0.5) is False  # the same again: nothing changes
        assert browser.poke(page, 2, "em") is None  # a picture has no text box
        shot = browser.shoot(page, 2, tmp_path / "shots" / "picture.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
