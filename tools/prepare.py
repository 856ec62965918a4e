"""What every step runs before its lesson: prepare(path, knob), in the step's own process (runpy), so
that the plumbing lives here and the step starts like microgpt:
  - its command line: `--help` lists the step's knobs and their defaults; any other argument gets
    one line saying how knobs are set (they are environment variables);
  - the knobs' names: one the steps do not know but that is close to one (NUM_STEP, n_embd) gets
    "did you mean NUM_STEPS?" instead of a full run that ignores it;
  - the console: a name it cannot show prints as an escape (\\u674e) instead of failing, and a reader
    that closes the pipe early (`| head`) ends the run quietly;
  - the dataset: data/names.txt is downloaded when missing and verified every run (tools/dataset.py);
    a DATASET of your own is trusted but must be UTF-8 text with names in it: not a folder, an HTML
    page or a binary.
Every failure is one line on stderr and a non-zero exit, no traceback. Standard library only, and no
import of the other tools: a step runs this by path, with nothing but Python (tools/dataset.py is
loaded by path too).
"""

import difflib
import errno
import os
import re
import runpy
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
SAVE_AS_UTF8 = "save it as UTF-8 (Notepad: File, Save as, Encoding UTF-8) and run again"
# How a step reads a knob: `NUM_STEPS = knob("NUM_STEPS", 1000)  # what it means`
KNOB_LINE = re.compile(r'^\s*\w+ = knob\("(\w+)", ([^)]+)\)\s*(?:#\s*(.*))?$', re.M)
DATASET_KNOB = ("DATASET", "data/names.txt", "your own file instead, one name per line")


def knobs(step):
    """[(name, default, meaning)] of the knobs the step at path `step` reads (its --help), DATASET last."""
    with open(step, encoding="utf-8") as f:
        found = {}
        for name, default, meaning in KNOB_LINE.findall(f.read()):
            found.setdefault(name, (name, default.strip(), meaning.strip()))
    return [*found.values(), DATASET_KNOB]


def every_knob():
    """The name of every knob any step reads: tools/project.py's KNOBS (loaded by path, as dataset.py is),
    so that a run reads no step's source but its own, and that one only for --help."""
    return runpy.run_path(os.path.join(TOOLS, "project.py"))["KNOBS"]


def a_step(path):
    """The absolute path, if `path` is one of this repository's steps (steps/trainN.py), else None."""
    path = os.path.abspath(path) if path else ""
    folder, name = os.path.split(path)
    return path if folder == os.path.join(ROOT, "steps") and re.fullmatch(r"train\d+\.py", name) else None


def step_of(argv, orig_argv):
    """The step this process runs as a script (`python3 steps/train3.py`), or None: a kernel, or a tool
    or test that runs the step in its own process (runpy sets argv[0] to the step, but the interpreter's
    original command line, orig_argv, is still the tool's)."""
    path = a_step(argv[0] if argv else None)
    return path if path and orig_argv[-len(argv) :] == argv else None


def how_to_set(step, name="NUM_STEPS", value="50"):
    """A knob set for one run, in this system's words."""
    shown = os.path.relpath(step, ROOT) if step else os.path.join("steps", "train3.py")
    make = f"make step{re.sub(r'[^0-9]', '', os.path.basename(shown))} {name}={value}"
    if os.name == "nt":
        return f"`set {name}={value}` (cmd) or `$env:{name} = {value}` (PowerShell), then `python {shown}`"
    return f"`{name}={value} python3 {shown}` or `{make}`"


def usage(step):
    """A step's --help: what it is, how knobs are set, each with its default."""
    shown = os.path.relpath(step, ROOT)
    with open(step, encoding="utf-8") as f:
        title = next((line.lstrip("# ").strip() for line in f if line.startswith("# Step")), shown)
    rows = knobs(step)
    width = max(len(name) for name, _, _ in rows)
    lines = [
        f"{shown}: {title}",
        "",
        f"Takes no arguments: every setting is a knob, an environment variable set for the run, e.g. "
        f"{how_to_set(step)}. An empty knob (NUM_STEPS=) is the same as an unset one.",
        "",
        f"  {'knob'.ljust(width)}  {'default'.ljust(14)}  meaning",
    ]
    lines += [f"  {name.ljust(width)}  {default.ljust(14)}  {meaning}" for name, default, meaning in rows]
    return "\n".join(lines)


def check_arguments(step, args):
    if not args:
        return
    if {"-h", "--help"} & set(args):
        print(usage(step))
        sys.exit(0)
    first = args[0]
    name, _, value = first.lstrip("-").partition("=")
    name = name.upper().replace("-", "_")
    value = value or (args[1] if len(args) > 1 and not args[1].startswith("-") else "")
    known = every_knob()
    example = how_to_set(step, name, value or "50") if name in known else how_to_set(step)
    sys.exit(
        f"error: {os.path.relpath(step, ROOT)} takes no arguments (got {first!r}): knobs are "
        f"environment variables, e.g. {example} (--help lists them)"
    )


def check_knob_names(environ=os.environ, known=None):
    """A variable that is nearly a knob's name is a typo: better one line now than a run that ignores it."""
    known = known or every_knob()
    for name in sorted(environ):
        if name in known or name == "NAMES_URL":
            continue
        upper = name.upper()
        close = [k for k in known if k == upper] or difflib.get_close_matches(upper, known, 1, 0.8)
        if close:
            sys.exit(
                f"error: {name} is not a knob: did you mean {close[0]}? (unset {name} to go on; "
                f"the knobs are {', '.join(known)})"
            )


def quiet_console():
    """Names a console cannot show (a redirected Windows console is cp1252) print as escapes; a reader
    that closes the pipe early (`| head`) ends the run with status 0 instead of a traceback."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    hook = sys.excepthook

    def closed(error):  # on Windows a closed pipe can also be EINVAL
        windows = os.name == "nt" and getattr(error, "errno", 0) == errno.EINVAL
        return isinstance(error, BrokenPipeError) or windows

    def excepthook(kind, error, traceback):
        if not closed(error):
            return hook(kind, error, traceback)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to write to
        os._exit(0)

    def flush_at_exit():  # the last lines may still be buffered when the reader has gone
        try:
            sys.stdout.flush()
        except OSError as error:
            if not closed(error):
                raise
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    import atexit

    sys.excepthook = excepthook
    atexit.register(flush_at_exit)


def own_problem(path, looks_like_html):
    """What is wrong with a DATASET of the user's own, or None: no checksum, but it must be a UTF-8 text
    file with names in it."""
    if os.path.isdir(path):
        return f"dataset {path} is a folder (DATASET must name a text file with one name per line)"
    if not os.path.isfile(path):
        return f"dataset {path} not found (DATASET must name a text file with one name per line)"
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8-sig")  # "-sig": a Windows editor's byte-order mark is not a character
    except UnicodeDecodeError as e:
        return f"dataset {path} is not UTF-8 text (byte {e.start} is 0x{raw[e.start]:02x}): {SAVE_AS_UTF8}"
    if "\0" in text:  # UTF-16 (Notepad's "Unicode") or a binary file
        return f"dataset {path} is not UTF-8 text (it has NUL bytes): {SAVE_AS_UTF8}"
    if looks_like_html(text):
        return (
            f"dataset {path} is an HTML page, not one name per line: save the raw text "
            f"(on GitHub: the Raw button, then File, Save as) and run again"
        )
    if not text.strip():
        return f"dataset {path} has no names in it (it is empty or only blank lines)"
    return None


def prepare(path, knob=None):
    """What a step runs before its lesson, in its own process: see this module's docstring. `path` is the
    dataset it will read: DATASET, or data/names.txt (downloaded now when missing). `knob` is the step's
    own reader: every knob set now is read with it at once, so that a bad value stops the run before
    it trains, not when the step reaches that knob."""
    step = step_of(sys.argv, getattr(sys, "orig_argv", []))
    if step:  # run as a script; in a kernel or a test, argv and the console are not the step's
        quiet_console()
        check_arguments(step, sys.argv[1:])
    check_knob_names()
    # the knobs of the step that runs (in a tool or a test: the file its knob() is from); in a kernel,
    # where the step is cells, not a file, every step's
    source = step or a_step(getattr(getattr(knob, "__code__", None), "co_filename", None))
    names = [name for name, _, _ in knobs(source)] if source else every_knob()
    for name in names if knob else ():
        if name != "DATASET":  # a path
            knob(name, 1)
    dataset = runpy.run_path(os.path.join(TOOLS, "dataset.py"))  # by path: tools/ is no package here
    if os.environ.get("DATASET", "").strip():
        problem = own_problem(path, dataset["looks_like_html"])
        problem = problem and f"error: {problem}"
    else:
        problem = dataset["problem"](path)
    if problem:
        sys.exit(problem)


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write(
        "error: tools/prepare.py is a library, not a command: every step runs it before its "
        "lesson, and tools/sample.py reads the knobs with it\n"
    )
    sys.exit(2)
