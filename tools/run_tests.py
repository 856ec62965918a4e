"""Run the tests in the pinned environment, building it first if needed: `make test` without make.

    python tools/run_tests.py                        # the tests (what `make test` runs; on Windows too)
    python tools/run_tests.py --notebooks            # every notebook run in a kernel (make test-notebooks)
    python tools/run_tests.py --venv                 # only build or refresh .venv (what `make venv` runs)
    python tools/run_tests.py tests/test_train3.py   # some of the tests
    python tools/run_tests.py -- -x -k diff          # pytest's own options, after --
    python tools/run_tests.py -- -n 0                # in one process, as a plain `pytest` runs them

The environment is .venv beside steps/: made with this Python's venv module and the exact pins of
requirements.txt, then marked built (.venv/.installed); it is built again when requirements.txt is
newer than that mark. The tests then run with .venv's Python (.venv/bin/python, or
.venv\\Scripts\\python on Windows), from the repo's root folder, whatever the current folder; in
parallel (pytest-xdist, one worker per core) except on Windows, the tests that share an expensive
run on one worker (tests/conftest.py says which). Options after -- come last, so they win.
Building needs the package index once: where pip cannot reach it, one line says so instead of pip's
retries and errors; pip's output is shown in full only when it fails for another reason.
"""

import os
import re
import subprocess
import sys

try:  # part of the tools package (python3 -m tools.X, the workshop, the tests), or run by path
    from .project import ROOT, command_line, run_main
except ImportError:  # python3 tools/run_tests.py: tools/ is the script's folder
    from project import ROOT, command_line, run_main

VENV = ROOT / ".venv"
BUILT = VENV / ".installed"  # the Makefile's target for .venv: every verb that needs it depends on this
REQUIREMENTS = ROOT / "requirements.txt"
OLDEST = (3, 10)
# pip's retry warnings when no connection to the index could be made (a TLS or HTTP error is another failure)
UNREACHABLE = re.compile(
    r"after connection broken by '(?:NewConnectionError|ConnectTimeoutError|ProxyError"
    r"|ReadTimeoutError)"
)
NOT_FOUND = re.compile(r"ERROR: (?:Could not find a version that satisfies|No matching distribution found) ")
# Not on Windows: there the notebook tests' kernels talk over TCP (tests/stepkit.py's execute_notebook),
# and kernels started by two workers at once can be handed the same free port.
PARALLEL = [] if os.name == "nt" else ["-n", "auto", "--dist", "loadgroup"]


def python(venv=None):
    """The pinned environment's Python."""
    venv = venv or VENV
    return venv / "Scripts" / "python.exe" if os.name == "nt" else venv / "bin" / "python"


def up_to_date():
    return BUILT.is_file() and python().exists() and BUILT.stat().st_mtime >= REQUIREMENTS.stat().st_mtime


def offline(pip_output):
    """Whether pip failed only because it could not reach the package index: nothing but "no matching
    distribution" errors, after retries that never connected."""
    errors = [line for line in pip_output.splitlines() if line.startswith("ERROR:")]
    return bool(errors and all(NOT_FOUND.match(line) for line in errors) and UNREACHABLE.search(pip_output))


def offline_error(venv):
    again = r"python tools\run_tests.py" if os.name == "nt" else "make test"
    return (
        f"error: building {venv.name} needs the package index (pypi.org) once, and it cannot be reached: "
        f"connect to the network and run `{again}` again (nothing else needs the index: the steps run "
        f"without {venv.name})"
    )


def build(venv=None, pip_options=(), env=None):
    """Make `venv` (.venv) hold requirements.txt's pins; return an error line, or None. pip's output is
    shown only when it fails for another reason than an unreachable index."""
    venv = venv or VENV
    if sys.version_info < OLDEST:
        return (
            f"error: {sys.executable} is Python {sys.version.split()[0]}; the tests need Python "
            f"{'.'.join(map(str, OLDEST))} or newer: run this with another python (with make: make "
            "PYTHON=python3.12 test)"
        )
    print(
        f"building {venv.name}{os.sep} from {REQUIREMENTS.name} (once, from the package index) …", flush=True
    )
    if subprocess.run([sys.executable, "-m", "venv", str(venv)], env=env).returncode:
        return f"error: `{sys.executable} -m venv {venv}` failed (see above)"
    pip = [
        str(python(venv)),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        *pip_options,
        "-r",
        str(REQUIREMENTS),
    ]
    result = subprocess.run(
        pip, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    )
    if result.returncode and offline(result.stdout):
        return offline_error(venv)
    print(result.stdout, end="", file=sys.stderr, flush=True)  # why it failed, or a good install's warnings
    if result.returncode:
        return (
            f"error: installing {REQUIREMENTS.name} into {venv.name} failed (see above); "
            "run this again to retry"
        )
    (venv / BUILT.name).touch()
    return None


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument("--venv", action="store_true", help="only build or refresh .venv, run no test")
    parser.add_argument(
        "--notebooks",
        action="store_true",
        help="run the tests that execute a notebook in a fresh Jupyter kernel (the others leave them out)",
    )
    parser.add_argument(
        "pytest_args",
        nargs="*",
        metavar="PYTEST_ARG",
        help="passed on to pytest (its options after --): test files, -k EXPR, -x, …",
    )
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)} (pytest's own options go after --)")
    if args.venv and (args.pytest_args or args.notebooks):
        parser.error("--venv runs no test: give it no --notebooks and no pytest arguments")
    if not up_to_date():
        error = build()
        if error:
            print(error, file=sys.stderr)
            return 1
    if args.venv:
        return 0
    which = ["-m", "kernel"] if args.notebooks else []  # pytest.ini leaves them out otherwise
    pytest = [str(python()), "-m", "pytest", "-q", *PARALLEL, *which, *args.pytest_args]
    return subprocess.run(pytest, cwd=ROOT).returncode


if __name__ == "__main__":
    run_main(main)
