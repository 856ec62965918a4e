"""Run the tests in the pinned environment, building it first if needed: `make test` without make.

    python tools/run_tests.py                        # every test (what `make test` runs; on Windows too)
    python tools/run_tests.py --venv                 # only build or refresh .venv (what `make venv` runs)
    python tools/run_tests.py tests/test_train3.py   # some of the tests
    python tools/run_tests.py -- -x -k diff          # pytest's own options, after --

The environment is .venv beside steps/: made with this Python's venv module and the exact pins of
requirements.txt, then marked built (.venv/.installed); it is built again when requirements.txt is
newer than that mark. The tests then run with .venv's Python (.venv/bin/python, or
.venv\\Scripts\\python on Windows), from the repo's root folder, whatever the current folder.
"""

import os
import subprocess
import sys

from project import ROOT, command_line

VENV = ROOT / ".venv"
BUILT = VENV / ".installed"  # the Makefile's target for .venv: every verb that needs it depends on this
REQUIREMENTS = ROOT / "requirements.txt"
OLDEST = (3, 10)


def python():
    """The pinned environment's Python."""
    return VENV / "Scripts" / "python.exe" if os.name == "nt" else VENV / "bin" / "python"


def up_to_date():
    return BUILT.is_file() and python().exists() and BUILT.stat().st_mtime >= REQUIREMENTS.stat().st_mtime


def build():
    """Make .venv hold requirements.txt's pins; return an error line, or None."""
    if sys.version_info < OLDEST:
        return (f"error: {sys.executable} is Python {sys.version.split()[0]}; the tests need Python "
                f"{'.'.join(map(str, OLDEST))} or newer: run this with another python (with make: make PYTHON=python3.12 test)")
    print(f"building {VENV.name}{os.sep} from {REQUIREMENTS.name} (once; pip prints only problems) …", flush=True)
    if subprocess.run([sys.executable, "-m", "venv", str(VENV)]).returncode:
        return f"error: `{sys.executable} -m venv {VENV}` failed (see above)"
    pip = [str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)]
    if subprocess.run(pip).returncode:
        return f"error: installing {REQUIREMENTS.name} into {VENV.name} failed (see above); run this again to retry"
    BUILT.touch()
    return None


def main(argv=None):
    parser = command_line(__doc__)
    parser.add_argument("--venv", action="store_true", help="only build or refresh .venv, run no test")
    parser.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARG",
                        help="passed on to pytest (its options after --): test files, -k EXPR, -x, …")
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)} (pytest's own options go after --)")
    if args.venv and args.pytest_args:
        parser.error("--venv runs no test: give it no pytest arguments")
    if not up_to_date():
        error = build()
        if error:
            print(error, file=sys.stderr)
            return 1
    if args.venv:
        return 0
    return subprocess.run([str(python()), "-m", "pytest", "-q", *args.pytest_args], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
