"""tools/browser/driver.py: the local server starts and stops for sure; the browser records (and blocks) every
request that is not to 127.0.0.1, and takes a screenshot. The browser tests skip, with the reason,
where playwright or Chromium is absent (make test needs neither; make lab-proof installs playwright)."""

import sys

import pytest

from stepkit import ROOT

from tools.browser import driver as browser

PAGE = """<!doctype html><title>local</title><h1 id="hi">hello</h1>
<img src="pixel.svg"><img src="http://nowhere.invalid/stray.png"><script>fetch("http://nowhere.invalid/api")</script>"""


def serve(folder):
    return browser.LocalServer([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "{port}"], cwd=folder)


@pytest.mark.parametrize("url, local", [("http://127.0.0.1:8888/lab", True), ("ws://localhost:1/api", True),
                                        ("http://[::1]:80/", True), ("data:image/png;base64,AA", True),
                                        ("https://cdn.example.org/pyodide.js", False), ("http://10.0.0.1/", False),
                                        ("http://127.0.0.1.example.org/", False)])
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
    dying = browser.LocalServer([sys.executable, "-c", "import sys; print('bad config'); sys.exit(3)"], timeout=10,
                                log=tmp_path / "server.log")
    with pytest.raises(RuntimeError, match=r"exited with status 3(.|\n)*bad config"):
        dying.start()


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
