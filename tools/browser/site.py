"""Open the built course site in headless Chromium, as a reader would, and keep screenshots.

    .venv/bin/python -m tools.browser.site              # make docs-proof: the site in build/site/
    .venv/bin/python -m tools.browser.site --site DIR --shots DIR --lesson 0

It serves the site with `python -m http.server` on 127.0.0.1 (what the README says to do), then:
- follows every link of every page, from index.html on: each page must load, each file it links
  to must be there, each #anchor must be an id on its page (JupyterLite's own pages are not crawled);
- the math is typeset (MathJax, served by the site) and a search finds the lesson on attention;
- on one lesson's page clicks "Run in your browser", runs the notebook in JupyterLite (Run All
  Cells) and waits for its samples, which must be the names `python3 steps/trainN.py` prints;
- no request may leave 127.0.0.1 (the browser has nowhere else to go: tools/browser/driver.py), and
  no page may throw a JavaScript error.
Screenshots, desktop (1400 px) and phone (390 px) wide, go to build/site-proof/.
Needs .venv with playwright (make browser-deps) and Debian's chromium.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from ..project import BUILD, ROOT, SITE, command_line, run_main, step_path, without_knobs
from . import driver as browser

SHOTS = BUILD / "site-proof"
PHONE = (390, 844)
SEARCH = "attention"  # a search for it must find step 3's page
LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => a.href)"""
IDS = """() => [...document.querySelectorAll('[id]')].map(e => e.id)"""
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
OUTPUTS = f"() => [...document.querySelectorAll('{NOTEBOOK} .jp-OutputArea-output')].map(e => e.textContent)"
ERROR = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
HITS = "() => [...document.querySelectorAll('#search-results ul.search li a')].map(a => a.href)"
SAMPLE = re.compile(r"^sample +\d+: .*$", re.M)
RUN_TIMEOUT = 600


class ProofFailed(Exception):
    pass


def crawl(page, root):
    """Every page reachable from index.html by links, each link checked; return the pages seen."""
    pages, todo, ids, anchors, files = [], [root + "/index.html"], {}, [], set()
    while todo:
        url = todo.pop(0)
        if url in ids:
            continue
        response = page.goto(url)
        if not response or response.status != 200:
            raise ProofFailed(f"{url}: status {response and response.status}")
        ids[url] = set(page.evaluate(IDS))
        pages.append(url)
        for link in page.evaluate(LINKS):
            target, fragment = urldefrag(link)
            if not target.startswith(root + "/"):
                continue  # other sites' links never load here: assert_local() sees any that did
            path = urlsplit(target).path
            if "/lite/" in path:  # JupyterLite: its pages load, the lesson run proves it
                files.add(target.split("?")[0])
            elif path.endswith(".html") or path.endswith("/"):
                todo.append(target)
                if fragment:
                    anchors.append((url, target, fragment))
            else:
                files.add(target)
    for target in sorted(files):
        response = page.request.get(target)
        if response.status != 200:
            raise ProofFailed(f"a link points at {target}: status {response.status}")
    broken = [
        f"{url}: #{fragment} is no id on {target}"
        for url, target, fragment in anchors
        if fragment not in ids.get(target, set())
    ]
    if broken:
        raise ProofFailed("broken anchors:\n  " + "\n  ".join(broken[:20]))
    return pages, len(files), len(anchors)


def native_samples(n):
    env = without_knobs(os.environ)
    out = subprocess.run(
        [sys.executable, str(step_path(n))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=True,
    ).stdout
    return SAMPLE.findall(out)


def run_lesson(page, b, root, n, shots):
    """From the lesson's page, "Run in your browser", Run All Cells; return the samples it printed."""
    page.goto(f"{root}/steps/train{n}.html")
    page.locator("#run-in-browser").click()  # the lab opens in the same tab
    page.wait_for_function(
        f"() => document.querySelectorAll('{NOTEBOOK} .jp-Cell').length > 3", timeout=180_000
    )
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    started = time.monotonic()
    while True:
        text = "\n".join(page.evaluate(OUTPUTS))
        if page.locator(f"{NOTEBOOK} {ERROR}").count():
            raise ProofFailed(f"train{n} failed in JupyterLite:\n{text[-2000:]}")
        samples = SAMPLE.findall(text)
        if len(samples) >= 20:
            break
        if time.monotonic() - started > RUN_TIMEOUT:
            raise ProofFailed(
                f"train{n}: no samples after {RUN_TIMEOUT} s in JupyterLite; outputs end:\n{text[-1000:]}"
            )
        time.sleep(1)
    page.locator(f"{NOTEBOOK} .jp-OutputArea-output", has_text="sample").last.scroll_into_view_if_needed()
    b.screenshot(page, shots / f"lite-train{n}.png")
    return samples, time.monotonic() - started


def proof(site, shots, lesson):
    site = browser.begin(site, shots, ProofFailed, "make docs")
    server_cmd = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
    with (
        browser.LocalServer(server_cmd, cwd=site) as server,
        browser.Browser(viewport=(1400, 1000), timeout=120) as b,
    ):
        root = server.url
        page = b.page()
        pages, files, anchors = crawl(page, root)
        print(f"✓ {len(pages)} pages, every link followed: {files} files and {anchors} anchors there")
        for name in ("index", "start", "steps/train3", "ladder", "teachers"):
            page.goto(f"{root}/{name}.html")
            b.screenshot(page, shots / f"{name.replace('/', '-')}.png")
        page.goto(f"{root}/steps/train3.html")
        page.locator("table.diff").first.scroll_into_view_if_needed()
        b.screenshot(page, shots / "steps-train3-diff.png")
        page.goto(f"{root}/speed.html")
        page.wait_for_selector("mjx-container", timeout=60_000)
        formulas = page.locator("mjx-container").count()
        print(f"✓ math typeset by the site's own MathJax ({formulas} formulas on speed.html)")
        page.goto(f"{root}/search.html?q={SEARCH}")
        page.wait_for_selector("#search-results ul.search li a", timeout=60_000)
        hits = page.evaluate(HITS)
        if not any("steps/train3.html" in h for h in hits):
            raise ProofFailed(f"search for {SEARCH!r}: step 3 is not among {hits}")
        b.screenshot(page, shots / "search.png")
        print(f"✓ search for {SEARCH!r}: {len(hits)} results, step 3's page among them")
        phone = b.context.new_page()
        phone.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
        for name in ("index", "steps/train3"):
            phone.goto(f"{root}/{name}.html")
            b.screenshot(phone, shots / f"phone-{name.replace('/', '-')}.png")
        phone.close()
        samples, seconds = run_lesson(page, b, root, lesson, shots)
        expected = native_samples(lesson)
        if samples[: len(expected)] != expected:
            raise ProofFailed(
                f"train{lesson} in JupyterLite printed {samples[:3]}…, natively {expected[:3]}…"
            )
        print(
            f'✓ train{lesson}: "Run in your browser" ran it in JupyterLite in {seconds:.0f} s, '
            f"its {len(expected)} samples those of native Python"
        )
        b.assert_local()
        if b.errors:
            raise ProofFailed("uncaught JavaScript errors: " + "; ".join(b.errors[:5]))
        print(f"✓ {len(b.requests)} requests, every one to 127.0.0.1")
    names = ", ".join(sorted(p.name for p in shots.glob("*.png")))
    print(f"screenshots in {os.path.relpath(shots)}: {names}")


def main(argv=None):
    lesson = ("--lesson", 0, "the lesson run in JupyterLite, at full length")
    args = browser.options(command_line(__doc__, __file__), SITE, SHOTS, lesson).parse_args(argv)
    failed = (
        ProofFailed,
        AssertionError,
        browser.playwright_error(ProofFailed),
        subprocess.CalledProcessError,
    )
    try:
        proof(args.site, Path(args.shots), args.lesson)
    except failed as error:
        return f"error: {error}"  # run_main: on stderr, exit status 1
    return 0


if __name__ == "__main__":
    run_main(main)
