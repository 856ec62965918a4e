"""The tooling around the steps: the diff printer, the Makefile's verbs, the full-length checker, and
the command line of every tool in tools/."""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stepkit import OFFLINE_URL, ROOT, SHARED_REFERENCE_LOG, environment, posix_make, write

sys.path.insert(0, str(ROOT / "tools"))
import check_full  # noqa: E402
import diff  # noqa: E402
import project  # noqa: E402
import run_tests  # noqa: E402


def make(*args):
    if os.name == "nt" or shutil.which("make") is None:
        pytest.skip("needs make (on Windows: the README's 'Without make' commands, tested below)")
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args], capture_output=True, text=True)


def test_every_diff_is_headed_by_the_idea_it_introduces(capsys):
    assert diff.main(["5"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "train4.py -> train5.py: Step 5 — Adam: this is microgpt"
    assert "--- steps/train4.py\n+++ steps/train5.py\n" in out
    assert "+        m_hat = m[i] / (1 - beta1 ** (step + 1))\n" in out
    assert "\033[" not in out  # not a terminal: no colour codes


def test_colour_marks_added_and_removed_lines():
    assert diff.paint("+x = 1\n", True) == "\033[32m+x = 1\033[0m\n"
    assert diff.paint("-x = 1\n", True) == "\033[31m-x = 1\033[0m\n"
    assert diff.paint(" x = 1\n", True) == " x = 1\n"


def test_diffs_prints_all_five_in_order(capsys):
    assert diff.main(["--all"]) == 0
    heads = [line for line in capsys.readouterr().out.splitlines() if " -> " in line and line.startswith("train")]
    assert [h.split(":")[0] for h in heads] == [f"train{n - 1}.py -> train{n}.py" for n in range(1, 6)]


def test_a_step_without_a_previous_one_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as exit:
        diff.main(["0"])
    assert exit.value.code == 2
    assert capsys.readouterr().err == ("error: tools/diff.py: argument N: invalid choice: 0 (choose from 1, 2, 3, 4, 5)"
                                       " (see tools/diff.py --help)\n")


def test_code_lines_drop_prose_comments_and_blanks():
    source = '"""Docstring\nmore"""\n# comment\n\nx = 1  # why\n\n    y = "s"\n'
    assert diff.code_lines(source) == ["x = 1\n", '    y = "s"\n']


def test_each_idea_costs_no_more_code_than_the_reference_diffs():
    for n, limit in diff.REFERENCE_COUNT.items():
        assert 0 < diff.count(n) <= limit, f"train{n - 1} -> train{n}: {diff.count(n)} changed code lines"


def test_the_readme_says_what_the_diff_tables_reference_column_is():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table_on = readme.split("<!-- fig diff-table -->", 1)[1]
    below = table_on.split("<!-- /fig -->", 1)[1].strip().split("\n\n")[0]
    assert below.startswith("*The reference's* is the same count for the reference progression"), below
    assert "tools/diff.py" in below  # where REFERENCE_COUNT quotes them from the specification


def test_make_lists_its_verbs():
    out = make().stdout
    for verb in ("step0", "diff1", "diffs", "test", "notebooks", "lab", "exercises", "docs", "ladder", "check-full", "bench", "clean"):
        assert verb in out


def test_make_passes_knobs_through_to_the_steps(tmp_path):
    result = make("-n", "step3", "NUM_STEPS=7")
    assert result.returncode == 0 and "steps/train3.py" in result.stdout
    names = write(tmp_path / "names.txt", "anna\nbob\n")  # any dataset will do: the real one is not needed
    result = make("step0", "NUM_STEPS=2", "NUM_SAMPLES=1", f"DATASET={names}")
    assert "step    2 /    2" in result.stdout, result.stderr


def test_make_diff_prints_the_diff():
    result = make("diff2")
    assert result.returncode == 0 and result.stdout.startswith("train1.py -> train2.py: Step 2")


def test_check_full_reads_the_figures_of_a_run():
    out = "num docs: 3\nstep    1 /    2 | loss 3.0000\nstep    2 /    2 | loss 2.0000\n\nsample  1: ab\nsample  2: \n"
    assert check_full.figures(out) == (3.0, 2.0, 2.5, "ab ")
    assert check_full.compare_log("a\nb\n", "a\nc\n") == "line 2 differs: 'b' vs reference 'c'"
    assert check_full.compare_log("a\n", "a\n") is None
    assert check_full.without_gradient_check("x\ngradient check | …\ny\n") == "x\ny\n"


def test_the_golden_copy_of_the_reference_log_is_the_reference():
    if not SHARED_REFERENCE_LOG.is_file():
        pytest.skip("no ../shared/reference beside the repo (CI has it; a learner's clone does not need it)")
    assert (ROOT / "tests" / "golden" / "train5.log").read_bytes() == SHARED_REFERENCE_LOG.read_bytes()


# --- the command line of every tool ------------------------------------------------------------------

TOOLS = ROOT / "tools"
# The files in tools/ that are not commands: modules the tools and notebooks import, JupyterLab's config.
MODULES = {"browser.py", "check.py", "kernel_metadata.py", "lab_config.py", "project.py", "standalone.py"}
EVERY_FILE = sorted(path.name for path in TOOLS.glob("*.py"))
COMMANDS = [name for name in EVERY_FILE if name not in MODULES]
NO_VENV = ("-S", "-E", "-s")  # python without site-packages: as if run by a python3 without the pinned .venv


def tool(name, *args, cwd, python_flags=()):
    env = dict(os.environ, NAMES_URL=OFFLINE_URL)  # should a tool try a download, it fails at once
    return subprocess.run([sys.executable, *python_flags, str(TOOLS / name), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def files_of_the_repo():
    """Every file of the checkout (ignored ones too), with its size and modification time."""
    skip = {".git", ".venv", "__pycache__", ".pytest_cache"}
    found = {}
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            stat = os.stat(os.path.join(folder, name))
            found[os.path.join(folder, name)] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.mark.parametrize("name", EVERY_FILE)
def test_help_prints_the_usage_and_does_nothing_else(name, tmp_path):
    before = files_of_the_repo()
    result = tool(name, "--help", cwd=tmp_path)
    assert list(tmp_path.iterdir()) == [], "--help wrote into the current folder"
    assert files_of_the_repo() == before, "--help changed the checkout"
    assert "Traceback" not in result.stderr, result.stderr
    if name in MODULES:  # nothing to run: at most one line saying so
        assert result.stdout == "" and len(result.stderr.splitlines()) <= 1, result.stderr
    else:
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.startswith(f"usage: tools/{name} [-h]")
        assert project.tool_name(TOOLS / name) == f"tools{os.sep}{name}"


@pytest.mark.parametrize("name", COMMANDS)
def test_a_bad_argument_is_one_line_and_exit_status_2(name, tmp_path):
    result = tool(name, "--no-such-option", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: tools/{name}: unrecognized arguments: --no-such-option")
    assert result.stderr.endswith(f" (see tools/{name} --help)\n")


@pytest.mark.parametrize("name", COMMANDS)
def test_without_the_pinned_environment_a_tool_says_so_in_one_line(name, tmp_path):
    """--help still helps (a stdlib-only tool prints its usage; one that needs the .venv, its docstring
    and how to get the .venv); anything else is the one line, exit 1."""
    result = tool(name, "--help", cwd=tmp_path, python_flags=NO_VENV)
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr
    needs = rf"tools/{name} needs the project's pinned environment \(\w+ is not installed here\): " \
            rf"run `make venv`, then `\.venv/bin/python tools/{name}`\n"
    if not result.stdout.startswith(f"usage: tools/{name}"):
        assert re.search(needs + r"\Z", result.stdout), result.stdout
        result = tool(name, cwd=tmp_path, python_flags=NO_VENV)
        assert result.returncode == 1 and result.stdout == ""
        assert re.fullmatch("error: " + needs, result.stderr), result.stderr


def test_the_notebook_generator_without_the_pinned_environment():
    result = tool("notebooks.py", "--check", cwd=ROOT, python_flags=NO_VENV)
    assert result.returncode == 1
    assert result.stderr == ("error: tools/notebooks.py needs the project's pinned environment (jupytext is not "
                             "installed here): run `make venv`, then `.venv/bin/python tools/notebooks.py`\n")


@pytest.mark.parametrize("args,line", [
    (["diff.py"], "which diff? give a step number N, --all or --count"),
    (["diff.py", "9"], "argument N: invalid choice: 9 (choose from 1, 2, 3, 4, 5)"),
    (["diff.py", "x"], "argument N: invalid int value: 'x'"),
    (["diff.py", "--all", "--count"], "argument --count: not allowed with argument --all"),
    (["dataset.py", "a.txt", "b.txt"], "unrecognized arguments: b.txt"),
    (["bench.py", "--only", "2,9"], "argument --only: no step '9' (the steps are 0, 1, 2, 3, 4, 5)"),
    (["bench.py", "--steps", "0"], "argument --steps: '0' is not a positive integer"),
    (["ladder.py", "--steps", "ten"], "argument --steps: 'ten' is not a positive integer"),
    (["ladder.py", "--steps", "3"], "a quick or partial run must not overwrite the committed docs/ figures: add --out DIR"),
    (["exercises.py", "--list", "--check"], "argument --check: not allowed with argument --list"),
    (["notebooks.py", "--check", "now"], "unrecognized arguments: now"),
    (["check_full.py", "--quick"], "unrecognized arguments: --quick"),
    (["run_tests.py", "-k", "diff"], "unrecognized arguments: -k (pytest's own options go after --)"),
    (["run_tests.py", "--venv", "tests/test_tools.py"], "--venv runs no test: give it no pytest arguments"),
])
def test_bad_command_lines(args, line, tmp_path):
    result = tool(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: tools/{args[0]}: {line} (see tools/{args[0]} --help)\n"


def test_a_reader_that_stops_early_gets_no_traceback():  # tools/diff.py --all | head
    proc = subprocess.Popen([sys.executable, str(TOOLS / "diff.py"), "--all"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=60) in (0, 1)  # 0 if it had written everything before the reader left
    assert b"Traceback" not in proc.stderr.read()
    proc.stderr.close()



# --- without make (Windows): the README's commands, run as their POSIX equivalents ------------------

WINDOWS = "Without make (Windows)"
# what run_tests.py runs here: one test, not the suite, in one process (as on Windows, where the README's
# commands run)
TINY_TEST = ["--", "tests/test_tools.py", "-k", "colour_marks", "-n", "0"]


def readme_block(section, language):
    """The lines of the ```language block in the README's `## section`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(rf"```{language}\n(.*?)```", body, re.S).group(1).splitlines()


def as_posix(line, env):
    """Carry out one Windows command line of the README on this system: knobs go into env, a
    `python …` line runs (backslashes as slashes); return (the line, its CompletedProcess or None)."""
    line = re.sub(r"\s+#.*$", "", line).strip()  # PowerShell's comments
    knob = re.fullmatch(r"\$env:(\w+) = (\w+)|set (\w+)=(\w*)", line)
    gone = re.fullmatch(r"Remove-Item Env:(\w+)", line)
    if knob:
        name, value = knob.group(1) or knob.group(3), knob.group(2) if knob.group(1) else knob.group(4)
        env.pop(name, None) if value == "" else env.update({name: value})
        return line, None
    if gone:
        env.pop(gone.group(1))
        return line, None
    words = line.split()
    assert words[0] == "python", f"a command of the README's {WINDOWS!r} section the test cannot run: {line!r}"
    args = [word.replace("\\", "/") for word in words[1:]]
    if args[0] == "tools/run_tests.py":
        if not run_tests.up_to_date():
            pytest.skip("the pinned .venv is not built here (make venv)")
        args += TINY_TEST
    return line, subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("shell", ["powershell", "bat"])
def test_the_readme_commands_without_make(shell):
    env = environment({})  # offline, on the real dataset, no knob of the caller's
    ran = {}
    for line in readme_block(WINDOWS, shell):
        line, result = as_posix(line, env)
        if result:
            assert result.returncode == 0, f"{line}: {result.stderr}"
            ran[line] = result.stdout
        knob_set = "NUM_STEPS" in env
    assert set(ran) == {r"python steps\train0.py", r"python steps\train3.py", r"python tools\diff.py 3",
                        r"python tools\run_tests.py"}
    assert "step 1000 / 1000 |" in ran[r"python steps\train0.py"]  # before the knob: the defaults
    assert "step   50 /   50 |" in ran[r"python steps\train3.py"]  # with NUM_STEPS=50
    assert not knob_set, "the block leaves NUM_STEPS set"
    assert ran[r"python tools\diff.py 3"].startswith("train2.py -> train3.py: Step 3")
    assert re.search(r"^1 passed", ran[r"python tools\run_tests.py"], re.M)


def test_make_test_and_make_venv_are_run_tests_py():
    assert make("-n", "test").stdout.splitlines()[-1] == "python3 tools/run_tests.py"
    assert "python3 tools/run_tests.py --venv" in make("-n", "-W", "requirements.txt", "venv").stdout


def test_run_tests_says_when_python_is_too_old(monkeypatch, capsys):
    monkeypatch.setattr(run_tests, "OLDEST", (99, 0))
    monkeypatch.setattr(run_tests, "up_to_date", lambda: False)
    assert run_tests.main(["--venv"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {sys.executable} is Python ") and "the tests need Python 99.0 or newer" in err
    assert len(err.splitlines()) == 1


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_the_quick_mode_paragraph_says_how_to_clear_a_knob_in_bash():
    """`NUM_STEPS=50 python3 …` lasts one command, `export` until `unset`: as the README says, in a shell."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme.split("**Quick mode.**", 1)[1].split("\n\n", 1)[0]
    for words in ("`NUM_STEPS=50 python3 steps/train3.py`", "one command only", "`export NUM_STEPS=50`",
                  "`unset NUM_STEPS`"):
        assert words in paragraph, words
    script = (f'NUM_STEPS=3 "{sys.executable}" steps/train0.py | grep -c "^step"; '
              f'export NUM_STEPS=50; unset NUM_STEPS; "{sys.executable}" steps/train0.py | grep -c "^step"')
    result = subprocess.run(["sh", "-c", script], cwd=ROOT, env=environment({}), capture_output=True,
                            text=True)
    assert result.stdout.split() == ["3", "1000"], result.stderr


# --- building .venv: offline, one line instead of pip's noise ---------------------------------------

def dead_index(monkeypatch, tmp_path):
    """pip pointed at a closed port, with no cache and none of this machine's pip settings: offline."""
    monkeypatch.setattr(run_tests, "VENV", tmp_path / ".venv")  # never the worktree's own .venv
    monkeypatch.setattr(run_tests, "up_to_date", lambda: False)
    for name in [k for k in os.environ if k.startswith("PIP_")]:
        monkeypatch.delenv(name)
    for name, value in {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_CACHE_DIR": "1",
                        "PIP_CONFIG_FILE": os.devnull, "PIP_RETRIES": "1"}.items():
        monkeypatch.setenv(name, value)


def test_building_the_venv_offline_says_so_in_one_line(monkeypatch, tmp_path, capfd):
    dead_index(monkeypatch, tmp_path)
    built = run_tests.BUILT.stat().st_mtime_ns if run_tests.BUILT.exists() else None
    assert run_tests.main(["--venv"]) == 1
    out, err = capfd.readouterr()
    assert out == f"building .venv{os.sep} from requirements.txt (once, from the package index) …\n"
    assert err == run_tests.offline_error(tmp_path / ".venv") + "\n"  # one line, no pip
    assert err.startswith("error: building .venv needs the package index (pypi.org) once, and it cannot be")
    assert not (tmp_path / ".venv" / ".installed").exists()
    assert (run_tests.BUILT.stat().st_mtime_ns if run_tests.BUILT.exists() else None) == built


def test_another_pip_failure_is_shown_in_full(monkeypatch, tmp_path, capfd):
    dead_index(monkeypatch, tmp_path)
    bad = write(tmp_path / "requirements.txt", "not a requirement !!\n")
    monkeypatch.setattr(run_tests, "REQUIREMENTS", bad)
    assert run_tests.main(["--venv"]) == 1
    err = capfd.readouterr().err
    assert "ERROR: Invalid requirement: 'not a requirement !!'" in err
    assert err.endswith("error: installing requirements.txt into .venv failed (see above); "
                        "run this again to retry\n")


def test_only_an_unreachable_index_counts_as_offline():
    refused = ("WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) "
               "after connection broken by 'NewConnectionError('<…>: Failed to establish a new connection: "
               "[Errno 111] Connection refused')': /simple/asttokens/\n")
    missing = ("ERROR: Could not find a version that satisfies the requirement asttokens==3.0.2 "
               "(from versions: none)\nERROR: No matching distribution found for asttokens==3.0.2\n")
    untrusted = refused.replace("NewConnectionError", "SSLError")
    assert run_tests.offline(refused + missing)
    assert run_tests.offline(refused.replace("NewConnectionError", "ProxyError") + missing)
    assert not run_tests.offline(missing)  # the index answered: a pin it does not have
    assert not run_tests.offline(untrusted + missing)  # reached, but not trusted: pip's own words say more
    assert not run_tests.offline(refused + missing + "ERROR: Failed building wheel for numpy\n")


# --- make never changes the machine behind a learner's back -----------------------------------------

@posix_make
@pytest.mark.parametrize("told", [False, True], ids=["not-told", "INSTALL_CHROMIUM=1"])
def test_make_installs_chromium_only_when_told(tmp_path, told):
    """`make docs-check` needs chromium (through `make chromium`): where there is none, it says how to get
    it in one line, and runs apt-get only with INSTALL_CHROMIUM=1 (what CI sets). A stand-in apt-get
    records its calls; the PATH has no chromium."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    calls = tmp_path / "apt-get.calls"
    (bin_ / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (bin_ / "apt-get").chmod(0o755)
    (bin_ / "id").symlink_to(shutil.which("id"))  # the Makefile asks `id -u` when it is read
    env = {k: v for k, v in os.environ.items() if k not in ("CHROMIUM", "INSTALL_CHROMIUM")}
    env["PATH"] = str(bin_)
    result = subprocess.run([shutil.which("make"), "--no-print-directory", "-C", str(ROOT), "chromium",
                             *(["INSTALL_CHROMIUM=1"] if told else [])], env=env, capture_output=True, text=True)
    if told:
        assert result.returncode == 0, result.stderr
        assert calls.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]
    else:
        assert result.returncode != 0 and not calls.exists()
        assert result.stdout == ("error: no chromium here: sudo apt-get install chromium "
                                 "(or add INSTALL_CHROMIUM=1 to the make command)\n")


def test_only_tools_project_names_the_shared_folder():
    """../shared is beside the clone in CI only: where it is is written once (tools/project.py), and the
    tests look there only through tests/stepkit.py (names_txt, the reference log)."""
    for path in sorted((ROOT / "tests").glob("*.py")) + sorted((ROOT / "tools").glob("*.py")):
        if path.name == "project.py" or path == Path(__file__).resolve():  # (this test names it to look for it)
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Constant) and node.value == "shared"]
        assert not named, f"{path.relative_to(ROOT)}, line {named[0]}: names the shared folder; use project.SHARED"
