"""make lab and make lab-check start the lab the same way: with tools/lab_config.py (the repo's kernel
metadata on save), and with --allow-root exactly when run as root. (lab-check itself is too slow for
make test: .ci/run runs it.)"""

import os
import subprocess

import pytest

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
    assert "jupyter lab --config=tools/lab_config.py" in make_n(target, 1000, tmp_path)


def test_ci_runs_lab_check_after_the_tests():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if not line.startswith("#")]
    test, check = (next(i for i, line in enumerate(lines) if verb in line) for verb in ("make test", "make lab-check"))
    assert test < check and "INSTALL_CHROMIUM=1" in lines[check]
