"""Open the built site in headless Chromium: screenshots, and a check of what the browser rendered.

    python -m tools.browser.site                   # make docs-proof: build/site/index.html and step3.html
    python -m tools.browser.site --site DIR --pages index.html,step5.html --shots DIR

For each page: a PNG screenshot (1200×1600) and the DOM as Chromium built it (--dump-dom), which
must hold the ladder table and the loss-curve image (index) or the side-by-side diff and the
notebook (a step page). Chromium runs with a throw-away profile, no network chatter, no GPU.
Exit status 0: all good, or skipped because there is no Chromium here (it says so); 1: a check failed.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ..project import ROOT, SITE, command_line, run_main
from .driver import BROWSERS, INSTALL_HINT, chromium_path  # the one definition of where Chromium is

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars", "--window-size=1200,1600"]
CHECKS = {  # what the rendered DOM of each kind of page must contain
    "index": ['<table class="ladder"', '<img src="loss_curves.svg"', "train5</a>"],
    "step": ['id="diff"', 'id="notebook"', "jp-Cell", 'href="index.html"'],
    "step with a step before it": ['<table class="sbs"', 'rel="prev"'],
}


def chromium(exe, profile, *args, timeout=120):
    return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=timeout)


def check_page(exe, page, shot):
    """Screenshot one page and check its DOM (one Chromium run); return the problems (empty when all is well)."""
    shot.unlink(missing_ok=True)  # a stale screenshot must not pass for a new one
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        result = chromium(exe, profile, f"--screenshot={shot}", "--dump-dom", page.resolve().as_uri())
    if result.returncode or not shot.is_file() or shot.stat().st_size < 10_000:
        return [f"{page.name}: no screenshot (exit {result.returncode}): {result.stderr.strip()[-500:]}"]
    kinds = ["index"] if page.name == "index.html" else ["step"]
    m = re.fullmatch(r"step(\d+)\.html", page.name)
    if m and any(int(k) < int(m.group(1)) for k in re.findall(r"step(\d+)\.html", " ".join(os.listdir(page.parent)))):
        kinds.append("step with a step before it")
    return [f"{page.name}: the rendered DOM has no {needle!r}" for kind in kinds for needle in CHECKS[kind]
            if needle not in result.stdout]


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument("--site", default=str(SITE), help="the built site (default build/site)")
    parser.add_argument("--pages", default="index.html,step3.html", help="comma-separated pages to open")
    parser.add_argument("--shots", help="where to write the PNGs (default SITE/screenshots)")
    args = parser.parse_args(argv)
    exe = chromium_path()
    if not exe:
        print("skipped: no Chromium found (looked for " + ", ".join(BROWSERS) + "): " + INSTALL_HINT, file=sys.stderr)
        return 0
    site = Path(args.site)
    if not (site / "index.html").is_file():
        print(f"error: {site}/index.html is missing: run `make docs` first", file=sys.stderr)
        return 1
    shots = Path(args.shots or site / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    problems = []
    for name in args.pages.split(","):
        shot = shots / (Path(name).stem + ".png")
        found = check_page(exe, site / name, shot)
        problems += found
        print(f"{name}: {'FAILED' if found else 'ok'} — screenshot {shot}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    run_main(main)
