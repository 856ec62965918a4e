"""Download names.txt on first use, verify it, write it atomically; and check a step's run before it starts.

    python3 tools/dataset.py [PATH]     # make data: fetch data/names.txt (a wrong file there is replaced)

Every step calls prepare(path) before its lesson, in its own process (runpy), so that the plumbing
lives here and the step starts like microgpt:
  - its command line: `--help` lists the step's knobs and their defaults; any other argument gets
    one line saying how knobs are set (they are environment variables);
  - the knobs' names: one the steps do not know but that is close to one (NUM_STEP, n_embd) gets
    "did you mean NUM_STEPS?" instead of a full run that ignores it;
  - the console: a name it cannot show prints as an escape (\\u674e) instead of failing, and a reader
    that closes the pipe early (`| head`) ends the run quietly;
  - the dataset: data/names.txt is downloaded when missing and verified (size and sha256; Windows
    line ends and a byte-order mark are the same names) every run; a DATASET of your own is trusted
    but must be UTF-8 text with names in it: not a folder, an HTML page or a binary.
Every failure is one line on stderr and a non-zero exit, no traceback, nothing half-written: a
download goes to a temporary file in the same folder, is checked, and only then renamed into place.
Standard library only and no import of the other tools: a step runs this with nothing but Python.
NAMES_URL overrides where the file is fetched from (a mirror, or a file:// URL in tests).
"""

import difflib
import errno
import hashlib
import os
import re
import sys
import tempfile

URL = "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
SIZE = 228_145
SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
NAMES = 32_033  # the lines of names.txt, for the message about a file that is not it
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATH = os.path.join(ROOT, "data", "names.txt")
TIMEOUT = 30  # seconds
SAVE_AS_UTF8 = "save it as UTF-8 (Notepad: File, Save as, Encoding UTF-8) and run again"
# How a step reads a knob: `NUM_STEPS = knob("NUM_STEPS", 1000)  # what it means`
KNOB_LINE = re.compile(r'^\s*\w+ = knob\("(\w+)", ([^)]+)\)\s*(?:#\s*(.*))?$', re.M)
DATASET_KNOB = ("DATASET", "data/names.txt", "your own file instead, one name per line")


class DatasetError(Exception):
    """A failure the user can act on; its message is the one line we print."""


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def in_notebook():
    """True in a Jupyter kernel (IPython puts __IPYTHON__ into builtins), where a step has no command line."""
    import builtins

    return bool(getattr(builtins, "__IPYTHON__", False))


def is_names_txt(data):
    """The real names.txt, as downloaded or as a Windows tool saved it (CRLF line ends, a byte-order mark)."""
    if len(data) == SIZE and sha256(data) == SHA256:
        return True
    plain = data.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    return len(plain) == SIZE and sha256(plain) == SHA256


def looks_like_html(text):
    start = text[:2048].lower()
    return start.lstrip().startswith("<") and ("<html" in start or "<!doctype" in start or "<head" in start)


def describe(data):
    """What a file that should be names.txt is instead, in a few words: 'an HTML page (135 bytes)'."""
    size = f"{len(data):,} bytes"
    if not data.strip():
        return f"an empty file ({size})" if data else "an empty file"
    if data.startswith(b"version https://git-lfs"):
        return f"a Git LFS pointer ({size}), not the file itself"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return f"not UTF-8 text ({size})"
    if looks_like_html(text):
        return f"an HTML page ({size}): a web page saved instead of the raw file"
    if "\0" in text:
        return f"UTF-16 text or a binary file ({size})"
    lines = sum(1 for line in text.split("\n") if line.strip())
    return f"a text file of {lines:,} lines ({size}), not the {NAMES:,} names ({SIZE:,} bytes)"


def by_hand(path):
    """What to do without network, in the words of where the learner is."""
    if in_notebook():
        return (f"In a notebook: download {URL} on a machine with network and put it beside this notebook "
                f"as names.txt, or set os.environ[\"DATASET\"] = \"/path/to/names.txt\" in the first cell; "
                f"then run the notebook again")
    return (f"To get it by hand (e.g. when offline): download {URL} on a machine with network, "
            f"save it as {path}, and run again; or run with DATASET=/path/to/your/names.txt")


def download(url, path, timeout=TIMEOUT):
    import urllib.request  # here, not at the top: a step that has its file never pays for the import

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except (OSError, ValueError) as e:  # URLError, HTTPError, timeouts and bad URLs are all OSError/ValueError
        reason = getattr(e, "reason", None) or e
        raise DatasetError(f"could not download {url} ({reason}). {by_hand(path)}") from None


def write_atomically(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".names-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the dataset is an ordinary readable file
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read(path):
    with open(path, "rb") as f:
        return f.read()


def wrong_file(path, data):
    again = "run this notebook again" if in_notebook() else "run again"
    return DatasetError(f"{path} is not the names.txt the steps learn from: it is {describe(data)}. "
                        f"Run `make data` (python3 tools/dataset.py) to replace it, or delete it and {again}")


def fetch(path=DEFAULT_PATH, url=None, replace=False):
    """Make sure `path` holds the verified names.txt; download it if it is missing. A wrong file there
    is an error, or with `replace` (make data) set aside as PATH.bad once the download is verified."""
    url = url or os.environ.get("NAMES_URL") or URL
    if os.path.exists(path):
        data = read(path)
        if is_names_txt(data):
            return path
        if not replace:
            raise wrong_file(path, data)
    print(f"downloading names.txt from {url} …", file=sys.stderr)
    data = download(url, path)
    if not is_names_txt(data):  # nothing has been written yet
        raise DatasetError(f"the file downloaded from {url} is not the expected names.txt (it is {describe(data)}; "
                           f"expected {SIZE:,} bytes, sha256 {SHA256[:12]}…); nothing was saved. {by_hand(path)}")
    if os.path.exists(path):
        os.replace(path, path + ".bad")  # the user's file is kept, never deleted
        print(f"kept the file that was there as {path}.bad", file=sys.stderr)
    write_atomically(path, data)
    print(f"saved {path} ({len(data):,} bytes, sha256 verified)", file=sys.stderr)
    return path


def check_own(path):
    """A DATASET of the user's own: no checksum, but it must be a UTF-8 text file with names in it."""
    if os.path.isdir(path):
        raise DatasetError(f"dataset {path} is a folder (DATASET must name a text file with one name per line)")
    if not os.path.isfile(path):
        raise DatasetError(f"dataset {path} not found (DATASET must name a text file with one name per line)")
    raw = read(path)
    try:
        text = raw.decode("utf-8-sig")  # "-sig": the byte-order mark some Windows editors put first is not a character
    except UnicodeDecodeError as e:
        raise DatasetError(f"dataset {path} is not UTF-8 text (byte {e.start} is 0x{raw[e.start]:02x}): {SAVE_AS_UTF8}")
    if "\0" in text:  # UTF-16 (Notepad's "Unicode") or a binary file
        raise DatasetError(f"dataset {path} is not UTF-8 text (it has NUL bytes): {SAVE_AS_UTF8}")
    if looks_like_html(text):
        raise DatasetError(f"dataset {path} is an HTML page, not one name per line: save the raw text "
                           f"(on GitHub: the Raw button, then File, Save as) and run again")
    if not text.strip():
        raise DatasetError(f"dataset {path} has no names in it (it is empty or only blank lines)")


def problem(path):
    """None when `path` holds the verified names.txt (downloaded now if it was missing); otherwise
    the one line that says what went wrong and what to do. (A notebook's setup cell calls this.)"""
    try:
        fetch(path)
    except DatasetError as e:
        return f"error: {e}"
    except OSError as e:  # e.g. data/ not writable
        return f"error: could not write {path} ({e.strerror or e})"
    return None


# --- what a step runs before its lesson ------------------------------------------------------------

def knobs(step=None):
    """[(name, default, meaning)] of the knobs a step reads (every step's, without `step`), DATASET last."""
    sources = [step] if step else sorted(os.path.join(ROOT, "steps", name) for name in os.listdir(
        os.path.join(ROOT, "steps")) if re.fullmatch(r"train\d+\.py", name))
    found = {}
    for source in sources:
        with open(source, encoding="utf-8") as f:
            for name, default, meaning in KNOB_LINE.findall(f.read()):
                found.setdefault(name, (name, default.strip(), meaning.strip()))
    return [*found.values(), DATASET_KNOB]


def step_of(argv, orig_argv):
    """The step this process runs as a script (`python3 steps/train3.py`), or None: a kernel, or a tool or
    test that runs the step in its own process (runpy sets argv[0] to the step, but the interpreter's
    original command line, orig_argv, is still the tool's)."""
    path = os.path.abspath(argv[0]) if argv else ""
    if os.path.dirname(path) != os.path.join(ROOT, "steps") or not re.fullmatch(r"train\d+\.py", os.path.basename(path)):
        return None
    return path if orig_argv[-len(argv):] == argv else None


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
    lines = [f"{shown}: {title}", "",
             f"Takes no arguments: every setting is a knob, an environment variable set for the run, e.g. "
             f"{how_to_set(step)}. An empty knob (NUM_STEPS=) is the same as an unset one.", "",
             f"  {'knob'.ljust(width)}  {'default'.ljust(14)}  meaning"]
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
    known = {knob for knob, _, _ in knobs()}
    example = how_to_set(step, name, value or "50") if name in known else how_to_set(step)
    sys.exit(f"error: {os.path.relpath(step, ROOT)} takes no arguments (got {first!r}): knobs are environment "
             f"variables, e.g. {example} (--help lists them)")


def check_knob_names(environ=os.environ):
    """A variable that is nearly a knob's name is a typo: better one line now than a run that ignores it."""
    known = [name for name, _, _ in knobs()]
    for name in sorted(environ):
        if name in known or name == "NAMES_URL":
            continue
        close = [k for k in known if k == name.upper()] or difflib.get_close_matches(name.upper(), known, 1, 0.8)
        if close:
            sys.exit(f"error: {name} is not a knob: did you mean {close[0]}? (unset {name} to go on; "
                     f"the knobs are {', '.join(known)})")


def quiet_console():
    """Names a console cannot show (a redirected Windows console is cp1252) print as escapes; a reader
    that closes the pipe early (`| head`) ends the run with status 0 instead of a traceback."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    hook = sys.excepthook

    def closed(error):  # on Windows a closed pipe can also be EINVAL
        return isinstance(error, BrokenPipeError) or (os.name == "nt" and getattr(error, "errno", 0) == errno.EINVAL)

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
    for name, _, _ in knobs(step)[:-1] if knob else ():  # DATASET, last, is a path
        knob(name, 1)
    try:
        if os.environ.get("DATASET", "").strip():
            check_own(path)
        else:
            fetch(path)
    except DatasetError as e:
        sys.exit(f"error: {e}")
    except OSError as e:  # e.g. data/ not writable
        sys.exit(f"error: could not write {path} ({e.strerror or e})")


def main(argv=None):
    try:  # part of the tools package, or run by path (python3 tools/dataset.py)
        from .project import command_line
    except ImportError:
        from project import command_line

    parser = command_line(__doc__, __file__)
    parser.add_argument("path", nargs="?", default=DEFAULT_PATH, metavar="PATH",
                        help="where to save it (default: data/names.txt at the repo root)")
    path = parser.parse_args(argv).path
    try:
        fetch(path, replace=True)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # e.g. data/ not writable
        print(f"error: could not write {path} ({e.strerror or e})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        from .project import run_main
    except ImportError:
        from project import run_main

    run_main(main)
