"""Download names.txt, verify it (size, sha256), write it atomically: make data, or a step or notebook
on first use (NAMES_URL: from there).

    python3 tools/dataset.py [PATH]    # default data/names.txt; a wrong file there is replaced
"""

import builtins
import hashlib
import os
import sys
import tempfile

URL = "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
SIZE = 228_145
SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"


def is_names_txt(data):  # also as saved by a Windows tool: CRLF, a BOM
    plain = data.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    return len(plain) == SIZE and hashlib.sha256(plain).hexdigest() == SHA256


def looks_like_html(text):
    start = text[:2048].lower()
    return start.lstrip().startswith("<") and ("<html" in start or "<!doctype" in start)


def describe(data):  # what a file is instead of names.txt
    size, text = f"{len(data):,} bytes", data.decode("utf-8", "replace")
    if not text.strip():
        return f"an empty file ({size})"
    if text.startswith("version https://git-lfs"):
        return f"a Git LFS pointer ({size})"
    if looks_like_html(text):
        return f"an HTML page ({size})"
    return f"a text file of {len(text.splitlines()):,} lines ({size})"


def by_hand(path):
    if hasattr(builtins, "__IPYTHON__"):
        return (
            f"In a notebook: save {URL} as names.txt beside this notebook "
            '(or set os.environ["DATASET"] to it first)'
        )
    return f"To get it by hand: download {URL} elsewhere, save it as {path} (or set DATASET=its/path)"


def download(url):
    if sys.platform == "emscripten":  # Pyodide (JupyterLite): no sockets, the browser fetches it
        import pyodide.http

        try:
            return pyodide.http.open_url(url).read().encode()
        except Exception as e:  # a JavaScript error
            raise OSError(f"the browser: {e}") from None
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def write_atomically(path, data):  # a temporary file beside it, renamed: never half a file
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".names-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def fetch(path, replace=False):
    """Make `path` the verified names.txt: None, or the line to show. `replace`: a wrong file is PATH.bad."""
    if os.path.exists(path):
        with open(path, "rb") as f:
            data = f.read()
        if is_names_txt(data):
            return None
        if not replace:
            return (
                f"error: {path} is not the names.txt the steps learn from: it is {describe(data)}. "
                "Run `make data` to replace it, or delete it and run again"
            )
    url = os.environ.get("NAMES_URL") or URL
    print(f"downloading names.txt from {url} …", file=sys.stderr)
    try:
        data = download(url)
    except (OSError, ValueError) as e:  # offline, HTTP errors, bad URLs
        return f"error: could not download {url} ({getattr(e, 'reason', e)}). {by_hand(path)}"
    if not is_names_txt(data):
        return (
            f"error: {url} is not the expected names.txt ({describe(data)}; sha256 {SHA256[:12]}… "
            f"expected): nothing was saved. {by_hand(path)}"
        )
    if os.path.exists(path):
        os.replace(path, path + ".bad")
        print(f"kept the file that was there as {path}.bad", file=sys.stderr)
    write_atomically(path, data)
    print(f"saved {path} ({len(data):,} bytes, sha256 verified)", file=sys.stderr)


def problem(path, replace=False):
    try:
        return fetch(path, replace)
    except OSError as e:  # a file or folder not readable or writable
        return f"error: could not write {path} ({e.strerror or e})"


if __name__ == "__main__":  # make data (by path: tools/ is on sys.path)
    from project import DATASET, command_line, run_main

    parser = command_line(__doc__, __file__)
    parser.add_argument("path", nargs="?", default=str(DATASET), metavar="PATH")
    run_main(lambda: problem(parser.parse_args().path, replace=True))  # a line: exit 1
