"""The JupyterLite build's pure parts (tools/lite/build.py): pins, the lock trimming, the landing page, the
site check.

The build itself (npm, pip, jupyter lite) and the browser run are `make lite` and `make lite-proof`."""

import hashlib
import io
import json
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from tools.browser import lite as lite_check
from tools.lite import build as lite
from tools.project import step_numbers

ROOT = Path(__file__).resolve().parent.parent


def test_build_requirements_are_exact_pins():
    lines = [
        line
        for line in (ROOT / "tools/lite/requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][^ ]*", line) for line in lines), lines
    names = {line.split("==")[0].lower().replace("_", "-") for line in lines}
    assert {"jupyterlite-core", "jupyterlite-pyodide-kernel", "jupyter-server"} <= names


def test_lock_pins_pyodide_and_every_wheel_with_a_checksum():
    lock = lite.load_lock()
    assert lock["pyodide"]["package"] == "pyodide"
    assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", lock["pyodide"]["integrity"])
    for wheel in lock["wheels"]:
        assert wheel["into"] in ("pyodide", "piplite", "preload")
        assert re.fullmatch(r"[0-9a-f]{64}", wheel["sha256"]), wheel
        name, version = wheel["file"].split("-")[:2]
        assert lite.normalize(name) == lite.normalize(wheel["name"]) and version == wheel["version"], wheel
        # Pyodide's kernel can use pure wheels, and Pyodide's own builds (for its lock, never a piplite one)
        pure = wheel["file"].endswith("-none-any.whl")
        assert pure or (wheel["into"] == "pyodide" and "emscripten" in wheel["file"]), wheel
    served = {lite.normalize(w["name"]) for w in lock["wheels"]}
    assert {lite.normalize(n) for n in (*lite.LOCK_ROOTS, *lite.PIPLITE_EXTRAS, *lite.PRELOAD)} <= served


def test_the_lock_has_matplotlib_or_names_what_pypi_lacked():
    lock = lite.load_lock()
    has = lite.drawn(lock)
    assert has != bool(lock.get("not_on_pypi")), "all of the pictures' wheels, or a list of the missing"
    if not has:
        assert "matplotlib" in lock["not_on_pypi"]


def test_wheel_tags_tell_pure_wheels_from_pyodides_builds():
    assert lite.wheel_tags("six-1.17.0-py2.py3-none-any.whl") == ("none", "any")
    numpy = "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
    assert lite.wheel_tags(numpy) == ("cp314", "pyemscripten_2026_0_wasm32")


def test_lock_closure_follows_depends_and_names_what_is_missing():
    packages = {
        "a": {"depends": ["b_c"]},
        "b-c": {"depends": ["d"]},
        "d": {"depends": []},
        "e": {"depends": []},
    }
    assert lite.lock_closure(packages, ["a"]) == ["a", "b-c", "d"]
    with pytest.raises(lite.LiteError, match="zz is not in"):
        lite.lock_closure(packages, ["a", "zz"])


def fake_pyodide(tmp_path):
    """A tarball shaped like the npm package: the core files and a lock with two packages."""
    lock = {
        "info": {"python": "3.14"},
        "packages": {
            "micropip": {
                "name": "micropip",
                "file_name": "micropip-1.0-py3-none-any.whl",
                "sha256": "old",
                "depends": [],
            },
            "numpy": {
                "name": "numpy",
                "file_name": "numpy-2.0-cp314-pyemscripten.whl",
                "sha256": "x",
                "depends": [],
            },
        },
    }
    tarball = tmp_path / "pyodide.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, data in [
            *((n, n.encode()) for n in lite.PYODIDE_CORE),
            (lite.PYODIDE_LOCK, json.dumps(lock).encode()),
        ]:
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return tarball


def test_staged_lock_names_only_the_served_wheels_with_their_pypi_sha256(tmp_path):
    wheel = tmp_path / "micropip-1.0-py3-none-any.whl"
    wheel.write_bytes(b"a wheel from PyPI")
    digest = hashlib.sha256(b"a wheel from PyPI").hexdigest()
    pins = [{"name": "micropip", "version": "1.0", "file": wheel.name, "sha256": digest, "into": "pyodide"}]
    folder = tmp_path / "static" / "pyodide"
    lite.stage_pyodide(fake_pyodide(tmp_path), pins, {wheel.name: wheel}, folder, 315532800)
    lock = json.loads((folder / lite.PYODIDE_LOCK).read_text())
    assert list(lock["packages"]) == ["micropip"] and lock["packages"]["micropip"]["sha256"] == digest
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*lite.PYODIDE_CORE, lite.PYODIDE_LOCK, wheel.name]
    )
    assert {p.stat().st_mtime for p in folder.iterdir()} == {315532800}


def test_a_preloaded_wheel_joins_the_served_lock_and_the_kernels_start(tmp_path):
    wheel = tmp_path / "ipywidgets-8.1.9-py3-none-any.whl"
    wheel.write_bytes(b"widgets")
    digest = hashlib.sha256(b"widgets").hexdigest()
    pins = [
        {"name": "ipywidgets", "version": "8.1.9", "file": wheel.name, "sha256": digest, "into": "preload"}
    ]
    folder = tmp_path / "static" / "pyodide"
    lite.stage_pyodide(fake_pyodide(tmp_path), pins, {wheel.name: wheel}, folder, 0)
    entry = json.loads((folder / lite.PYODIDE_LOCK).read_text())["packages"]["ipywidgets"]
    assert (
        entry["file_name"] == wheel.name and entry["sha256"] == digest and entry["imports"] == ["ipywidgets"]
    )
    assert entry["depends"] == list(lite.PRELOAD["ipywidgets"]) and (folder / wheel.name).is_file()
    config = json.loads(lite.lite_config({"wheels": pins}))["jupyter-config-data"]
    kernel = config["litePluginSettings"][lite.KERNEL_SETTINGS]
    assert kernel["loadPyodideOptions"]["packages"] == ["ipywidgets"] and kernel["disablePyPIFallback"]


def widgets_wheel(folder, lab_pin):
    path = folder / "ipywidgets-8.1.9-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        meta = f"Name: ipywidgets\nRequires-Dist: comm>=0.1.3\nRequires-Dist: jupyterlab_widgets~={lab_pin}\n"
        wheel.writestr("ipywidgets-8.1.9.dist-info/METADATA", meta)
    return path


def test_ipywidgets_must_be_the_release_made_for_the_sites_widget_manager(tmp_path, monkeypatch):
    from importlib import metadata

    pins = [{"name": "ipywidgets", "file": "ipywidgets-8.1.9-py3-none-any.whl", "into": "preload"}]
    path = widgets_wheel(tmp_path, "3.0.17")
    assert lite.widgets_pin(path) == "3.0.17"
    monkeypatch.setattr(metadata, "version", lambda name: "3.0.17")
    lite.check_widgets(pins, {pins[0]["file"]: path})
    monkeypatch.setattr(metadata, "version", lambda name: "3.0.16")
    with pytest.raises(lite.LiteError, match="needs jupyterlab_widgets 3.0.17, .venv-lite has 3.0.16"):
        lite.check_widgets(pins, {pins[0]["file"]: path})


def test_a_pin_that_is_not_the_locks_file_is_refused(tmp_path):
    pins = [
        {
            "name": "micropip",
            "version": "2.0",
            "file": "micropip-2.0-py3-none-any.whl",
            "sha256": "0" * 64,
            "into": "pyodide",
        }
    ]
    with pytest.raises(lite.LiteError, match="run `make lite-lock`"):
        lite.stage_pyodide(fake_pyodide(tmp_path), pins, {}, tmp_path / "out", 0)


def test_landing_page_keeps_the_lite_root_config_and_links_every_notebook():
    page = lite.landing_page("notebooks/exercises/train3.ipynb")
    # JupyterLite's pages read the root's jupyter-config-data: without it the lab never starts.
    assert (
        '<script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">{}</script>'
        in page
    )
    assert "<script" not in page.replace('<script id="jupyter-config-data"', "")  # and no redirect to the lab
    assert 'id="start" href="lab/index.html?path=notebooks/exercises/train3.ipynb"' in page
    for path in re.findall(r'href="lab/index.html\?path=([^"]+)"', page):
        assert (ROOT / path).is_file(), path
    assert "Download" in page and "browser" in page
    assert lite.NO_PICTURES not in page and lite.NO_PICTURES in lite.landing_page(lite.START, drawn=False)


def test_a_build_without_the_sites_own_pyodide_is_refused(tmp_path):
    config = {
        "jupyter-config-data": {
            "litePluginSettings": {
                "@jupyterlite/pyodide-kernel-extension:kernel": {
                    "disablePyPIFallback": True,
                    "pipliteUrls": ["https://pypi.example/all.json"],
                }
            }
        }
    }
    (tmp_path / "jupyter-lite.json").write_text(json.dumps(config))
    (tmp_path / "static" / "pyodide").mkdir(parents=True)
    (tmp_path / "static" / "pyodide" / lite.PYODIDE_LOCK).write_text('{"packages": {}}')
    with pytest.raises(lite.LiteError) as error:
        lite.check_site(tmp_path, {"wheels": [{"name": "ipywidgets", "file": "w.whl", "into": "preload"}]})
    for problem in (
        "pyodideUrl",
        "pipliteUrl",
        "files/notebooks",
        "loadPyodideOptions",
        lite.WIDGETS_EXTENSION,
    ):
        assert problem in str(error.value)


def test_the_browser_check_compares_the_lines_a_step_prints():
    text = (
        "num docs: 3\nvocab size: 5\nsome other line\nstep    1 /   20 | loss 3.2958\n"
        "\nsample  1: ann\n✓ adam"
    )
    assert lite_check.compared(text) == [
        "num docs: 3",
        "vocab size: 5",
        "step    1 /   20 | loss 3.2958",
        "sample  1: ann",
    ]


def test_every_exercise_notebook_has_check_cells_for_the_browser_check_to_count():
    for path in sorted((ROOT / "notebooks" / "exercises").glob("train*.ipynb")):
        assert lite_check.check_cells(path.read_text(encoding="utf-8")) >= 1, path.name


def test_only_the_steps_own_cells_are_compared_with_native_python():
    # the cells added around the step's own (checks, pictures, names after a prefix) print lines of their own
    ours = [
        name
        for name in (
            "train5-15",
            "train0-01",
            "train5-15-names",
            "train5-setup",
            "train3-11-check1",
            "train5-13-loss-picture",
            "train3-quick",
        )
        if lite_check.STEP_CELL.fullmatch(name)
    ]
    assert ours == ["train5-15", "train0-01"]
    for path in sorted((ROOT / "notebooks").glob("train*.ipynb")):
        code = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        assert sum(bool(lite_check.STEP_CELL.fullmatch(c["id"])) for c in code) >= 5, path.name


def test_a_class_build_holds_no_lesson_notebook(tmp_path):
    """make lite CLASS=1: the student notebooks and the dataset; no lesson (each holds its solutions)."""
    if not (ROOT / "data" / "names.txt").is_file():
        pytest.skip("data/names.txt is not here yet (make data): the class build copies it")
    lite.stage_contents(tmp_path, 0, lite.CLASS_CONTENTS)
    notebooks = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb"))
    assert notebooks == [f"notebooks/exercises/train{n}.ipynb" for n in step_numbers()]
    assert (tmp_path / "data" / "names.txt").is_file()
    page = lite.landing_page(lite.CLASS_START, classroom=True)
    linked = re.findall(r'href="lab/index.html\?path=([^"]+)"', page)
    assert linked and all(path.startswith("notebooks/exercises/") for path in linked)
    assert any("notebooks/train" in p for p in re.findall(r'path=([^"]+)"', lite.landing_page(lite.START)))
