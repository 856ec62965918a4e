"""The tooling around the steps: the diff printer, the Makefile's verbs, the full-length checker, and
the command line of every tool in tools/."""

import ast
import errno
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import fcntl
except ImportError:  # Windows: pipes keep their size
    fcntl = None

from tools import diff, project, run_tests
from tools.measure import fidelity as check_full

from stepkit import OFFLINE_URL, ROOT, SHARED_REFERENCE_LOG, environment, posix_make, write

STEPS = project.step_numbers()


def make(*args):
    if os.name == "nt" or shutil.which("make") is None:
        pytest.skip("needs make (on Windows: the README's 'Without make' commands, tested below)")
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args], capture_output=True, text=True
    )


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
    heads = [
        line for line in capsys.readouterr().out.splitlines() if " -> " in line and line.startswith("train")
    ]
    assert [h.split(":")[0] for h in heads] == [f"train{n - 1}.py -> train{n}.py" for n in range(1, 6)]


def test_a_step_without_a_previous_one_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as exit:
        diff.main(["0"])
    assert exit.value.code == 2
    assert capsys.readouterr().err == (
        "error: tools/diff.py: argument N: invalid choice: 0 (choose from 1, 2, 3, 4, 5)"
        " (see tools/diff.py --help)\n"
    )


def test_the_code_diff_leaves_prose_out_and_reindenting_in_as_unchanged():
    old = '"""Doc."""\nx = 1\n# why\n\ny = x\nprint(y)\n'
    new = '"""Doc, longer."""\nx = 1\nfor i in range(2):\n    y = x  # now in a loop\n\n    print(y)\nz = 3\n'
    lines, reindented = diff.code_diff(old, new)
    assert lines == [
        "@@ -2,3 +2,5 @@\n",
        " x = 1\n",
        "+for i in range(2):\n",
        "     y = x\n",
        "     print(y)\n",
        "+z = 3\n",
    ]
    assert reindented == 2


def test_diff_code_of_the_steps(capsys):
    """--code: the header, the count line, then a unified diff in which every line is code of a step."""
    assert diff.main(["4", "--code"]) == 0
    out = capsys.readouterr().out.splitlines(keepends=True)
    assert out[0] == f"train3.py -> train4.py: {diff.title(4)}\n"
    count = re.fullmatch(
        r"code only \(no docstrings, comments or blank lines\); (\d+) re-indented lines? "
        r"shown as unchanged\n",
        out[1],
    )
    assert count and int(count.group(1)) > 0, out[1]  # train4 moves the block into its loop over layers
    assert out[2:4] == ["--- steps/train3.py\n", "+++ steps/train4.py\n"]
    code = set(diff.code_lines(diff.read(3))) | set(diff.code_lines(diff.read(4)))
    body = [line for line in out[4:] if not line.startswith("@@") and line != "\n"]
    assert body and all(line[0] in " +-" and line[1:] in code for line in body)
    assert diff.main(["--all", "--code"]) == 0
    heads = [line for line in capsys.readouterr().out.splitlines() if line.startswith("code only (")]
    assert len(heads) == len(STEPS) - 1


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


@pytest.mark.parametrize("verb", ["help", "help-dev"])
def test_make_help_read_only_in_part_ends_quietly(verb):
    """`make | head -1`: the reader leaves after a line; make says nothing of a broken pipe, exit status 0."""
    make("--version")  # (skips where there is no make)
    command = f"make --no-print-directory -C {shlex.quote(str(ROOT))} {verb} | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True)
    assert (result.returncode, result.stderr, len(result.stdout.splitlines())) == (0, "", 1), result


def test_make_lists_the_learners_and_the_teachers_verbs_and_help_dev_the_rest():
    out, dev = make().stdout, make("help-dev").stdout
    assert len(out.splitlines()) <= 14, out
    for verb in (
        "step0",
        "diff1",
        "diffs",
        "sample5",
        "test",
        "data",
        "lab",
        "docs",
        "lite",
        "nbgrader",
        "clean",
    ):
        assert verb in out
    for verb in (
        "notebooks",
        "exercises",
        "figures",
        "ladder",
        "bench",
        "fidelity",
        "lab-proof",
        "lite-proof",
        "docs-proof",
        "grade-proof",
        "lite-lock",
    ):
        assert f"make {verb} " in dev and f"make {verb} " not in out


def test_make_passes_knobs_through_to_the_steps(tmp_path):
    result = make("-n", "step3", "NUM_STEPS=7")
    assert result.returncode == 0 and "steps/train3.py" in result.stdout
    names = write(tmp_path / "names.txt", "anna\nbob\n")  # any dataset will do: the real one is not needed
    result = make("step0", "NUM_STEPS=2", "NUM_SAMPLES=1", f"DATASET={names}")
    assert "step    2 /    2" in result.stdout, result.stderr


def test_make_diff_prints_the_diff():
    result = make("diff2")
    assert result.returncode == 0 and result.stdout.startswith("train1.py -> train2.py: Step 2")


STEP_USAGE = f"usage: make stepN (N = {STEPS[0]}…{STEPS[-1]}), e.g. make step3 NUM_STEPS=50"
DIFF_USAGE = (
    f"usage: make diffN (N = {STEPS[1]}…{STEPS[-1]}), e.g. make diff3 CODE=1 (make diffs: all of them)"
)


@pytest.mark.parametrize(
    "verb,line", [("step", STEP_USAGE), (f"step{STEPS[-1] + 1}", STEP_USAGE), ("diff", DIFF_USAGE)]
)
def test_make_without_a_step_number_prints_its_usage(verb, line):
    """Not make's built-in rules (which ran `python3 steps/train.o.py`): one usage line, exit status 2."""
    result = make(verb)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == line, result.stderr
    assert "train" not in result.stderr.split("\n", 1)[1]


def test_make_has_no_built_in_rules_and_every_verb_still_works():
    assert "%.o: %.c" not in make("-p", "-n", "help").stdout
    verbs = re.findall(r"^  make ([a-z-]+)\s", make().stdout + make("help-dev").stdout, re.M)
    assert {"help-dev", "test", "lab", "lab-proof", "lite", "clean"} <= set(verbs)
    verbs += [
        "lab-check",
        "lite-check",
        "docs-check",
        "grade-check",
        "check-full",
    ]  # the old names still work
    for verb in verbs + [f"step{STEPS[0]}", f"diff{STEPS[-1]}"]:
        result = make("-n", verb)
        assert result.returncode == 0, f"make -n {verb}: {result.stderr}"


@pytest.mark.parametrize(
    "args,command",
    [
        (["diff4"], "tools/diff.py 4"),
        (["diff4", "CODE=1"], "tools/diff.py 4 --code"),
        (["diffs"], "tools/diff.py --all"),
        (["diffs", "CODE=1"], "tools/diff.py --all --code"),
    ],
)
def test_make_diff_code_1_is_the_code_only_diff(args, command):
    assert make("-n", *args).stdout.splitlines() == [f"python3 {command}"]


def test_the_readme_shows_both_diffs_and_make_help_the_code_knob():
    block = [line.split("#")[0].split() for line in readme_block("Reading the diffs", "sh")]
    assert ["make", "diff4", "CODE=1"] in block and ["make", "diffs"] in block
    assert "CODE=1: code only" in make("help").stdout


def test_check_full_reads_the_figures_of_a_run():
    out = (
        "num docs: 3\nvocab size: 4\nstep    1 /    2 | loss 3.0000\nstep    2 /    2 | loss 2.0000\n\n"
        "--- inference (new, hallucinated names) ---\nsample  1: ab\nsample  2: \n"
    )
    assert check_full.figures(out) == (3.0, 2.0, 2.5, "ab ")
    assert check_full.compare_log("a\nb\n", "a\nc\n") == "line 2 differs: 'b' vs reference 'c'"
    assert check_full.compare_log("a\n", "a\n") is None
    check = "gradient check | loss_n 1 | loss_a 1 | max diff 0\n"
    checked = out.replace("vocab size: 4\n", "vocab size: 4\n" + check)
    assert check_full.without_gradient_check(checked) == out


def test_the_golden_copy_of_the_reference_log_is_the_reference():
    if not SHARED_REFERENCE_LOG.is_file():
        pytest.skip("no ../shared/reference beside the repo (CI has it; a learner's clone does not need it)")
    assert (ROOT / "tests" / "golden" / "train5.log").read_bytes() == SHARED_REFERENCE_LOG.read_bytes()


# --- the command line of every tool ------------------------------------------------------------------

TOOLS = ROOT / "tools"
# The files in tools/ that are not commands: modules the tools and notebooks import, JupyterLab's config.
MODULES = {
    "browser/driver.py",
    "nbgrader/audit.py",
    "exercises/wrong.py",
    "generate/kernel_metadata.py",
    "generate/picture_cells.py",
    "generate/setup_cell.py",
    "lab/config.py",
    "prepare.py",
    "project.py",
    "sampling.py",
    "steprun.py",
    "exercises/common.py",
    "exercises/attention.py",
    "exercises/compare.py",
    "site/ext.py",
    *(f"exercises/train{n}.py" for n in range(6)),
    *(f"exercises/worked{n}.py" for n in range(2, 6)),
    "pictures/draw.py",
    "pictures/heads.py",
    *(f"pictures/train{n}.py" for n in range(6)),
}
EVERY_FILE = sorted(p.relative_to(TOOLS).as_posix() for p in TOOLS.rglob("*.py") if p.name != "__init__.py")
COMMANDS = [name for name in EVERY_FILE if name not in MODULES]
NO_VENV = ("-S", "-E", "-s")  # python without site-packages: as if run by a python3 without the pinned .venv


def typed(name):
    """How the user runs a command of tools/: a learner's by path, a room's as a module (from the repo)."""
    return f"tools/{name}" if "/" not in name else "python3 -m tools." + name[:-3].replace("/", ".")


def tool(name, *args, cwd, python_flags=()):
    """Run tools/NAME as the user would (typed()); a room's module from the repo's folder, as -m needs."""
    env = dict(os.environ, NAMES_URL=OFFLINE_URL)  # should a tool try a download, it fails at once
    how = [str(TOOLS / name)] if "/" not in name or name in MODULES else ["-m", typed(name).split()[-1]]
    return subprocess.run(
        [sys.executable, *python_flags, *how, *args],
        cwd=cwd if how[0] != "-m" else ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def files_of_the_repo():
    """Every file of the checkout (ignored ones too), with its size and modification time."""
    skip = {".git", "__pycache__", ".pytest_cache"}
    found = {}
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith(".venv")]  # pip's, not a tool's
        for name in files:
            stat = os.stat(os.path.join(folder, name))
            found[os.path.join(folder, name)] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.mark.parametrize("name", COMMANDS)
def test_help_prints_the_usage_and_does_nothing_else(name, tmp_path):
    before = files_of_the_repo()
    result = tool(name, "--help", cwd=tmp_path)
    assert list(tmp_path.iterdir()) == [], "--help wrote into the current folder"
    assert files_of_the_repo() == before, "--help changed the checkout"
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"usage: {typed(name)} [-h]"), result.stdout[:200]
    assert project.tool_name(TOOLS / name) == typed(name).replace("/", os.sep, 1 if "/" not in name else 0)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_library_run_directly_says_which_command_uses_it(name, tmp_path):
    """One line, exit status 2 (the status of a bad command line): it is no command, and it names one;
    asked for --help, it says the same and does nothing else."""
    before = files_of_the_repo()
    result = tool(name, "--help", cwd=tmp_path)
    assert list(tmp_path.iterdir()) == [] and files_of_the_repo() == before, "a library wrote a file"
    assert (result.returncode, result.stdout) == (2, "")
    what = "JupyterLab's config" if name == "lab/config.py" else "a library"
    assert re.fullmatch(rf"error: tools/{name} is {what}, not a command: .+\n", result.stderr), result.stderr
    named = re.findall(r"tools/([\w/]+\.py)|`make ([a-z-]+)`", result.stderr.split(": ", 2)[2])
    assert any(py in COMMANDS or verb for py, verb in named), result.stderr


def test_the_files_of_tools_are_commands_or_libraries_as_the_tests_say():
    """A command reads its command line with project.command_line; a library has none."""
    for name in EVERY_FILE:
        tree = ast.parse((TOOLS / name).read_text(encoding="utf-8"))
        calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
        names = [getattr(func, "id", None) or getattr(func, "attr", None) for func in calls]
        has = "command_line" in names  # command_line(…) or project.command_line(…)
        assert has == (name in COMMANDS), f"tools/{name}: {'a command' if has else 'no command'}; fix MODULES"


def test_tools_readme_lists_every_command_with_its_make_verb():
    """tools/README.md: one row per command (as the user types it) and every file of tools/ named once."""
    text = (TOOLS / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \|", text, re.M)
    assert sorted(rows) == sorted(typed(name) for name in COMMANDS)
    for name in EVERY_FILE:
        assert f"`{name}`" in text or f"tools/{name}" in text or typed(name) in text, name


@pytest.mark.parametrize("name", COMMANDS)
def test_a_bad_argument_is_one_line_and_exit_status_2(name, tmp_path):
    result = tool(name, "--no-such-option", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: {typed(name)}: unrecognized arguments: --no-such-option")
    assert result.stderr.endswith(f" (see {typed(name)} --help)\n")


@pytest.mark.parametrize("name", COMMANDS)
def test_without_the_pinned_environment_a_tool_says_so_in_one_line(name, tmp_path):
    """--help still helps (a stdlib-only tool prints its usage; one that needs the .venv, its docstring
    and how to get the .venv); anything else is the one line, exit 1."""
    result = tool(name, "--help", cwd=tmp_path, python_flags=NO_VENV)
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr
    shown = re.escape(typed(name))
    venv = re.escape(
        typed(name).replace("python3 ", ".venv/bin/python ")
        if "/" in name
        else f".venv/bin/python tools/{name}"
    )
    needs = (
        rf"{shown} needs the project's pinned environment \(\w+ is not installed here\): "
        rf"run `make venv`, then `{venv}`\n"
    )
    if not result.stdout.startswith(f"usage: {typed(name)}"):
        assert re.search(needs + r"\Z", result.stdout), result.stdout
        result = tool(name, cwd=tmp_path, python_flags=NO_VENV)
        assert result.returncode == 1 and result.stdout == ""
        assert re.fullmatch("error: " + needs, result.stderr), result.stderr


def test_the_notebook_generator_without_the_pinned_environment():
    result = tool("generate/notebooks.py", "--stale", cwd=ROOT, python_flags=NO_VENV)
    assert result.returncode == 1
    assert result.stderr == (
        "error: python3 -m tools.generate.notebooks needs the project's pinned environment (jupytext is not "
        "installed here): run `make venv`, then `.venv/bin/python -m tools.generate.notebooks`\n"
    )


@pytest.mark.parametrize(
    "args,line",
    [
        (["diff.py"], "which diff? give a step number N, --all or --count"),
        (["diff.py", "9"], "argument N: invalid choice: 9 (choose from 1, 2, 3, 4, 5)"),
        (["diff.py", "x"], "argument N: invalid int value: 'x'"),
        (["diff.py", "--all", "--count"], "argument --count: not allowed with argument --all"),
        (["diff.py", "--count", "--code"], "--count counts code lines already: give it no --code"),
        (["diff.py", "--code"], "which diff? give a step number N, --all or --count"),
        (["dataset.py", "a.txt", "b.txt"], "unrecognized arguments: b.txt"),
        (
            ["measure/bench.py", "--only", "2,9"],
            "argument --only: no step '9' (the steps are 0, 1, 2, 3, 4, 5)",
        ),
        (["measure/bench.py", "--steps", "0"], "argument --steps: '0' is not a positive integer"),
        (["measure/ladder.py", "--steps", "ten"], "argument --steps: 'ten' is not a positive integer"),
        (
            ["measure/ladder.py", "--steps", "3"],
            "a quick or partial run must not overwrite the committed docs/results/: add --out DIR",
        ),
        (["exercises/student.py", "--list", "--stale"], "argument --stale: not allowed with argument --list"),
        (["generate/notebooks.py", "--stale", "now"], "unrecognized arguments: now"),
        (["measure/fidelity.py", "--quick"], "unrecognized arguments: --quick"),
        (["run_tests.py", "-k", "diff"], "unrecognized arguments: -k (pytest's own options go after --)"),
        (
            ["run_tests.py", "--venv", "tests/test_tools.py"],
            "--venv runs no test: give it no --notebooks and no pytest arguments",
        ),
        (
            ["run_tests.py", "--venv", "--notebooks"],
            "--venv runs no test: give it no --notebooks and no pytest arguments",
        ),
    ],
)
def test_bad_command_lines(args, line, tmp_path):
    result = tool(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {typed(args[0])}: {line} (see {typed(args[0])} --help)\n"


# `| head` and the like: the reader closes the pipe early. Every command then ends quietly (no traceback,
# exit status 0, so make prints no Error line) through project.run_main. Output is buffered as in a
# learner's shell (no PYTHONUNBUFFERED), so that --help's small text meets the closed pipe at exit.
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def gone_reader():
    """A pipe whose reader has already left (`| true`): (its write end, to give a tool as stdout)."""
    read, write = os.pipe()
    os.close(read)
    return write


def one_line_then_close(args):
    """Run args with stdout a real pipe, read ONE line and close it, as `| head -1` does: (exit status,
    the line, stderr). On Linux the pipe holds one page, so a longer output must meet the closed pipe."""
    read, write = os.pipe()
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
    proc = subprocess.Popen(args, stdout=write, stderr=subprocess.PIPE, cwd=ROOT, env=BUFFERED)
    os.close(write)
    with os.fdopen(read, "rb") as out:
        line = out.readline().decode()
    err = proc.communicate(timeout=120)[1].decode()
    return proc.returncode, line, err


@pytest.mark.parametrize("name", COMMANDS)
def test_a_reader_that_left_ends_every_command_quietly(name):
    write = gone_reader()
    try:
        how = [str(TOOLS / name)] if "/" not in name else ["-m", typed(name).split()[-1]]
        result = subprocess.run(
            [sys.executable, *how, "--help"],
            stdout=write,
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
            env=BUFFERED,
            timeout=120,
        )
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("args", [["--all"], ["--all", "--code"], ["4"]])
def test_diff_into_head_ends_quietly(args):
    code, line, err = one_line_then_close([sys.executable, str(TOOLS / "diff.py"), *args])
    assert line.startswith("train")
    assert (code, err) == (0, "")


@posix_make
@pytest.mark.parametrize("args", [["diffs"], ["diffs", "CODE=1"]])
def test_make_diffs_into_head_prints_no_error(args):
    code, line, err = one_line_then_close(["make", "--no-print-directory", *args])
    assert line.startswith("train0.py -> train1.py")
    assert (code, err) == (0, "")  # make's "*** [diffs] Error 1" came from the tool's exit status


def test_run_main_exits_with_the_tools_status():
    for main, status in [(lambda: 0, 0), (lambda: 3, 3), (lambda: sys.exit("error: x"), "error: x")]:
        with pytest.raises(SystemExit) as exit:
            project.run_main(main)
        assert exit.value.code == status


@pytest.mark.parametrize("windows", [False, True])
def test_a_closed_pipe_on_windows_may_be_einval(monkeypatch, windows):
    monkeypatch.setattr(project, "WINDOWS", windows)
    assert project.reader_left(BrokenPipeError(errno.EPIPE, "Broken pipe"))
    assert project.reader_left(OSError(errno.EINVAL, "Invalid argument")) == windows
    assert not project.reader_left(OSError(errno.EINVAL, "Invalid argument", "a:b.txt"))  # a bad file name
    assert not project.reader_left(OSError(errno.ENOSPC, "No space left on device"))


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
    assert words[0] == "python", (
        f"a command of the README's {WINDOWS!r} section the test cannot run: {line!r}"
    )
    args = [word.replace("\\", "/") for word in words[1:]]
    if args[0] == "tools/run_tests.py":
        if not run_tests.up_to_date():
            pytest.skip("the pinned .venv is not built here (make venv)")
        args += TINY_TEST
    key = (tuple(args), tuple(sorted((k, v) for k, v in env.items() if k != "PYTEST_CURRENT_TEST")))
    if key not in RAN:  # the two shells' blocks run the same commands: each once (one worker: conftest.py)
        RAN[key] = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
    return line, RAN[key]


RAN = {}  # as_posix()'s runs: (arguments, environment) -> CompletedProcess


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
    assert set(ran) == {
        r"python steps\train0.py",
        r"python steps\train3.py",
        r"python tools\diff.py 3",
        r"python tools\run_tests.py",
    }
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
    assert (
        err.startswith(f"error: {sys.executable} is Python ") and "the tests need Python 99.0 or newer" in err
    )
    assert len(err.splitlines()) == 1


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_the_quick_mode_paragraph_says_how_to_clear_a_knob_in_bash():
    """`NUM_STEPS=50 python3 …` lasts one command, `export` until `unset`: as the README says, in a shell."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme.split("**Quick mode.**", 1)[1].split("\n\n", 1)[0]
    for words in (
        "`NUM_STEPS=50 python3 steps/train3.py`",
        "one command only",
        "`export NUM_STEPS=50`",
        "`unset NUM_STEPS`",
    ):
        assert words in paragraph, words
    script = (
        f'NUM_STEPS=3 "{sys.executable}" steps/train0.py | grep -c "^step"; '
        f'export NUM_STEPS=50; unset NUM_STEPS; "{sys.executable}" steps/train0.py | grep -c "^step"'
    )
    result = subprocess.run(
        ["sh", "-c", script], cwd=ROOT, env=environment({}), capture_output=True, text=True
    )
    assert result.stdout.split() == ["3", "1000"], result.stderr


# --- building .venv: offline, one line instead of pip's noise ---------------------------------------


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """The folder both tests below build a venv in (never the worktree's own .venv)."""
    return tmp_path_factory.mktemp("venv") / ".venv"


def dead_index(monkeypatch, venv):
    """pip pointed at a closed port, with no cache and none of this machine's pip settings: offline.
    A venv the test before made is used again: `-m venv` (ensurepip) takes seconds, and pip's output
    is what the tests read (the two share a worker: conftest.py)."""
    monkeypatch.setattr(run_tests, "VENV", venv)
    if (venv / "pyvenv.cfg").is_file():
        real = subprocess.run

        def run(command, **options):
            made = command[1:3] == ["-m", "venv"]
            return subprocess.CompletedProcess(command, 0) if made else real(command, **options)

        monkeypatch.setattr(run_tests.subprocess, "run", run)
    monkeypatch.setattr(run_tests, "up_to_date", lambda: False)
    for name in [k for k in os.environ if k.startswith("PIP_")]:
        monkeypatch.delenv(name)
    for name, value in {
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_RETRIES": "1",
    }.items():
        monkeypatch.setenv(name, value)


def test_building_the_venv_offline_says_so_in_one_line(monkeypatch, venv, capfd):
    dead_index(monkeypatch, venv)
    built = run_tests.BUILT.stat().st_mtime_ns if run_tests.BUILT.exists() else None
    assert run_tests.main(["--venv"]) == 1
    out, err = capfd.readouterr()
    assert out == f"building .venv{os.sep} from requirements.txt (once, from the package index) …\n"
    assert err == run_tests.offline_error(venv) + "\n"  # one line, no pip
    assert err.startswith("error: building .venv needs the package index (pypi.org) once, and it cannot be")
    assert not (venv / ".installed").exists()
    assert (run_tests.BUILT.stat().st_mtime_ns if run_tests.BUILT.exists() else None) == built


def test_another_pip_failure_is_shown_in_full(monkeypatch, venv, tmp_path, capfd):
    dead_index(monkeypatch, venv)
    bad = write(tmp_path / "requirements.txt", "not a requirement !!\n")
    monkeypatch.setattr(run_tests, "REQUIREMENTS", bad)
    assert run_tests.main(["--venv"]) == 1
    err = capfd.readouterr().err
    assert "ERROR: Invalid requirement: 'not a requirement !!'" in err
    assert err.endswith(
        "error: installing requirements.txt into .venv failed (see above); run this again to retry\n"
    )


def test_only_an_unreachable_index_counts_as_offline():
    refused = (
        "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) "
        "after connection broken by 'NewConnectionError('<…>: Failed to establish a new connection: "
        "[Errno 111] Connection refused')': /simple/asttokens/\n"
    )
    missing = (
        "ERROR: Could not find a version that satisfies the requirement asttokens==3.0.2 "
        "(from versions: none)\nERROR: No matching distribution found for asttokens==3.0.2\n"
    )
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
    """`make docs-proof` needs chromium (through `make chromium`): where there is none, it says how to get
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
    result = subprocess.run(
        [
            shutil.which("make"),
            "--no-print-directory",
            "-C",
            str(ROOT),
            "chromium",
            *(["INSTALL_CHROMIUM=1"] if told else []),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if told:
        assert result.returncode == 0, result.stderr
        assert calls.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]
    else:
        assert result.returncode != 0 and not calls.exists()
        assert result.stdout == (
            "error: no chromium here: sudo apt-get install chromium "
            "(or add INSTALL_CHROMIUM=1 to the make command)\n"
        )


def test_only_tools_project_names_the_shared_folder():
    """../shared is beside the clone in CI only: where it is is written once (tools/project.py), and the
    tests look there only through tests/stepkit.py (names_txt, the reference log)."""
    for path in sorted((ROOT / "tests").glob("*.py")) + sorted((ROOT / "tools").glob("*.py")):
        if (
            path.name == "project.py" or path == Path(__file__).resolve()
        ):  # (this test names it to look for it)
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value == "shared"
        ]
        assert not named, (
            f"{path.relative_to(ROOT)}, line {named[0]}: names the shared folder; use project.SHARED"
        )
