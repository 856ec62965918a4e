"""The dataset: first-use download (simulated, never the network) and every kind of bad input.

Each bad input must give one clear line on stderr, a non-zero exit, no traceback, and no partial file.
"""

import io
import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

from tools import dataset

from stepkit import OFFLINE_URL, ROOT, losses, names_txt, one_clear_line, run, samples, step_numbers, write


@pytest.fixture
def fresh_clone(tmp_path):
    """A copy of the project's layout with no data/names.txt, as on a fresh clone."""
    for folder in ("steps", "tools"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_first_use_downloads_verifies_and_saves(fresh_clone):
    result = run_without_dataset(fresh_clone, names_txt().as_uri())
    assert result.returncode == 0, result.stderr
    assert "sha256 verified" in result.stderr
    assert (fresh_clone / "data" / "names.txt").read_bytes() == names_txt().read_bytes()
    assert leftovers(fresh_clone / "data") == ["names.txt"]
    assert "num docs: 32033" in result.stdout


def test_offline_says_how_to_get_the_file_by_hand(fresh_clone):
    result = run_without_dataset(fresh_clone, OFFLINE_URL)
    line = one_clear_line(result, "could not download", "by hand", dataset.URL, "DATASET=")
    assert str(fresh_clone / "data" / "names.txt") in line
    assert leftovers(fresh_clone / "data") == []
    assert result.stdout == ""


def test_checksum_mismatch_saves_nothing(fresh_clone, tmp_path):
    wrong = write(tmp_path / "wrong.txt", "emma\nolivia\n")
    result = run_without_dataset(fresh_clone, wrong.as_uri())
    one_clear_line(result, "not the expected names.txt", "sha256", "nothing was saved")
    assert leftovers(fresh_clone / "data") == []


HTML_PAGE = (
    '<!DOCTYPE html>\n<html lang="en"><head><title>makemore/names.txt</title></head>\n'
    "<body>emma</body></html>\n"
)


def test_a_web_page_saved_as_names_txt_stops_every_step_with_what_it_is(fresh_clone):
    (fresh_clone / "data").mkdir()
    saved = write(fresh_clone / "data" / "names.txt", HTML_PAGE)
    result = run_without_dataset(fresh_clone, OFFLINE_URL)
    one_clear_line(
        result,
        "not the names.txt the steps learn from",
        f"an HTML page ({len(HTML_PAGE)} bytes)",
        "make data",
        "delete it and run again",
    )
    assert result.stdout == "" and saved.read_text() == HTML_PAGE  # nothing trained, nothing deleted


@pytest.mark.parametrize(
    "data,what",
    [
        (b"", "an empty file"),
        (b"emma\nolivia\n", "a text file of 2 lines (12 bytes)"),
        (b"version https://git-lfs.github.com/spec/v1\n", "a Git LFS pointer"),
    ],
)
def test_a_wrong_names_txt_is_described(data, what):
    assert what in dataset.describe(data)


def test_names_txt_saved_by_a_windows_tool_is_still_names_txt(fresh_clone):
    windows = names_txt().read_bytes().replace(b"\n", b"\r\n")
    (fresh_clone / "data").mkdir()
    (fresh_clone / "data" / "names.txt").write_bytes(b"\xef\xbb\xbf" + windows)
    result = run_without_dataset(fresh_clone, OFFLINE_URL)
    assert result.returncode == 0 and "num docs: 32033" in result.stdout, result.stderr


def test_make_data_replaces_a_wrong_file_and_keeps_it(tmp_path):
    mine = write(tmp_path / "names.txt", HTML_PAGE)
    result = run_tool(str(mine), url=names_txt().as_uri())
    assert result.returncode == 0, result.stderr
    assert mine.read_bytes() == names_txt().read_bytes()
    assert (tmp_path / "names.txt.bad").read_text() == HTML_PAGE
    assert "kept the file that was there" in result.stderr


def test_make_data_offline_leaves_a_wrong_file_alone(tmp_path):
    mine = write(tmp_path / "names.txt", "my own names\n")
    one_clear_line(run_tool(str(mine)), "could not download", "by hand")
    assert mine.read_text() == "my own names\n" and leftovers(tmp_path) == ["names.txt"]


def test_an_html_page_of_ones_own_is_refused(tmp_path):
    result = run(0, DATASET=write(tmp_path / "page.html", HTML_PAGE))
    one_clear_line(result, "is an HTML page, not one name per line", "Raw")


def test_an_existing_verified_file_is_not_downloaded_again(tmp_path):
    copy = tmp_path / "names.txt"
    shutil.copy(names_txt(), copy)
    result = run_tool(str(copy))  # NAMES_URL points nowhere: a download would fail
    assert result.returncode == 0 and result.stderr == ""


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(dataset.os, "replace", crash)
    monkeypatch.setattr(dataset, "download", lambda url: names_txt().read_bytes())
    with pytest.raises(KeyboardInterrupt):
        dataset.fetch(str(tmp_path / "data" / "names.txt"))
    assert leftovers(tmp_path / "data") == []


class JsException(Exception):  # what Pyodide raises for an error of the browser's
    pass


def in_pyodide(monkeypatch, open_url):
    """As in JupyterLite: no sockets; pyodide.http.open_url (here a stand-in) fetches through the browser."""
    http = type(sys)("pyodide.http")
    http.open_url = open_url
    pyodide = type(sys)("pyodide")
    pyodide.http = http
    monkeypatch.setitem(sys.modules, "pyodide", pyodide)
    monkeypatch.setitem(sys.modules, "pyodide.http", http)
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("not through the browser"))


def test_in_pyodide_the_browser_downloads_it(tmp_path, monkeypatch):
    asked = []
    in_pyodide(monkeypatch, lambda url: asked.append(url) or io.StringIO(names_txt().read_text()))
    monkeypatch.delenv("NAMES_URL", raising=False)  # the canonical address (urlopen is stubbed out)
    path = tmp_path / "names.txt"
    assert dataset.problem(str(path)) is None
    assert asked == [dataset.URL] and path.read_bytes() == names_txt().read_bytes()


def test_in_pyodide_offline_is_one_clear_line(tmp_path, monkeypatch):
    def offline(url):
        raise JsException("NetworkError: Failed to execute 'send' on 'XMLHttpRequest'")

    in_pyodide(monkeypatch, offline)
    line = dataset.problem(str(tmp_path / "names.txt"))
    assert line.startswith("error: could not download") and "(the browser: NetworkError" in line
    assert "\n" not in line and leftovers(tmp_path) == []


def test_unwritable_folder_is_one_clear_line(tmp_path):
    blocker = write(tmp_path / "data", "a file where the folder should be")
    result = run_tool(str(blocker / "names.txt"), url=names_txt().as_uri())
    one_clear_line(result, "could not write", str(blocker / "names.txt"))


def test_missing_custom_file(tmp_path):
    result = run(0, DATASET=tmp_path / "nope.txt")
    one_clear_line(result, "not found", "nope.txt")


@pytest.mark.parametrize("content", ["", "\n\n   \n", "\r\n\r\n"])
def test_empty_or_blank_custom_file(tmp_path, content):
    result = run(0, DATASET=write(tmp_path / "blank.txt", content))
    one_clear_line(result, "no names")
    assert result.stdout == ""


def test_crlf_line_ends_are_stripped(tmp_path):
    unix = run(0, DATASET=write(tmp_path / "lf.txt", "anna\nbob\ncyd\n"), NUM_STEPS=6)
    windows = run(0, DATASET=write(tmp_path / "crlf.txt", "anna\nbob\ncyd\n", newline="\r\n"), NUM_STEPS=6)
    assert windows.returncode == 0, windows.stderr
    assert "vocab size: 8" in windows.stdout  # a b c d n o y + BOS: no '\r' in the vocabulary
    assert windows.stdout == unix.stdout


def test_characters_outside_a_to_z_make_their_own_vocabulary(tmp_path):
    result = run(0, DATASET=write(tmp_path / "intl.txt", "zoë\njosé\nMaría\n"), NUM_STEPS=3, NUM_SAMPLES=5)
    assert result.returncode == 0, result.stderr
    assert "vocab size: 11" in result.stdout  # M a j o r s z é í ë + BOS
    assert len(samples(result.stdout)) == 5


@pytest.mark.parametrize(
    "knob,value", [("NUM_STEPS", "abc"), ("NUM_STEPS", "0"), ("NUM_SAMPLES", "-3"), ("BLOCK_SIZE", "1.5")]
)
def test_invalid_knob(knob, value):
    result = run(0, **{knob: value})
    one_clear_line(result, knob, "positive integer", repr(value))
    assert result.stdout == ""


def run_without_dataset(clone, url):
    """train0 in a fresh clone, with no DATASET: it must fetch data/names.txt from `url`."""
    env = {k: v for k, v in os.environ.items() if k != "DATASET"}
    env.update(NAMES_URL=url, NUM_STEPS="2", NUM_SAMPLES="1")
    return subprocess.run(
        [sys.executable, str(clone / "steps" / "train0.py")],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_tool(*args, url=OFFLINE_URL):
    env = dict(os.environ, NAMES_URL=url)
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "dataset.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- files as people save them, knobs that would train nonsense, consoles that are not UTF-8 ------
# Every step reads the dataset and the knobs with its own copy of the same lines: each case runs
# against every step, so a step whose copy drifts is caught.

ALL_STEPS = pytest.mark.parametrize("n", step_numbers(), ids=lambda n: f"train{n}")


def run_on_bytes(n, tmp_path, data, **knobs):
    path = tmp_path / "names.txt"
    path.write_bytes(data)
    return run(n, DATASET=path, **knobs)


@ALL_STEPS
@pytest.mark.parametrize(
    "saved_as,data,phrase",
    [
        ("UTF-16 with its BOM (Notepad's Unicode)", "anna\r\nrenée\r\n".encode("utf-16"), "byte 0 is 0xff"),
        ("Latin-1 / cp1252", "anna\nren\xe9e\n".encode("cp1252"), "byte 8 is 0xe9"),
        ("UTF-16 without a BOM", "anna\nbob\n".encode("utf-16-le"), "NUL bytes"),
        ("a binary file", bytes(range(256)), "byte 128 is 0x80"),
    ],
)
def test_a_file_that_is_not_utf8_is_one_clear_line(n, tmp_path, saved_as, data, phrase):
    line = one_clear_line(run_on_bytes(n, tmp_path, data), "is not UTF-8 text", phrase, "save it as UTF-8")
    assert str(tmp_path / "names.txt") in line


def test_a_program_given_as_dataset_is_one_clear_line():
    one_clear_line(run(0, DATASET=sys.executable), "is not UTF-8 text", "save it as UTF-8")


@ALL_STEPS
def test_a_byte_order_mark_is_not_a_character(n, tmp_path):
    marked = run_on_bytes(n, tmp_path, "\ufeffanna\nbob\n".encode("utf-8"), NUM_STEPS=3, NUM_SAMPLES=3)
    assert marked.returncode == 0, marked.stderr
    assert "vocab size: 5" in marked.stdout  # a b n o + BOS, no U+FEFF
    plain = run_on_bytes(n, tmp_path, b"anna\nbob\n", NUM_STEPS=3, NUM_SAMPLES=3)
    assert marked.stdout == plain.stdout


@ALL_STEPS
def test_a_folder_says_it_is_a_folder(n, tmp_path):
    one_clear_line(run(n, DATASET=tmp_path), "is a folder", str(tmp_path))


@ALL_STEPS
def test_stop_after_past_num_steps_is_refused(n):
    result = run(n, NUM_STEPS=100, STOP_AFTER=400)
    one_clear_line(result, "STOP_AFTER (400)", "NUM_STEPS (100)")
    assert not losses(result.stdout)  # refused before anything is trained


@pytest.mark.parametrize("value", ["²", "1e3", "+5", "٣x"])
def test_a_knob_that_only_looks_like_a_number(value):
    one_clear_line(run(3, NUM_STEPS=value), "NUM_STEPS", "positive integer")


@ALL_STEPS
@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_names_the_console_cannot_show_do_not_crash_a_run(n, tmp_path, encoding):
    """A redirected Windows console is cp1252: names in another script come out as escapes."""
    path = write(tmp_path / "names.txt", "李娜\n王伟\nзоя\nrenée\n" * 3)
    env = {"PYTHONIOENCODING": encoding, "NUM_STEPS": "2", "NUM_SAMPLES": "5"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "steps" / f"train{n}.py")],
        capture_output=True,
        env={**os.environ, **env, "DATASET": str(path)},
        timeout=120,
    )
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr.decode(
        errors="replace"
    )
    out = result.stdout.decode(encoding)
    assert len(samples(out)) == 5 and "step    2 /    2 | loss" in out
    assert "\\u" in out or "\\x" in out  # some sample had a character the console cannot show
