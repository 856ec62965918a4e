"""The dataset: first-use download (simulated, never the network) and every kind of bad input.

Each bad input must give one clear line on stderr, a non-zero exit, no traceback, and no partial file.
"""

import os
import shutil
import subprocess
import sys

import pytest

from stepkit import OFFLINE_URL, ROOT, names_txt, run, samples, write

sys.path.insert(0, str(ROOT / "tools"))
import dataset  # noqa: E402


def one_clear_line(result, *phrases):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


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


def test_a_wrong_existing_file_is_reported_not_deleted(tmp_path):
    mine = write(tmp_path / "names.txt", "my own names\n")
    result = run_tool(str(mine))
    one_clear_line(result, "not the expected names.txt", "Move it away")
    assert mine.read_text() == "my own names\n"


def test_an_existing_verified_file_is_not_downloaded_again(tmp_path):
    copy = tmp_path / "names.txt"
    shutil.copy(names_txt(), copy)
    result = run_tool(str(copy))  # NAMES_URL points nowhere: a download would fail
    assert result.returncode == 0 and result.stderr == ""


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(dataset.os, "replace", crash)
    monkeypatch.setattr(dataset, "download", lambda url, path: names_txt().read_bytes())
    with pytest.raises(KeyboardInterrupt):
        dataset.fetch(str(tmp_path / "data" / "names.txt"))
    assert leftovers(tmp_path / "data") == []


def test_unwritable_folder_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset, "download", lambda url, path: names_txt().read_bytes())
    blocker = write(tmp_path / "data", "a file where the folder should be")
    code = dataset.main(["dataset.py", str(blocker / "names.txt")])
    assert code == 1


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


@pytest.mark.parametrize("knob,value", [("NUM_STEPS", "abc"), ("NUM_STEPS", "0"), ("NUM_SAMPLES", "-3"), ("BLOCK_SIZE", "1.5")])
def test_invalid_knob(knob, value):
    result = run(0, **{knob: value})
    one_clear_line(result, knob, "positive integer", repr(value))
    assert result.stdout == ""


def run_without_dataset(clone, url):
    """train0 in a fresh clone, with no DATASET: it must fetch data/names.txt from `url`."""
    env = {k: v for k, v in os.environ.items() if k != "DATASET"}
    env.update(NAMES_URL=url, NUM_STEPS="2", NUM_SAMPLES="1")
    return subprocess.run([sys.executable, str(clone / "steps" / "train0.py")], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=120)


def run_tool(*args):
    env = dict(os.environ, NAMES_URL=OFFLINE_URL)
    return subprocess.run([sys.executable, str(ROOT / "tools" / "dataset.py"), *args], env=env,
                          capture_output=True, text=True, timeout=120)
