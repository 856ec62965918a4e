"""Download names.txt on first use, verify it, and write it atomically.

    python3 tools/dataset.py [PATH]     # default: data/names.txt at the repo root (what `make data` runs)

The steps call this when data/names.txt is missing. It never leaves a partial file behind: the
download goes to a temporary file in the same folder, is checked (size and sha256), and only
then renamed into place. Every failure is one line on stderr and exit status 1.
NAMES_URL overrides where the file is fetched from (a mirror, or a file:// URL in tests).
"""

import hashlib
import os
import sys
import tempfile
import urllib.request

from project import DATASET, command_line

URL = "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
SIZE = 228_145
SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
DEFAULT_PATH = str(DATASET)
TIMEOUT = 30  # seconds


class DatasetError(Exception):
    """A failure the user can act on; its message is the one line we print."""


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def verify(data, source):
    if len(data) != SIZE or sha256(data) != SHA256:
        raise DatasetError(
            f"{source} is not the expected names.txt ({len(data):,} bytes, sha256 {sha256(data)[:12]}…; "
            f"expected {SIZE:,} bytes, sha256 {SHA256[:12]}…)"
        )


def by_hand(path):
    return (f"To get it by hand (e.g. when offline): download {URL} on a machine with network, "
            f"save it as {path}, and run again; or run with DATASET=/path/to/your/names.txt")


def download(url, path, timeout=TIMEOUT):
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


def fetch(path=DEFAULT_PATH, url=None):
    """Make sure `path` holds the verified names.txt; download it if it is missing."""
    url = url or os.environ.get("NAMES_URL") or URL
    if os.path.exists(path):
        with open(path, "rb") as f:
            try:
                verify(f.read(), path)
            except DatasetError as e:  # never overwrite or delete a file the user put there
                raise DatasetError(f"{e}. Move it away (or delete it) and run again to download a fresh copy") from None
        return path
    print(f"downloading names.txt from {url} …", file=sys.stderr)
    data = download(url, path)
    try:
        verify(data, f"the file downloaded from {url}")
    except DatasetError as e:  # nothing has been written yet
        raise DatasetError(f"{e}; nothing was saved. {by_hand(path)}") from None
    write_atomically(path, data)
    print(f"saved {path} ({len(data):,} bytes, sha256 verified)", file=sys.stderr)
    return path


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


def main(argv=None):
    parser = command_line(__doc__)
    parser.add_argument("path", nargs="?", default=DEFAULT_PATH, metavar="PATH",
                        help="where to save it (default: data/names.txt at the repo root)")
    line = problem(parser.parse_args(argv).path)
    if line:
        print(line, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
