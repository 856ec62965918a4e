"""The JupyterLite build's pure parts (tools/lite/build.py): pins, the lock trimming, the landing page, the
site check.

The build itself (npm, pip, jupyter lite) and the browser run are `make lite` and `make lite-proof`."""

import hashlib
import io
import json
import re
import tarfile
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
        assert wheel["into"] in ("pyodide", "piplite")
        assert re.fullmatch(r"[0-9a-f]{64}", wheel["sha256"]), wheel
        name, version = wheel["file"].split("-")[:2]
        assert lite.normalize(name) == lite.normalize(wheel["name"]) and version == wheel["version"], wheel
        assert wheel["file"].endswith("-none-any.whl"), "Pyodide's kernel can only use pure wheels from PyPI"
    served = {lite.normalize(w["name"]) for w in lock["wheels"]}
    assert {lite.normalize(n) for n in lite.LOCK_ROOTS + lite.PIPLITE_EXTRAS} <= served


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
        lite.check_site(tmp_path, {"wheels": []})
    assert (
        "pyodideUrl" in str(error.value)
        and "pipliteUrl" in str(error.value)
        and "files/notebooks" in str(error.value)
    )


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


def test_a_class_build_holds_no_lesson_notebook(tmp_path):
    """make lite CLASS=1: the student notebooks and the dataset; no lesson (each holds its solutions)."""
    lite.stage_contents(tmp_path, 0, lite.CLASS_CONTENTS)
    notebooks = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb"))
    assert notebooks == [f"notebooks/exercises/train{n}.ipynb" for n in step_numbers()]
    assert (tmp_path / "data" / "names.txt").is_file()
    page = lite.landing_page(lite.CLASS_START, classroom=True)
    linked = re.findall(r'href="lab/index.html\?path=([^"]+)"', page)
    assert linked and all(path.startswith("notebooks/exercises/") for path in linked)
    assert any("notebooks/train" in p for p in re.findall(r'path=([^"]+)"', lite.landing_page(lite.START)))
