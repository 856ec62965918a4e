"""A feedback page of make grade-proof in headless Chromium: it works offline and reads well.

    .venv/bin/python -m tools.nbgrader.shot FEEDBACK_FOLDER PAGE PNG   # PAGE relative to FEEDBACK_FOLDER

Serves FEEDBACK_FOLDER (nbgrader's feedback/, which holds mathjax/) on 127.0.0.1, opens PAGE and
fails unless the math is typeset by the local MathJax, the setup cell is folded away, every check is
named after its exercise, no line runs off the page and nothing was asked of the network; then the
screenshots: the top of the page (PNG), and the first check lost (PNG with -check before .png).
Then the page alone, served from a folder without mathjax/ (as a student reads a page handed out):
its math must be typeset by the MathJax it then asks jsDelivr for, which is answered here from the
local copy, so that nothing leaves the machine.
Run by tools/nbgrader/course.py (whose venv has no playwright) with the repo's .venv.
"""

import json
import shutil
import sys
import tempfile
from pathlib import Path

from ..browser import driver
from ..project import command_line, run_main
from ..site.build import LOCK

FACTS = """() => ({
    math: document.querySelectorAll('mjx-container').length,
    setup: [...document.querySelectorAll('details.setup')].map(d => d.open),
    toc: [...document.querySelectorAll('#toc a')].map(a => a.textContent.trim()),
    wide: document.documentElement.scrollWidth > document.documentElement.clientWidth,
})"""
CDN = "https://cdn.jsdelivr.net/npm/mathjax@{version}/es5/"  # the template's fallback, for a page alone
TYPESET = "document.querySelectorAll('mjx-container').length > 0"


def cdn_from(mathjax):
    """A playwright route handler: the CDN's MathJax files answered from the local copy (its es5/)."""

    def answer(route):
        name = route.request.url.split("/es5/", 1)[1].split("?")[0]
        path = Path(mathjax) / name
        if path.is_file():
            route.fulfill(path=str(path))
        else:
            route.abort()

    return answer


def alone(browser, folder, page_name, version):
    """The number of formulas typeset on the page copied into a folder of its own (no mathjax/)."""
    with tempfile.TemporaryDirectory(prefix="feedback-alone-") as lonely:
        shutil.copy(Path(folder) / page_name, Path(lonely) / "page.html")
        server = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
        with driver.LocalServer(server, cwd=lonely) as http:
            page = browser.page()
            page.route(CDN.format(version=version) + "**", cdn_from(Path(folder) / "mathjax"))
            page.goto(f"{http.url}/page.html")
            try:
                page.wait_for_function(TYPESET, timeout=30_000)
            except driver.playwright_error(TimeoutError):
                return 0
            return page.evaluate(FACTS)["math"]


def main(argv=None):
    parser = command_line(__doc__, __file__)
    for name in ("folder", "page", "png"):
        parser.add_argument(name, nargs="?")
    args = parser.parse_args(argv)
    if not args.png:
        parser.error("give FEEDBACK_FOLDER, PAGE and PNG")
    if driver.missing():
        sys.exit(f"error: {driver.missing()}")
    server = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
    with driver.LocalServer(server, cwd=args.folder) as http, driver.Browser() as browser:
        page = browser.page()
        page.goto(f"{http.url}/{args.page}")
        page.wait_for_function(TYPESET, timeout=30_000)
        facts = page.evaluate(FACTS)
        browser.screenshot(page, args.png)
        lost = page.locator(".panel-danger")
        if lost.count():  # the first check lost, its ✗ line wrapped: a second picture
            lost.first.scroll_into_view_if_needed()
            browser.screenshot(page, args.png.replace(".png", "-check.png"))
        browser.assert_local()
        version = json.loads(LOCK.read_text(encoding="utf-8"))["mathjax"]["version"]
        typeset_alone = alone(browser, args.folder, args.page, version)
        cdn = CDN.format(version=version)
        asked = [url for url in browser.foreign() if not url.startswith(cdn)]
        assert not asked, f"a page alone asked the network for more than MathJax: {asked}"
    problems = [
        *(["the setup cells are not folded away"] if not facts["setup"] or any(facts["setup"]) else []),
        *(
            [f"a check is not named after its exercise: {facts['toc']}"]
            if not all(t.startswith("exercise ") for t in facts["toc"]) or not facts["toc"]
            else []
        ),
        *(["a line runs off the page"] if facts["wide"] else []),
        *([f"alone, {typeset_alone} of {facts['math']} formulas typeset"] * (typeset_alone != facts["math"])),
    ]
    if problems:
        sys.exit("error: feedback page: " + "; ".join(problems))
    print(
        f"{args.png}: {facts['math']} formulas typeset offline, {len(facts['setup'])} setup cells folded, "
        "checks: "
        + ", ".join(facts["toc"])
        + f"; alone, without mathjax/ beside it: the {typeset_alone} typeset by MathJax {version} from "
        "jsDelivr's address (answered from the local copy)"
    )
    return 0


if __name__ == "__main__":
    run_main(main)
