"""A feedback page of make grade-proof in headless Chromium: it works offline and reads well.

    .venv/bin/python -m tools.nbgrader.shot FEEDBACK_FOLDER PAGE PNG   # PAGE relative to FEEDBACK_FOLDER

Serves FEEDBACK_FOLDER (nbgrader's feedback/, which holds mathjax/) on 127.0.0.1, opens PAGE and
fails unless the math is typeset by the local MathJax, the setup cell is folded away, every check is
named after its exercise, no line runs off the page and nothing was asked of the network; then the
screenshots: the top of the page (PNG), and the first check lost (PNG with -check before .png).
Run by tools/nbgrader/course.py (whose venv has no playwright) with the repo's .venv.
"""

import sys

from ..browser import driver
from ..project import command_line, run_main

FACTS = """() => ({
    math: document.querySelectorAll('mjx-container').length,
    setup: [...document.querySelectorAll('details.setup')].map(d => d.open),
    toc: [...document.querySelectorAll('#toc a')].map(a => a.textContent.trim()),
    wide: document.documentElement.scrollWidth > document.documentElement.clientWidth,
})"""


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
        page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=30_000)
        facts = page.evaluate(FACTS)
        browser.screenshot(page, args.png)
        lost = page.locator(".panel-danger")
        if lost.count():  # the first check lost, its ✗ line wrapped: a second picture
            lost.first.scroll_into_view_if_needed()
            browser.screenshot(page, args.png.replace(".png", "-check.png"))
        browser.assert_local()
    problems = [
        *(["the setup cells are not folded away"] if not facts["setup"] or any(facts["setup"]) else []),
        *(
            [f"a check is not named after its exercise: {facts['toc']}"]
            if not all(t.startswith("exercise ") for t in facts["toc"]) or not facts["toc"]
            else []
        ),
        *(["a line runs off the page"] if facts["wide"] else []),
    ]
    if problems:
        sys.exit("error: feedback page: " + "; ".join(problems))
    print(
        f"{args.png}: {facts['math']} formulas typeset offline, {len(facts['setup'])} setup cells folded, "
        "checks: " + ", ".join(facts["toc"])
    )
    return 0


if __name__ == "__main__":
    run_main(main)
