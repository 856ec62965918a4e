"""make lab and make lab-proof start the lab the same way: with tools/lab/config.py (the repo's kernel
metadata on save), and with --allow-root exactly when run as root. (lab-check itself is too slow for
make test: .ci/run runs it.)"""

import json
import os
import subprocess
from importlib import metadata

import pytest

from tools.browser import lab as lab_check
from tools.lite import build as lite_build

from stepkit import ROOT, posix_make

pytestmark = posix_make  # make -n with a /bin/sh stand-in for `id`


def make_n(target, uid, tmp_path):
    """`make -n target` as if `id -u` said uid (a stand-in `id` first on PATH)."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (fake / "id").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["make", "-n", "-s", target], cwd=ROOT, env=env, capture_output=True, text=True)
    return result.stdout.splitlines()[-1] if result.stdout else result.stderr


@pytest.mark.parametrize("target", ["lab", "lab-check"])
def test_the_lab_gets_allow_root_only_as_root(target, tmp_path):
    assert "--allow-root" in make_n(target, 0, tmp_path)
    assert "--allow-root" not in make_n(target, 1000, tmp_path)


@pytest.mark.parametrize("target", ["lab", "lab-check"])
def test_the_lab_saves_with_the_repos_kernel_metadata(target, tmp_path):
    assert "jupyter lab --config=tools/lab/config.py" in make_n(target, 1000, tmp_path)


def test_ci_runs_lab_check_after_the_tests():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if not line.startswith("#")]
    test, check = (
        next(i for i, line in enumerate(lines) if verb in line) for verb in ("make test", "make lab-proof")
    )
    assert test < check and "INSTALL_CHROMIUM=1" in lines[check]


NOTIFICATION = "@jupyterlab/apputils-extension:notification"
APP = ROOT / ".venv" / "share" / "jupyter" / "lab"  # the pinned lab's app folder, once make lab installed it


def test_the_lab_asks_nothing_about_jupyter_news():
    """JupyterLab 4 shows a pop-up over the first notebook asking whether to fetch Jupyter news unless
    the notification plugin's fetchNews is "true" or "false" (a string, not a bool): make lab puts the
    repo's overrides.json, which says "false", where the lab reads its defaults. lab-check looks for the
    pop-up in a real lab, without a setting of its own that would hide a missing override."""
    overrides = json.loads((ROOT / "tools" / "lab" / "overrides.json").read_text(encoding="utf-8"))
    assert overrides == {NOTIFICATION: {"fetchNews": "false"}}
    copy = f"cp tools/lab/overrides.json {APP.relative_to(ROOT)}/settings/overrides.json"
    for target in ("lab", "lab-check"):
        result = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True)
        assert copy in result.stdout.splitlines(), result.stdout
    assert not [name for name in lab_check.SETTINGS if "apputils-extension/notification" in name]
    schema = APP / "schemas" / "@jupyterlab" / "apputils-extension" / "notification.json"
    if not schema.is_file():
        pytest.skip("the pinned JupyterLab is not installed here (make lab): its schema and text unchecked")
    fetch_news = json.loads(schema.read_text(encoding="utf-8"))["properties"]["fetchNews"]
    assert fetch_news["type"] == "string"
    assert {"false", "none"} <= {choice["const"] for choice in fetch_news["oneOf"]}
    bundles = (APP / "static").glob("jlab_core*.js")
    assert any(lab_check.NEWS in path.read_text(errors="replace") for path in bundles), "the pop-up's text?"


def pins(path):
    return dict(
        line.split("==")
        for line in (ROOT / path).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )


def test_the_widgets_halves_are_pinned_as_releases_made_for_each_other():
    """ipywidgets (the kernel's side) asks for the jupyterlab_widgets (the page's widget manager) and
    widgetsnbextension of its own release: a lab or a JupyterLite site with another one shows no widget."""
    lab, lite = pins("tools/lab/requirements.txt"), pins("tools/lite/requirements.txt")
    assert {"ipywidgets", "jupyterlab_widgets", "widgetsnbextension"} <= set(lab)
    assert lite["jupyterlab_widgets"] == lab["jupyterlab_widgets"]  # the same widgets in both channels
    in_lite = {w["name"]: w["version"] for w in lite_build.load_lock()["wheels"]}
    assert in_lite["ipywidgets"] == lab["ipywidgets"]
    try:
        wants = metadata.requires("ipywidgets")
        if metadata.version("ipywidgets") != lab["ipywidgets"]:
            raise metadata.PackageNotFoundError
    except metadata.PackageNotFoundError:
        pytest.skip("the pinned ipywidgets is not installed here (make lab): its own pins unchecked")
    for half in ("jupyterlab_widgets", "widgetsnbextension"):
        (spec,) = [w for w in wants if w.replace("-", "_").startswith(half)]
        assert spec.split("~=")[1].strip() == lab[half], spec
