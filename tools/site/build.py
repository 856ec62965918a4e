"""Build the course site with Sphinx: build/site/ (make docs), every lesson a page, JupyterLite beside it.

    .venv-site/bin/python -m tools.site.build                  # make docs: build/site/
    .venv-site/bin/python -m tools.site.build --verify         # build again into a temp folder: same bytes?
    .venv-site/bin/python -m tools.site.build --no-lite --notebook-steps 3 --out DIR   # a tiny build (tests)

Sphinx with myst-nb and sphinx-book-theme, pinned in tools/site/requirements.txt (.venv-site). This file
only stages the sources into a temp folder and runs sphinx-build there: docs/ (pages, conf.py, _static),
docs/results/, the lesson notebooks as steps/trainN.ipynb (with data/names.txt and tools/dataset.py
beside them, as in the repo, so that they run), README.md (pages include parts of it, its links pointed
at the site's pages), the sources as files in src/, MathJax from npm (tools/site/lock.json) in _static.
The lessons run at build time in quick mode (NUM_STEPS=20, the kernel inherits the environment).
JupyterLite is jupyterlite-sphinx's build, fed tools/lite/build.py's offline Pyodide and lock; the
pages link into it (tools/site/ext.py has what the site adds to Sphinx). Times are SOURCE_DATE_EPOCH
(the last commit's): two builds give the same bytes, which --verify proves.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..lite import build as lite
from ..project import QUICK as PRESETS
from ..project import ROOT, SITE, TOOLS, command_line, positive_int, run_main, step_numbers, without_knobs

DOCS = ROOT / "docs"
LOCK = TOOLS / "site" / "lock.json"  # MathJax's npm pin
NOTEBOOK_STEPS = 20  # NUM_STEPS of the lessons' runs shown on their pages
QUICK = PRESETS["site"]  # the lessons run as tests/steptests.py runs them
MATHJAX = ("es5/tex-chtml.js", "es5/output/chtml/fonts/woff-v2/", "es5/input/tex/extensions/")
# README's links, as the site has them: its pages, else the file itself (a download).
PAGES = {
    "docs/exercises.md": "teachers.md#exercises-a-guide-for-teachers",
    "docs/speed.md": "speed.md",
    "docs/results/ladder.md": "ladder.md",
    "docs/results/bench.md": "results/bench.md",
    "#without-make-windows": "windows.md",
    "#the-ladder-what-each-idea-buys": "ladder.md",
    "#reading-the-diffs": "start.md#reading-a-diff",
}


class SiteError(Exception):
    """What the build cannot go on without; the message says what and what to do."""


def progress(message):
    print(message, file=sys.stderr, flush=True)


def relink(text, stage):
    """README.md's links pointed at the site: a page of it, a lesson, or the file (copied to _files/)."""

    def one(m):
        label, target = m.group(1), m.group(2)
        if re.match(r"[a-z]+:", target):
            return m.group(0)
        if target in PAGES:
            return f"[{label}]({PAGES[target]})"
        step = re.fullmatch(r"steps/train(\d+)\.py", target)
        if step:
            return f"[{label}](steps/train{step.group(1)}.ipynb)"
        path = target.split("#")[0]
        if not (ROOT / path).is_file():
            raise SiteError(f"README.md links to {target}, which is not in the repo")
        (stage / "_files" / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, stage / "_files" / path)
        return f"{{download}}`{label.strip('`')} <_files/{path}>`"

    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", one, text)


def mathjax(folder):
    """MathJax's browser build and its fonts from the npm package pinned in tools/site/lock.json."""
    import tarfile

    pin = json.loads(LOCK.read_text(encoding="utf-8"))["mathjax"]
    with tarfile.open(lite.fetch_pyodide(pin)) as tar:  # npm pack, cached, checked against the pin
        for member in tar.getmembers():
            name = member.name.removeprefix("package/")
            if member.isfile() and name.startswith(MATHJAX):
                target = folder / name.removeprefix("es5/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())


def stage_sources(src):
    """Everything sphinx-build reads, in src (see the module doc)."""
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    readme = relink((ROOT / "README.md").read_text(encoding="utf-8"), src)
    (src / "README.md").write_text(readme, encoding="utf-8")
    for n in step_numbers():
        for source, target in (
            (f"notebooks/train{n}.ipynb", f"steps/train{n}.ipynb"),
            (f"steps/train{n}.py", f"_extra/src/train{n}.py"),
            (f"notebooks/train{n}.ipynb", f"_extra/src/train{n}.ipynb"),
            (f"notebooks/exercises/train{n}.ipynb", f"_extra/src/exercises/train{n}.ipynb"),
        ):
            (src / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / source, src / target)
    # what a lesson finds beside notebooks/ in the repo: the dataset and the learner's tools (its plumbing)
    for needed in ("data/names.txt", *(p.relative_to(ROOT).as_posix() for p in sorted(TOOLS.glob("*.py")))):
        if not (ROOT / needed).is_file():
            hint = ": run `make data` first" if needed.startswith("data") else ""
            raise SiteError(f"{needed} is missing{hint}")
        (src / needed).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / needed, src / needed)
    mathjax(src / "_static" / "mathjax")


def stage_lite(folder, epoch):
    """jupyterlite-sphinx's lite dir and contents: tools/lite/build.py's offline Pyodide, wheels and files."""
    lock = lite.load_lock()
    version = lite.kernel_pyodide_version()
    if lock["pyodide"]["version"] != version:
        raise SiteError(
            f"jupyterlite-pyodide-kernel expects Pyodide {version}, tools/lite/lock.json pins "
            f"{lock['pyodide']['version']}: run `make lite-lock`"
        )
    paths = lite.fetch_wheels(lock["wheels"])
    lite_dir = folder / "config"
    pyodide = lite.fetch_pyodide(lock["pyodide"])
    lite.stage_pyodide(pyodide, lock["wheels"], paths, lite_dir / "static" / "pyodide", epoch)
    (lite_dir / "jupyter-lite.json").write_text(lite.lite_config(lock), encoding="utf-8")  # with its preloads
    (lite_dir / "jupyter_lite_config.json").write_text('{"LiteBuildConfig": {"no_sourcemaps": true}}\n')
    (lite_dir / "pypi").mkdir()
    for w in lock["wheels"]:
        if w["into"] == "piplite":
            shutil.copy(paths[w["file"]], lite_dir / "pypi" / w["file"])
    lite.touch_tree(lite_dir / "pypi", epoch)  # piplite's index takes a wheel's upload time from its mtime
    lite.stage_contents(folder / "files", epoch)
    return lite_dir, folder / "files"


def build(out=SITE, notebook_steps=NOTEBOOK_STEPS, with_lite=True):
    """A clean build into `out` (replaced whole); return the seconds it took."""
    started = time.perf_counter()
    out = Path(out)
    try:
        import myst_nb  # noqa: F401
    except ModuleNotFoundError:
        raise SiteError(
            "tools/site/build.py runs in .venv-site (tools/site/requirements.txt): `make docs` "
            "builds it, then `.venv-site/bin/python -m tools.site.build`"
        ) from None
    epoch = lite.source_date_epoch()
    env = without_knobs(os.environ)
    env.update(
        NUM_STEPS=str(notebook_steps),
        SOURCE_DATE_EPOCH=str(epoch),
        PYTHONHASHSEED="0",
        PYTHONPATH=str(ROOT),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    env.pop("SITE_LITE_DIR", None)
    with tempfile.TemporaryDirectory(prefix="site-") as tmp:
        tmp = Path(tmp)
        stage_sources(tmp / "src")
        if with_lite:
            # not under a folder named lite: JupyterLite leaves out contents whose path has its output's name
            lite_dir, files = stage_lite(tmp / "jupyterlite", epoch)
            env.update(SITE_LITE_DIR=str(lite_dir), SITE_LITE_FILES=str(files))
        then = ", then JupyterLite" if with_lite else ""
        progress(f"sphinx-build (the lessons run with NUM_STEPS={notebook_steps}{then}) …")
        command = [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-E",
            "-W",
            "--keep-going",
            "-q",
            "-j",
            "2",
            "-d",
            str(tmp / "doctrees"),
            str(tmp / "src"),
            str(tmp / "out"),
        ]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode:
            tail = (result.stderr or result.stdout)[-4000:]
            raise SiteError(f"sphinx-build failed (exit {result.returncode}):\n{tail}")
        for junk in (tmp / "out" / ".buildinfo", tmp / "out" / ".doctrees"):
            shutil.rmtree(junk) if junk.is_dir() else junk.unlink(missing_ok=True)
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(tmp / "out", out)
    return time.perf_counter() - started


def verify(out=SITE, with_lite=True):
    """Build again into a temp folder and compare every file with `out`; return the files that differ."""
    if not (Path(out) / "index.html").is_file():
        raise SiteError(f"{out} has no site: run `make docs` first")
    with tempfile.TemporaryDirectory(prefix="site-again-") as tmp:
        build(Path(tmp) / "site", with_lite=with_lite)
        first, second = lite.digests(out), lite.digests(Path(tmp) / "site")
    return sorted(name for name in first.keys() | second.keys() if first.get(name) != second.get(name))


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument("--out", default=str(SITE), help="where to write the site (default build/site)")
    parser.add_argument(
        "--notebook-steps",
        type=positive_int,
        default=NOTEBOOK_STEPS,
        help=f"NUM_STEPS of the lessons' runs (default {NOTEBOOK_STEPS})",
    )
    parser.add_argument("--no-lite", action="store_true", help="leave JupyterLite out (a tiny build)")
    parser.add_argument(
        "--verify", action="store_true", help="build again into a temp folder and compare every file"
    )
    args = parser.parse_args(argv)
    try:
        if args.verify:
            differ = verify(args.out, not args.no_lite)
            if differ:
                print(
                    f"error: a second build differs in {len(differ)} file(s): " + ", ".join(differ[:10]),
                    file=sys.stderr,
                )
                return 1
            count = len(lite.digests(args.out))
            print(f"reproducible: a second build gave the same {count} files, byte for byte")
            return 0
        seconds = build(args.out, args.notebook_steps, not args.no_lite)
    except (SiteError, lite.LiteError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    files, total = lite.size(args.out)
    print(
        f"built {os.path.relpath(args.out)} in {seconds:.0f} s: {files} files, {total / 1e6:.1f} MB; "
        f"serve it with `python3 -m http.server -d {os.path.relpath(args.out)}`"
    )
    return 0


if __name__ == "__main__":
    run_main(main)
