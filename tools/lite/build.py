"""Build the course as a JupyterLite site: every notebook runs in the browser, nothing to install.

    .venv-lite/bin/python -m tools.lite.build            # make lite: the site in build/site/lite/
    .venv-lite/bin/python -m tools.lite.build --start notebooks/exercises/train3.ipynb   # where students
    start
    .venv-lite/bin/python -m tools.lite.build --verify   # build again into a temp folder: every file must be
    the same
    .venv-lite/bin/python -m tools.lite.build --lock     # maintainers: re-pin tools/lite/lock.json from the
    registries

The site is JupyterLite (jupyterlite-core and jupyterlite-pyodide-kernel, pinned in
tools/lite/requirements.txt, run from .venv-lite) with the lesson notebooks, the student notebooks
(which carry their checkers) and data/names.txt as its files. Python itself is Pyodide, served from the site's
static/pyodide/: the npm package `pyodide` (the version the kernel expects) holds the runtime, and
the pure wheels the kernel installs when it starts (micropip, ipython, jedi and what they need)
come from PyPI; the trimmed pyodide-lock.json names only those, with their PyPI sha256. `comm`,
which the kernel needs and Pyodide does not ship, is served as a piplite wheel. The kernel never
falls back to PyPI (disablePyPIFallback), so the page fetches nothing from anywhere but the site.

The notebooks' widgets (ipywidgets) work: its pure wheel is added to the served lock and loaded when the
kernel starts, and jupyterlab_widgets (in .venv-lite) puts its widget manager in the site. Their pictures
need matplotlib, numpy, pillow and the rest built for Pyodide: `--lock` pins them from PyPI when PyPI has
every one for this Pyodide, else none, and tools/lite/lock.json names what PyPI lacked ("not_on_pypi");
without them a picture cell prints one line and the rest of the notebook runs.

Every download goes through npm or pip and is checked against tools/lite/lock.json (npm integrity, sha256)
before it is used; downloads are cached in build/cache/lite/. The build is clean every time (a rebuild over
an old output can lose pyodideUrl), in a temp folder moved into place at the end, with every file time
set to the last commit's time, so that building twice gives the same bytes (`verify` proves it).
"""

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from .. import diff
from ..project import BUILD, ROOT, SITE, TOOLS, command_line, run_main, step_numbers

LITE = TOOLS / "lite"  # the site's sources: jupyter-lite.json and the lock
LOCK = LITE / "lock.json"
CACHE = BUILD / "cache" / "lite"
OUT = SITE / "lite"
CHECK_OUT = BUILD / "lite-check"  # make lite-proof's screenshots and figures
START = "notebooks/train0.ipynb"
# Pyodide's own files that the kernel loads (the npm package also has type stubs, source maps, consoles).
PYODIDE_CORE = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
PYODIDE_LOCK = "pyodide-lock.json"
# What the kernel installs from Pyodide's lock when it starts (its worker: micropip, then piplite installs
# ipykernel, comm, pyodide-kernel, jedi and ipython; ipykernel and pyodide-kernel come with the kernel).
LOCK_ROOTS = ("micropip", "ipython", "jedi")
PIPLITE_EXTRAS = ("comm",)  # needed by pyodide-kernel, not in Pyodide's lock: served as piplite wheels
# What the notebooks' pictures need. Pyodide builds matplotlib and its compiled dependencies, but its npm
# package holds only the core: the lock pins them from PyPI when PyPI has Pyodide's wheel of every one,
# else none of them (and names the missing in "not_on_pypi"): a picture cell then prints one line.
PICTURE_ROOTS = ("matplotlib",)
# Pure wheels Pyodide's lock lacks that the site adds to it, with what they need from it, loaded when the
# kernel starts (loadPyodideOptions.packages) so that a module's import finds them, not only a cell's.
# ipywidgets' JupyterLab side is jupyterlab_widgets, in tools/lite/requirements.txt; comm and ipython
# it needs too, and the kernel installs both before the first cell.
PRELOAD = {"ipywidgets": ("traitlets",)}
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"  # jupyterlab_widgets' labextension
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"
# The site's files: (source in the repo, path on the site). Notebooks run in /drive/notebooks, so the
# steps find ../data/names.txt, as in the repo.
CONTENTS = (("notebooks", "notebooks"), ("data/names.txt", "data/names.txt"))
# A class's build (--class): the student notebooks only, for a teacher who grades: the lessons hold every
# solution. Its own folder, so that it is never mistaken for the whole course.
CLASS_CONTENTS = (("notebooks/exercises", "notebooks/exercises"), ("data/names.txt", "data/names.txt"))
CLASS_OUT, CLASS_START = SITE / "lite-class", "notebooks/exercises/train0.ipynb"


class LiteError(Exception):
    """Something the build cannot go on without; the message says what and what to do."""


def progress(message):
    print(message, file=sys.stderr, flush=True)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def npm_integrity(path):
    return "sha512-" + base64.b64encode(hashlib.sha512(Path(path).read_bytes()).digest()).decode("ascii")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode:
        tail = (result.stderr or result.stdout).strip().splitlines()[-15:]
        raise LiteError(
            f"{' '.join(map(str, command))} failed (exit {result.returncode}):\n  " + "\n  ".join(tail)
        )
    return result.stdout


def load_lock():
    if not LOCK.is_file():
        raise LiteError(f"{LOCK.relative_to(ROOT)} is missing: run `make lite-lock` (needs the registries)")
    return json.loads(LOCK.read_text(encoding="utf-8"))


def kernel_pyodide_version():
    """The Pyodide version the installed jupyterlite-pyodide-kernel was built for."""
    try:
        from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION
    except ModuleNotFoundError:
        raise LiteError(
            "tools/lite/build.py runs in .venv-lite (tools/lite/requirements.txt): `make lite` builds it, "
            "then "
            "`.venv-lite/bin/python -m tools.lite.build`"
        ) from None
    return PYODIDE_VERSION


# --- downloads: npm and pip only, checked against the lock ----------------------------------------


def fetch_pyodide(pin):
    """The npm tarball of Pyodide, from the cache or `npm pack`, checked against the pinned integrity."""
    spec = f"{pin['package']}@{pin['version']}"
    tarball = CACHE / f"{pin['package']}-{pin['version']}.tgz"
    if not tarball.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        progress(f"npm pack {spec} …")
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            run(["npm", "pack", spec, "--silent", "--pack-destination", tmp])
            shutil.move(next(Path(tmp).glob("*.tgz")), tarball)
    if npm_integrity(tarball) != pin["integrity"]:
        tarball.unlink()
        raise LiteError(
            f"{spec}: the tarball's integrity is not the one pinned in tools/lite/lock.json (removed it; "
            "run the build again, or `make lite-lock` if the pin is what changed)"
        )
    return tarball


def fetch_wheels(wheels):
    """Every pinned wheel, from the cache or `pip download` (hash-checked by pip and again here)."""
    folder = CACHE / "wheels"
    missing = [w for w in wheels if not (folder / w["file"]).is_file()]
    for tags in sorted({wheel_tags(w["file"]) for w in missing}):  # one pip per platform
        folder.mkdir(parents=True, exist_ok=True)
        group = [w for w in missing if wheel_tags(w["file"]) == tags]
        progress(f"pip download {len(group)} wheel(s) …")
        with tempfile.NamedTemporaryFile("w", suffix=".txt", dir=CACHE, delete=False) as req:
            for w in group:
                req.write(f"{w['name']}=={w['version']} --hash=sha256:{w['sha256']}\n")
        try:
            pip_download(["--require-hashes", "-r", req.name], folder, tags)
        finally:
            os.unlink(req.name)
    for w in wheels:
        path = folder / w["file"]
        if not path.is_file():
            raise LiteError(f"pip did not save {w['file']} (is the file name in tools/lite/lock.json right?)")
        if sha256(path) != w["sha256"]:
            path.unlink()
            raise LiteError(
                f"{w['file']}: sha256 differs from tools/lite/lock.json (removed it; run the build again)"
            )
    return {w["file"]: folder / w["file"] for w in wheels}


def wheel_tags(file):
    """(abi, platform) of a wheel's file name: ("none", "any") for a pure one."""
    return tuple(file.removesuffix(".whl").split("-")[-2:])


def pip_download(args, folder, tags=("none", "any")):
    """Wheels for Pyodide's Python, no dependencies (the lock names each one): pure ones, or with `tags`
    (abi, platform) Pyodide's builds, e.g. ("cp314", "pyemscripten_2026_0_wasm32")."""
    abi, platform = tags
    # a pure wheel's platform is "any": else pip takes a compiled wheel for this machine, where one exists
    tags = ["--platform", platform] + ([] if platform == "any" else ["--implementation", "cp", "--abi", abi])
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.14",
            *tags,
            "--dest",
            str(folder),
            *args,
        ]
    )


# --- the lock ------------------------------------------------------------------------------------


def lock_closure(packages, roots):
    """The names in Pyodide's lock that `roots` need, in sorted order."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        key = normalize(name)
        if key in seen:
            continue
        if key not in packages:
            raise LiteError(f"{name} is not in Pyodide's {PYODIDE_LOCK}")
        seen.add(key)
        todo += packages[key]["depends"]
    return sorted(seen)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pyodide_lock(tarball):
    with tarfile.open(tarball) as tar:
        return json.load(tar.extractfile(f"package/{PYODIDE_LOCK}"))


def write_lock():
    """Re-pin tools/lite/lock.json: Pyodide as the installed kernel expects it, and the wheels it needs from
    PyPI (the pictures' only when PyPI has Pyodide's build of every one)."""
    version = kernel_pyodide_version()
    integrity = run(["npm", "view", f"pyodide@{version}", "dist.integrity"]).strip()
    pin = {"package": "pyodide", "version": version, "integrity": integrity}
    packages = pyodide_lock(fetch_pyodide(pin))["packages"]
    old = (
        {w["name"]: w for w in json.loads(LOCK.read_text(encoding="utf-8"))["wheels"]}
        if LOCK.is_file()
        else {}
    )
    kernel = lock_closure(packages, LOCK_ROOTS)
    pictures = [k for k in lock_closure(packages, PICTURE_ROOTS) if k not in kernel]
    extras = [(name, "piplite") for name in PIPLITE_EXTRAS] + [(name, "preload") for name in PRELOAD]
    with tempfile.TemporaryDirectory() as tmp:
        wheels = [pin_wheel(packages[k], "pyodide", Path(tmp)) for k in kernel]
        found = {k: pin_wheel(packages[k], "pyodide", Path(tmp), missing_ok=True) for k in pictures}
        missing = sorted(packages[k]["name"] for k, w in found.items() if w is None)
        wheels += [] if missing else list(found.values())
        for name, into in extras:
            wheels.append(
                pin_wheel({"name": name, "version": old.get(name, {}).get("version")}, into, Path(tmp))
            )
    lock = {"pyodide": pin, "wheels": wheels}
    if missing:
        lock["not_on_pypi"] = missing
    LOCK.write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)}: pyodide {pin['version']}, {len(wheels)} wheels")
    if missing:
        print(
            f"without matplotlib: PyPI has no Pyodide {version} wheel of {', '.join(missing)} "
            "(the site's picture cells print one line)"
        )


def pin_wheel(package, into, folder, missing_ok=False):
    """The lock's entry for one wheel, downloaded from PyPI into `folder`: Pyodide's package (its lock's
    entry: that file, that version) or a pure wheel (a version given, or the newest). None when PyPI
    lacks Pyodide's file and `missing_ok`."""
    name, version, file = package["name"], package.get("version"), package.get("file_name")
    before = set(os.listdir(folder))
    try:
        pip_download([f"{name}=={version}" if version else name], folder, wheel_tags(file or "-none-any.whl"))
    except LiteError:
        if missing_ok:
            return None
        raise
    (got,) = set(os.listdir(folder)) - before
    if file and got != file:
        raise LiteError(f"PyPI's wheel {got} is not the {file} that Pyodide's lock names")
    version = version or got.split("-")[1]
    return {"name": name, "version": version, "file": got, "sha256": sha256(folder / got), "into": into}


# --- the build -----------------------------------------------------------------------------------


def source_date_epoch():
    """Every file's time on the site: the last commit's, so that a build depends on the commit only."""
    try:
        return int(run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"]).strip())
    except (LiteError, ValueError, OSError):
        return 315532800  # 1980-01-01, the earliest time a zip file can hold: not a git checkout


def stage_pyodide(tarball, wheels, paths, folder, epoch):
    """static/pyodide/: Pyodide's core files, the wheels, and its lock trimmed to them with PyPI's sha256."""
    folder.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        for name in PYODIDE_CORE:
            (folder / name).write_bytes(tar.extractfile(f"package/{name}").read())
        lock = json.load(tar.extractfile(f"package/{PYODIDE_LOCK}"))
    served = {}
    for w in wheels:
        if w["into"] == "pyodide":
            entry = lock["packages"][normalize(w["name"])]
            if entry["file_name"] != w["file"]:
                raise LiteError(
                    f"tools/lite/lock.json pins {w['file']}, Pyodide's lock names {entry['file_name']}: "
                    "run `make lite-lock`"
                )
        elif w["into"] == "preload":
            entry = preload_entry(w)
        else:
            continue
        served[normalize(w["name"])] = {**entry, "sha256": w["sha256"]}
        shutil.copy(paths[w["file"]], folder / w["file"])
    lock["packages"] = served
    (folder / PYODIDE_LOCK).write_text(json.dumps(lock), encoding="utf-8")  # the format Pyodide ships it in
    touch_tree(folder, epoch)


def preload_entry(w):
    """Pyodide's lock entry for a pure wheel it does not ship (PRELOAD says what it needs)."""
    return {
        "name": w["name"],
        "version": w["version"],
        "file_name": w["file"],
        "install_dir": "site",
        "sha256": w["sha256"],
        "package_type": "package",
        "imports": [normalize(w["name"]).replace("-", "_")],
        "depends": list(PRELOAD[w["name"]]),
        "unvendored_tests": False,
    }


def widgets_pin(path):
    """The jupyterlab_widgets release an ipywidgets wheel asks for ("~=3.0.17"), from its METADATA."""
    with zipfile.ZipFile(path) as wheel:
        meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        found = re.search(
            r"^Requires-Dist: jupyterlab_widgets\s*~=\s*([\d.]+)", wheel.read(meta).decode(), re.M
        )
    return found.group(1) if found else None


def check_widgets(wheels, paths):
    """ipywidgets in the kernel and jupyterlab_widgets in the page must be releases made for each other."""
    from importlib import metadata

    for w in wheels:
        if normalize(w["name"]) != "ipywidgets":
            continue
        wanted = widgets_pin(paths[w["file"]])
        try:
            have = metadata.version("jupyterlab_widgets")
        except metadata.PackageNotFoundError:
            have = None
        if wanted and have != wanted:
            raise LiteError(
                f"{w['file']} needs jupyterlab_widgets {wanted}, .venv-lite has {have}: pin "
                f"jupyterlab_widgets=={wanted} in tools/lite/requirements.txt (or ipywidgets to match)"
            )


def touch_tree(folder, epoch):
    for path in [folder, *Path(folder).rglob("*")]:
        os.utime(path, (epoch, epoch))


def stage_contents(folder, epoch, contents=CONTENTS):
    """The files the students see: lessons, exercises, the checkers and the dataset."""
    for source, target in contents:
        src, dst = ROOT / source, folder / target
        if not src.exists():
            raise LiteError(
                f"{source} is missing"
                + (": run `make data` (or copy names.txt there) first" if source.startswith("data/") else "")
            )
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy(src, dst)
    touch_tree(folder, epoch)


def lite_url(path):
    """The lab opened on one of the site's files, relative to the site's root."""
    return f"lab/index.html?path={path}"


def idea(n):
    """Step n's idea as HTML: its title without "Step n —", `code` set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(diff.title(n).split("—", 1)[-1].strip()))


def start_label(start):
    """What the landing page's button says for the notebook students start on."""
    found = re.fullmatch(r"notebooks/(exercises/)?train(\d+)\.ipynb", start)
    if not found:
        return html.escape(start)
    what = "the exercises of step" if found.group(1) else "lesson"
    return f"{what} {found.group(2)}, {idea(int(found.group(2)))}"


NO_PICTURES = """<p class="muted">The pictures under the lessons' cells need matplotlib, which this in-browser
Python does not have yet: here each says so in one line, and everything else runs. They are drawn in
JupyterLab (<code>make lab</code>) and on the course site.</p>"""


def landing_page(start, drawn=True, classroom=False):
    """index.html: where to start, every notebook, and how to keep (and hand in) your work.

    It stands in for JupyterLite's own root page, which only redirects to the lab; like that page it holds the
    root's (empty) jupyter-config-data, which the lab's pages read, but it loads no script."""
    rows = "".join(
        f"<tr><td>{n}</td><td>{idea(n)}</td>"
        + ("" if classroom else f'<td><a href="{lite_url(f"notebooks/train{n}.ipynb")}">lesson</a></td>')
        + f'<td><a href="{lite_url(f"notebooks/exercises/train{n}.ipynb")}">exercises</a></td></tr>'
        for n in step_numbers()
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>microgpt, step by step — in your browser</title>
<link rel="icon" href="lab/favicon.ico">
<!-- JupyterLite's pages read their settings from here up to the site's root (jupyter-lite.json) -->
<script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">{{}}</script>
<style>
body {{ font: 17px/1.5 system-ui, sans-serif; color: #1d2230; max-width: 52em; margin: 0 auto;
  padding: 0 20px 40px; }}
a {{ color: #2156c9; }} h1 {{ margin: 28px 0 4px; }}
h2 {{ border-bottom: 1px solid #d9dce3; padding-bottom: 4px; }}
.start {{ display: inline-block; background: #2156c9; color: #fff; padding: 10px 18px; border-radius: 6px;
  text-decoration: none; font-weight: 600; margin: 8px 0; }}
table {{ border-collapse: collapse; }} td {{ border-bottom: 1px solid #d9dce3; padding: 5px 10px; }}
code {{ background: #f0f2f7; padding: 1px 4px; border-radius: 3px; }}
.muted {{ color: #5b6275; font-size: 15px; }}
</style>
</head>
<body>
<h1>microgpt, step by step</h1>
<p>A GPT built from first principles in six small steps of plain Python, running right here in your
browser: real Jupyter, real Python, nothing to install, no account.</p>
<a class="start" id="start" href="{lite_url(start)}">Start here: {start_label(start)}</a>
<p class="muted">The first start takes a little while (up to a minute on a slow machine): Python itself is
loading into the page. After that, run the cells from the top with Shift+Enter.</p>
<h2>Every notebook</h2>
<p>Each lesson adds one idea to the one before it. Its exercise notebook is the same lesson with that idea
taken out for you to write; a check cell under each blank prints ✓ when your code is right.</p>
{"" if drawn else NO_PICTURES}
<table><tbody>{rows}</tbody></table>
<h2>Keeping your work</h2>
<ul>
<li>Your changes are saved <b>in this browser</b> (its site storage), not on a server: come back with the same
browser on the same computer and they are still there. A private window, another browser, another computer or
clearing the browser's data starts from the original notebooks again.</li>
<li><b>To hand a notebook in</b> (or keep a copy): save it (Ctrl+S), then <i>File → Download</i>, or
right-click it in the file browser on the left and choose <i>Download</i>. You get the <code>.ipynb</code>
file to send to your teacher; it opens in any Jupyter. Keep its name (<code>train2.ipynb</code>): the grader
looks for that name, and a renamed copy (<code>train2 (1).ipynb</code>) is not graded.</li>
<li><b>Quick mode</b> on a slow machine: add a first cell
<code>import os; os.environ["NUM_STEPS"] = "50"</code> and run everything after it: training stops after
50 names instead of 1,000.</li>
</ul>
<p class="muted">Built by <code>make lite</code> (JupyterLite with Pyodide, Python compiled to WebAssembly).
Everything,
Python included, is served from this site: it works on a school network or a USB stick.</p>
</body>
</html>
"""


def build(out=OUT, start=START, classroom=False):
    """A clean build of the site into `out`; return the seconds it took."""
    started = time.perf_counter()
    out = Path(out)
    if not (ROOT / start).is_file() or not start.endswith(".ipynb"):
        raise LiteError(
            f"--start {start}: no such notebook in the repo (e.g. notebooks/exercises/train3.ipynb)"
        )
    lock = load_lock()
    version = kernel_pyodide_version()
    if lock["pyodide"]["version"] != version:
        raise LiteError(
            f"jupyterlite-pyodide-kernel expects Pyodide {version}, tools/lite/lock.json pins "
            f"{lock['pyodide']['version']}: run `make lite-lock`"
        )
    tarball = fetch_pyodide(lock["pyodide"])
    paths = fetch_wheels(lock["wheels"])
    epoch = source_date_epoch()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lite-") as tmp:
        stage = Path(tmp) / "stage"
        stage.mkdir()
        (stage / "jupyter-lite.json").write_text(lite_config(lock), encoding="utf-8")
        check_widgets(lock["wheels"], paths)
        stage_pyodide(tarball, lock["wheels"], paths, stage / "static" / "pyodide", epoch)
        (stage / "pypi").mkdir()
        for w in lock["wheels"]:
            if w["into"] == "piplite":
                shutil.copy(paths[w["file"]], stage / "pypi" / w["file"])
        touch_tree(stage / "pypi", epoch)  # piplite's index takes a wheel's upload time from its file time
        stage_contents(stage / "files", epoch, CLASS_CONTENTS if classroom else CONTENTS)
        built = Path(tmp) / "out"
        progress("jupyter lite build …")
        run(
            [
                str(Path(sys.executable).with_name("jupyter")),
                "lite",
                "build",
                "--lite-dir",
                str(stage),
                "--output-dir",
                str(built),
                "--contents",
                str(stage / "files"),
                "--no-sourcemaps",
                "--source-date-epoch",
                str(epoch),
            ],
            cwd=stage,
            env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)},
        )
        (built / "index.html").write_text(landing_page(start, drawn(lock), classroom), encoding="utf-8")
        touch_tree(built, epoch)
        check_site(built, lock, CLASS_CONTENTS if classroom else CONTENTS)
        if out.exists():
            shutil.rmtree(out)
        shutil.move(built, out)
    return time.perf_counter() - started


def drawn(lock):
    """Whether the site's kernel can draw the pictures: the lock has matplotlib (PICTURE_ROOTS)."""
    return set(PICTURE_ROOTS) <= {normalize(w["name"]) for w in lock["wheels"]}


def preloaded(lock):
    return [w["name"] for w in lock["wheels"] if w["into"] == "preload"]


def lite_config(lock):
    """tools/lite/jupyter-lite.json, with the kernel told to load the PRELOAD wheels when it starts."""
    config = json.loads((LITE / "jupyter-lite.json").read_text(encoding="utf-8"))
    kernel = config["jupyter-config-data"]["litePluginSettings"][KERNEL_SETTINGS]
    if preloaded(lock):
        kernel.setdefault("loadPyodideOptions", {})["packages"] = preloaded(lock)
    return json.dumps(config, indent=2) + "\n"


def check_site(site, lock, contents=CONTENTS):
    """What a build must hold for the page to run offline: the config pointing at the site's own Pyodide."""
    config = json.loads((site / "jupyter-lite.json").read_text(encoding="utf-8"))["jupyter-config-data"]
    kernel = config["litePluginSettings"][KERNEL_SETTINGS]
    problems = []
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.mjs":
        problems.append(
            f"pyodideUrl is {kernel.get('pyodideUrl')!r}, not the site's ./static/pyodide/pyodide.mjs"
        )
    if kernel.get("disablePyPIFallback") is not True:
        problems.append("disablePyPIFallback is not set: the kernel could go to PyPI")
    if any(not url.startswith("./") for url in kernel.get("pipliteUrls", [])):
        problems.append(f"a pipliteUrl is not on the site: {kernel['pipliteUrls']}")
    if kernel.get("loadPyodideOptions", {}).get("packages", []) != preloaded(lock):
        problems.append(f"the kernel does not load {preloaded(lock)} when it starts (loadPyodideOptions)")
    extensions = [e.get("name") for e in config.get("federated_extensions", [])]
    if "ipywidgets" in preloaded(lock) and WIDGETS_EXTENSION not in extensions:
        problems.append(
            f"no {WIDGETS_EXTENSION} among the site's extensions ({extensions}): widgets would not show "
            "(is jupyterlab_widgets in .venv-lite?)"
        )
    served = json.loads((site / "static" / "pyodide" / PYODIDE_LOCK).read_text(encoding="utf-8"))["packages"]
    for entry in served.values():
        path = site / "static" / "pyodide" / entry["file_name"]
        if not path.is_file() or sha256(path) != entry["sha256"]:
            problems.append(
                f"static/pyodide/{entry['file_name']} is missing or differs from the lock's sha256"
            )
    for w in lock["wheels"]:
        if w["into"] == "piplite" and not (site / "pypi" / w["file"]).is_file():
            problems.append(f"pypi/{w['file']} is missing")
    for _, target in contents:
        if not (site / "files" / target).exists():
            problems.append(f"files/{target} is missing")
    if problems:
        raise LiteError("the built site is not right:\n  " + "\n  ".join(problems))


def digests(site):
    """{relative path: sha256} of every file of a site."""
    site = Path(site)
    return {p.relative_to(site).as_posix(): sha256(p) for p in sorted(site.rglob("*")) if p.is_file()}


def size(site):
    files = [p for p in Path(site).rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def verify(out=OUT):
    """Build again into a temp folder and compare every file with `out`; return the differences."""
    if not (Path(out) / "index.html").is_file():
        raise LiteError(f"{out} has no site: run `make lite` first")
    with tempfile.TemporaryDirectory(prefix="lite-again-") as tmp:
        start = re.search(
            r'id="start" href="lab/index.html\?path=([^"]+)"', (Path(out) / "index.html").read_text()
        )
        classroom = not (Path(out) / "files" / "notebooks" / "train0.ipynb").exists()
        build(Path(tmp) / "site", start.group(1) if start else START, classroom)
        first, second = digests(out), digests(Path(tmp) / "site")
    return sorted(name for name in first.keys() | second.keys() if first.get(name) != second.get(name))


def main(argv=None):
    parser = command_line(__doc__, __file__)
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--verify", action="store_true", help="build again into a temp folder and compare every file"
    )
    what.add_argument(
        "--lock", action="store_true", help="re-pin tools/lite/lock.json from npm and PyPI (maintainers)"
    )
    parser.add_argument("--out", help="the site (default build/site/lite; --class: build/site/lite-class)")
    parser.add_argument(
        "--start",
        help=f"the notebook the landing page starts students on (default {START}; --class: {CLASS_START})",
    )
    parser.add_argument("--class", dest="classroom", action="store_true", help="the student notebooks only")
    args = parser.parse_args(argv)
    args.out = args.out or str(CLASS_OUT if args.classroom else OUT)
    args.start = args.start or (CLASS_START if args.classroom else START)
    if args.classroom and not args.start.startswith("notebooks/exercises/"):
        parser.error(f"--class: --start must be a student notebook (notebooks/exercises/…), not {args.start}")
    try:
        if args.lock:
            write_lock()
        elif args.verify:
            differ = verify(args.out)
            if differ:
                print(
                    f"error: a second build differs in {len(differ)} file(s): " + ", ".join(differ[:10]),
                    file=sys.stderr,
                )
                return 1
            print(f"reproducible: a second build gave the same {len(digests(args.out))} files, byte for byte")
        else:
            seconds = build(args.out, args.start, args.classroom)
            files, total = size(args.out)
            print(
                f"built {os.path.relpath(args.out)} in {seconds:.0f} s: {files} files, {total / 1e6:.1f} MB; "
                f"serve it with `python3 -m http.server -d {os.path.relpath(args.out)}`"
            )
    except LiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    run_main(main)
