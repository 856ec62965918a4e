"""tools/generate/figures.py and tools/measure/bench.py: every figure README.md and docs/*.md quote agrees
with the one
source that measured it (docs/results/ladder.json, docs/results/bench.json, bench_baseline.json, the steps,
the
exercise table), docs/results/ladder.md and docs/results/bench.md are exactly what their JSON generates, and
no
time, size, speed-up or line count is typed by hand outside a generated figure."""

import json
import os
import platform
import re

import pytest

from tools import diff, run_tests
from tools.generate import figures
from tools.measure import bench, ladder

from stepkit import REFERENCE_LOG, ROOT, SHARED_REFERENCE_LOG, names_txt

SHARED = SHARED_REFERENCE_LOG.parent  # ../shared/reference: in CI only (tools/project.py says where)
# What a hand-typed measurement looks like: ~N, N s / minutes / MB / KB / ×, N lines, "a few minutes".
TYPED = re.compile(
    r"~\s?\d[\d.,]*|\b\d[\d.,]*\s?(?:s|ms|seconds?|minutes?|min|hours?|MB|KB|GB|x|×)(?![\w-])"
    r"|\b\d[\d,]*\s+(?:code\s+)?lines\b|\b(?:a few|several|about|some)\s+(?:seconds|minutes|hours)\b"
)
# Figures that describe what a tool does rather than a measurement: (file, text).
NOT_MEASURED = {
    ("docs/exercises.md", "~150"),  # tools/exercises/train1.py's sample of gradient entries for exercise 1.2
    ("docs/speed.md", "50 MB"),  # the bound tests/test_train2.py holds the collector-off run to
    ("docs/exercises.md", "10 s"),  # tools/exercises/common.py's LIMIT: student code's time under a check
    ("docs/exercises.md", "15 s"),  # tools/nbgrader/course.py's TIMEOUT: the autograder's cell timeout
}


def test_every_figure_agrees_with_its_source():
    assert figures.problems() == [], (
        "a copy differs from its source: run `make figures` (tools/generate/figures.py)"
    )


def test_no_measured_figure_is_typed_by_hand():
    for relative in figures.MARKED:
        text = figures.FIGURE.sub("", (ROOT / relative).read_text(encoding="utf-8"))
        for number, line in enumerate(text.splitlines(), 1):
            for match in TYPED.finditer(line):
                if (relative, match.group(0).strip()) not in NOT_MEASURED:
                    pytest.fail(
                        f"{relative}, line {number} (figures left out): {match.group(0)!r} is typed by hand; "
                        f"quote it as a figure of tools/generate/figures.py: {line.strip()!r}"
                    )


def test_a_hand_edited_copy_is_named():
    readme = figures.expected()["README.md"]
    edited = readme.replace(
        "<!-- fig bench-wall:5 -->" + figures.bench_wall(5), "<!-- fig bench-wall:5 -->~24 s", 1
    )
    assert edited != readme
    assert figures.differences("README.md", edited, readme) == [
        f"README.md: figure bench-wall:5 says '~24 s', its source says {figures.bench_wall(5)!r}"
    ]
    table = figures.expected()["README.md"].replace("| 2.2761 |", "| 2.2762 |")
    assert figures.differences("README.md", table, readme) == [
        "README.md: figure ladder-table differs from its source"
    ]
    ladder_md = figures.expected()["docs/results/ladder.md"]
    assert figures.differences(
        "docs/results/ladder.md", ladder_md + "A line added by hand.\n", ladder_md
    ) == ["docs/results/ladder.md differs from what its JSON generates"]
    assert figures.differences("README.md", readme + "<!-- fig speedup -->", readme) == [
        "README.md: a `<!-- fig NAME -->` without its `<!-- /fig -->`"
    ]
    with pytest.raises(KeyError, match="unknown figure 'nonsense'"):
        figures.rewrite("<!-- fig nonsense -->1<!-- /fig -->")


def test_a_new_measurement_reaches_every_copy(monkeypatch):
    """What `make bench` does: new JSON, then tools/generate/figures.py writes README.md, bench.md and the
    docs from it."""
    alone, side = bench.load(bench.ALONE), bench.load(bench.SIDE_BY_SIDE)
    for row in alone["rows"]:
        row["wall"] *= 2
    side["rows"][-1]["before_wall"] = side["rows"][-1]["wall"] * 20
    load, new = bench.load, {bench.ALONE: alone, bench.SIDE_BY_SIDE: side}
    monkeypatch.setattr(bench, "load", lambda name=bench.ALONE, folder=None: new.get(name) or load(name))
    want = figures.expected()
    five = alone["rows"][-1]["wall"]
    assert f"<!-- fig bench-wall:5 -->~{five:.0f} s<!-- /fig -->" in want["README.md"]
    assert f"| train5 | 1000 | {five:.1f} |" in want["docs/results/bench.md"]
    assert "–20×<!-- /fig -->" in want["README.md"]
    assert figures.problems() != []  # the committed copies no longer agree


def needs_data():
    if not (ROOT / "data" / "names.txt").is_file():
        pytest.skip("tools/measure/bench.py times the steps on data/names.txt, which is not here")


def test_bench_writes_its_json_and_generates_bench_md(tmp_path):
    needs_data()
    assert bench.main(["--only", "0", "--steps", "2", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert data["stop_after"] == 2 and [(r["step"], r["steps"]) for r in data["rows"]] == [(0, 2)]
    text = (tmp_path / "bench.md").read_text(encoding="utf-8")
    assert text == bench.markdown(data) and "each step stopped after 2 steps" in text
    assert not (tmp_path / "bench_baseline.json").exists()


def test_a_partial_bench_writes_nothing_unless_told_where(tmp_path, monkeypatch, capsys):
    needs_data()
    monkeypatch.setattr(
        bench,
        "bench",
        lambda only, knobs, baseline_root=None: [
            {"step": n, "wall": 1.0, "rss": 10, "steps": 2} for n in only
        ],
    )
    monkeypatch.setattr(bench, "DOCS", str(tmp_path))
    assert bench.main(["--only", "3", "--steps", "2"]) == 0
    assert list(tmp_path.iterdir()) == [] and "| train3 | 2 | 1.0 |" in capsys.readouterr().out


def test_my_numbers_differ_shows_the_last_lines_of_a_full_run():
    """What a learner compares a `make step5` with: its last lines exactly, and why the ladder's train
    loss is another number than the last line's."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("**My numbers differ.**", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```\n(.*?)^```$", section, re.S | re.M).group(1).splitlines()
    log = REFERENCE_LOG.read_text(encoding="utf-8").splitlines()
    assert block == log[-len(block) :], "the README's lines are not the last lines of the reference log"
    assert [line.split(" |")[0] for line in block[:3]] == ["step  999 / 1000", "step 1000 / 1000", ""]
    assert block[3] == "--- inference (new, hallucinated names) ---" and len(block[4:]) == 20
    prose = figures.FIGURE.sub(lambda m: m["text"], section.split("```", 2)[2])
    train5 = ladder.load()["steps"][-1]
    last = block[1].rsplit(" ", 1)[1]
    assert f"train5, {train5['final_train_loss']:.4f}, is not that\nlast line's {last}" in prose
    assert f"the mean of the last {ladder.LAST} step losses" in prose


def test_bench_setup_builds_a_fresh_venv_as_a_learner_would_and_records_it(tmp_path, monkeypatch, capsys):
    """`make bench BENCH_ARGS=--setup`: tools/run_tests.py's own build, into a temporary folder, with
    pip's cache off and none of this machine's pip settings; seconds and MB into setup.json and
    bench.md. (The build is a stand-in here: the real one needs the package index.)"""
    built = {}

    def build(venv, pip_options=(), env=None):
        built.update(venv=venv, pip_options=list(pip_options), env=env)
        venv.mkdir()
        (venv / "lib.bin").write_bytes(b"x" * 2**20)  # written out, not sparse: a MB on disk
        return None

    monkeypatch.setattr(run_tests, "build", build)
    monkeypatch.setenv("PIP_FIND_LINKS", "/somewhere/local")
    monkeypatch.setenv("PIP_CERT", "/a/ca.pem")
    assert bench.main(["--setup", "--out", str(tmp_path)]) == 0
    assert built["venv"].name == ".venv" and not built["venv"].parent.exists()  # built aside, then removed
    assert built["pip_options"] == ["--no-cache-dir"]
    env = built["env"]
    assert env["PIP_CONFIG_FILE"] == os.devnull and "PIP_FIND_LINKS" not in env
    assert env["PIP_CERT"] == "/a/ca.pem"  # what it takes to reach the index stays
    data = json.loads((tmp_path / bench.SETUP).read_text(encoding="utf-8"))
    assert data["mb"] == pytest.approx(1, abs=0.1) and data["seconds"] >= 0
    assert data["python"] == platform.python_version()
    assert data["pins"] == len(run_tests.REQUIREMENTS.read_text(encoding="utf-8").split())
    assert bench.setup_summary(data) in (tmp_path / "bench.md").read_text(encoding="utf-8")
    assert "took 0 s to build and takes 1 MB on disk" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        bench.main(["--setup", "--only", "2"])


def test_the_readme_says_what_the_first_make_test_costs(monkeypatch):
    """Its time and size are figures of docs/results/setup.json, which a new measurement rewrites."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Two commands\n", 1)[1].split("\n## ", 1)[0]
    committed = bench.load(bench.SETUP)
    assert f"<!-- fig setup-time -->{bench.about(committed['seconds'])}<!-- /fig -->" in section
    assert f"<!-- fig setup-size -->{round(committed['mb'], -1):.0f} MB<!-- /fig -->" in section
    assert "package index" in section
    load, new = bench.load, {**committed, "seconds": 150, "mb": 401}
    monkeypatch.setattr(
        bench, "load", lambda name=bench.ALONE, folder=None: new if name == bench.SETUP else load(name)
    )
    want = figures.expected()
    assert "<!-- fig setup-time -->about 2 minutes<!-- /fig -->" in want["README.md"]
    assert "<!-- fig setup-size -->400 MB<!-- /fig -->" in want["README.md"]
    assert "took 150 s to build and takes 401 MB on disk" in want["docs/results/bench.md"]


def test_the_datasets_size_in_the_readme_is_the_files():
    names = [line for line in names_txt().read_text(encoding="utf-8").splitlines() if line.strip()]
    assert f"trained on {len(names):,} names" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_quoted_reference_figures_are_the_references():
    """The reference's figures are quoted, not measured here: they must say what ../shared/reference says."""
    if not SHARED.is_dir():
        pytest.skip("no ../shared/reference beside the repo (a learner's clone)")
    spec = (SHARED / "README.md").read_text(encoding="utf-8")
    assert f"about {bench.REFERENCE['wall']} s and {bench.REFERENCE['rss']} MB for the whole run" in spec
    progression = (SHARED / "ladder.md").read_text(encoding="utf-8")
    assert " · ".join(str(n) for n in diff.REFERENCE_COUNT.values()) + " (total" in progression
