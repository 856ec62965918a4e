""".ci/run's stages (.ci/stages.sh): every stage runs whatever the ones before it did, each under its
header; a table of stages ends the log, and any failed stage fails the run. Driven here with stand-in
stages: the real .ci/run takes many minutes (CI itself runs it)."""

import os
import re
import shutil
import subprocess

import pytest

from stepkit import ROOT

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(os.name == "nt" or BASH is None, reason="CI's scripts are bash")
ROW = re.compile(r"^(\S+) +(pass|FAIL \(exit \d+\)) +(\d+)$")


def ci(script):
    """Run script with .ci/stages.sh sourced, as .ci/run does: (exit status, stdout, {stage: (result,
    seconds)} from the table, the table's last line)."""
    result = subprocess.run(
        [BASH, "-c", f"set -uo pipefail\nsource .ci/stages.sh\n{script}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    table = result.stdout.split("\n===== CI stages\n", 1)[1].splitlines()
    assert table[0].split() == ["stage", "result", "seconds"]
    rows = [ROW.match(line).groups() for line in table[1:-1]]
    found = {name: (outcome, int(seconds)) for name, outcome, seconds in rows}
    return result.returncode, result.stdout, found, table[-1]


def test_every_stage_runs_after_a_failed_one_and_the_run_fails():
    status, out, rows, last = ci("""
two_commands() { echo first; false; echo "not reached: set -e ends the stage"; }
stage passes echo the output of a stage
stage fails false
stage no-tests sh -c 'echo "no tests ran"; exit 5'   # pytest's exit 5 fails too
stage two two_commands
stage slow sleep 1
stages_summary
""")
    assert status == 1
    assert {name: outcome for name, (outcome, _) in rows.items()} == {
        "passes": "pass",
        "fails": "FAIL (exit 1)",
        "no-tests": "FAIL (exit 5)",
        "two": "FAIL (exit 1)",
        "slow": "pass",
    }
    assert rows["slow"][1] >= 1 and rows["passes"][1] < 5
    assert last == "===== 3 of 5 stages failed: fails no-tests two"
    marks = [line for line in out.splitlines() if line.startswith("===== stage ")]  # a header, an outcome
    assert marks[::2] == [
        "===== stage passes: echo the output of a stage",
        "===== stage fails: false",
        '===== stage no-tests: sh -c echo "no tests ran"; exit 5',
        "===== stage two: two_commands",
        "===== stage slow: sleep 1",
    ]
    assert marks[1::2] == [
        f"===== stage {name}: {outcome} in {seconds} s" for name, (outcome, seconds) in rows.items()
    ]
    assert f"{marks[0]}\nthe output of a stage\n{marks[1]}\n" in out  # between its header and its outcome
    assert "first\n" in out and "not reached" not in out


def test_a_run_whose_stages_all_pass_exits_0():
    status, _, rows, last = ci("stage one true\nstage two echo fine\nstages_summary")
    assert (status, list(rows), last) == (0, ["one", "two"], "===== every stage passed (2)")


def test_ci_runs_each_check_as_a_stage():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert subprocess.run([BASH, "-n", str(ROOT / ".ci" / "run")]).returncode == 0  # it parses
    stages = re.findall(r"^stage (\S+) (.*?)(?:\s+#.*)?$", script, re.M)
    assert {"tests", "notebooks", "lab", "lite", "learner", "nbgrader"} <= {name for name, _ in stages}
    assert (
        dict(stages)["tests"] == "make test"
        and dict(stages)["notebooks"] == "make test-notebooks"
        and "INSTALL_CHROMIUM=1" in dict(stages)["lab"]
    )
    assert script.rstrip().endswith("\nstages_summary")  # its status is CI's
    assert not re.search(r"^set -\w*e", script, re.M), "set -e would end CI at the first failed stage"
