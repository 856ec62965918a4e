"""tools/pictures/ and the picture cells of the notebooks: each picture draws the run's own values (read
back from what it drew), a blank still to fill in or a kernel without matplotlib is one line, and the
trained model can be played with (tools/sampling.py) from a notebook."""

import functools
import math
import re

import nbformat
import pytest

from tools import pictures, sampling, steprun
from tools.exercises import student as exercises
from tools.generate import notebooks, picture_cells
from tools.project import QUICK

from picturecheck import printed_by
from stepkit import ROOT, environment, execute, execute_notebook, notebook_error, step_numbers
from steptests import QUICK_NOTEBOOK

STEPS = step_numbers()


# --- the pictures of a run in this process ----------------------------------------------------------


@functools.cache
def ran(n):
    """(globals, output) of a one-step run of step n: the pictures read its values, not trained weights (the
    executed lesson notebooks are checked by every step's tests: tests/steptests.py)."""
    return execute(n, **QUICK["code"])


def recorded(out):
    pictures.LOSSES.clear()
    for line in out.splitlines():
        pictures.record(lambda *args, **kwargs: None)(line)


def test_the_count_table_is_the_table_and_a_cell_is_a_count():
    g, out = ran(0)
    data = pictures.count_table(g).data
    a, n = data["labels"].index("a"), data["labels"].index("n")
    assert data["counts"][a][n] == g["counts"][g["chars"].index("a")][g["chars"].index("n")]
    assert data["counts"] == g["counts"] and data["labels"][-1] == "BOS"


def test_the_loss_curve_is_what_the_training_cell_printed():
    g, out = ran(0)
    recorded(out)
    data = pictures.loss_curve(g).data
    assert data["losses"] == steprun.parse(out).losses and data["ln_V"] == math.log(27)


def test_the_recording_print_prints_as_print_does(capsys):
    printer = pictures.record(pictures.record(print))  # run twice, as a cell run again does
    printer("step    1 /    2 | loss 3.3000")
    printer("step    2 /    2 | loss 3.1000", end="!\n")
    printer("x", 1, sep="-")
    assert capsys.readouterr().out == "step    1 /    2 | loss 3.3000\nstep    2 /    2 | loss 3.1000!\nx-1\n"
    assert pictures.LOSSES == [3.3, 3.1]
    printer("step    1 /    9 | loss 3.2000")
    assert pictures.LOSSES == [3.2]  # a new run, a new curve


@pytest.mark.parametrize("n", [3, 4])
def test_attention_rows_sum_to_one_and_the_future_is_zero(n):
    g, _ = ran(n)
    before = g["gpt"].__globals__["softmax"]
    data = pictures.attention(g, "olivia").data
    assert g["gpt"].__globals__["softmax"] is before  # put back
    assert data["tokens"] == ["BOS", *"olivia"] and len(data["heads"]) == g.get("N_HEAD", 1)
    for head in data["heads"]:
        rows = head["weights"]
        assert len(rows) == 7 and all(len(row) == 7 for row in rows)
        for q, row in enumerate(rows):
            assert abs(sum(row) - 1) < 1e-12 and row[q + 1 :] == [0.0] * (6 - q)


def test_the_embeddings_are_projected_on_their_two_main_directions():
    rows = [[1.0, 2.0, 0.0], [3.0, 6.0, 0.0], [-1.0, -2.0, 0.1], [0.0, 0.0, -0.1]]
    points, kept = pictures.project_2d(rows)
    mean = [sum(col) / len(rows) for col in zip(*rows)]
    total = sum((x - m) ** 2 for row in rows for x, m in zip(row, mean))
    first = sum(p[0] ** 2 for p in points)
    assert first > 0.99 * total and kept == pytest.approx(1.0)  # the points lie nearly on one line
    assert sum(p[0] for p in points) == pytest.approx(0, abs=1e-12)


def test_the_graph_is_a_times_b_plus_a_with_its_grads():
    g, _ = ran(2)
    data = pictures.graph(g, 3.0, 4.0).data
    assert data["nodes"]["a"] == {"data": 3.0, "grad": 5.0}  # d(ab + a)/da = b + 1: both uses of a
    assert data["nodes"]["b"] == {"data": 4.0, "grad": 3.0}
    assert sorted(data["edges"]) == sorted(
        [("a", "a*b", 4.0), ("b", "a*b", 3.0), ("a*b", "a*b + a", 1), ("a", "a*b + a", 1)]
    )


def test_sgd_starts_where_adam_did_and_the_trained_weights_are_put_back():
    env, out = ran(5)
    g = dict(env)
    g["start"] = [0.01 * (i % 7 - 3) for i in range(len(g["params"]))]
    trained = [p.data for p in g["params"]]
    losses = pictures.sgd_losses(g, g["start"], 2)
    assert [p.data for p in g["params"]] == trained and all(p.grad == 0 for p in g["params"])
    assert len(losses) == 2 and losses[0] != losses[1]


# --- what a picture cannot draw yet: one line ------------------------------------------------------


def one_line(call):
    with pytest.raises(SystemExit) as stop:
        call()
    assert isinstance(stop.value.code, str) and "\n" not in stop.value.code, stop.value.code
    assert stop.value.code.startswith("no picture yet: ")
    return stop.value.code


def test_a_blank_still_to_fill_in_is_one_line():
    g, _ = ran(0)

    def probabilities(row):
        raise NotImplementedError("one probability per count in row")

    assert "one probability per count" in one_line(
        lambda: pictures.smoothing({**g, "probabilities": probabilities})
    )
    assert "`grad_a` is not defined yet" in one_line(
        lambda: pictures.gradient_check({"grad_n": [], "every": 1})
    )
    assert "empty" in one_line(lambda: pictures.count_table({**g, "counts": [[0] * 27 for _ in range(27)]}))
    pictures.LOSSES.clear()
    assert "no loss printed yet" in one_line(lambda: pictures.loss_curve(g))


@pytest.mark.kernel
def test_a_blank_student_notebook_shows_each_picture_failing_in_one_line():
    """As handed out, train0's training cell stops at the blank; each picture cell after it, run anyway,
    says why in one line on stderr, no traceback."""
    nb = nbformat.read(exercises.notebook_path(0), as_version=4)
    # the checks have tests of their own
    nb.cells = [cell for cell in nb.cells if not exercises.is_check(cell)]
    execute_notebook(nb, ROOT / "notebooks" / "exercises", environment(QUICK_NOTEBOOK), allow_errors=True)
    cells = {cell.id: cell for cell in nb.cells}
    for id in ("train0-09-counts-picture", "train0-09-smoothing-picture", "train0-09-loss-picture"):
        outputs = cells[id].outputs
        assert [(o.output_type, o.get("name")) for o in outputs] == [("stream", "stderr")], outputs
        assert outputs[0].text.startswith("no picture yet: ") and outputs[0].text.count("\n") == 1


@pytest.mark.kernel
def test_without_matplotlib_or_ipywidgets_a_picture_is_one_line_and_the_rest_runs(tmp_path):
    for name in ("matplotlib", "ipywidgets"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise ImportError('no {name} in this kernel')\n")
    nb = notebooks.notebook(0)
    env = {**environment(QUICK_NOTEBOOK), "PYTHONPATH": str(tmp_path)}
    assert notebook_error(nb, ROOT / "notebooks", env) is None
    for cell in nb.cells:
        if cell.id.endswith("-picture"):
            assert [o.get("text") for o in cell.outputs] == [pictures.NO_MATPLOTLIB + "\n"], cell.outputs
        if cell.id.endswith("-widget"):
            assert [o.get("text") for o in cell.outputs] == [pictures.NO_WIDGETS + "\n"], cell.outputs
    printed, _ = printed_by(nb)
    assert len(printed.samples) == int(
        QUICK_NOTEBOOK["NUM_SAMPLES"]
    )  # the step's: the play cell's are indented
    assert "%pip install matplotlib" in pictures.NO_MATPLOTLIB


# --- playing with the trained model ------------------------------------------------------------------


def test_names_print_in_the_steps_format_and_a_bad_prefix_is_one_line(capsys):
    g, _ = ran(3)
    sampling.names(g, "ma", temperature=0.8, n=3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "--- 3 names starting with 'ma', temperature 0.8, seed 42 ---"
    assert [line[:14] for line in lines[1:]] == ["  sample  1: m", "  sample  2: m", "  sample  3: m"]
    assert [line[13:] for line in lines[1:]] == sampling.sample(g, "ma", 0.8, 3)
    assert steprun.parse("\n".join(lines), strict=False).samples == []  # not taken for the step's own
    with pytest.raises(SystemExit) as stop:
        sampling.names(g, "m1")
    assert stop.value.code.startswith("error: '1' is not in the vocabulary of ")


def test_next_characters_of_train0_are_those_of_the_last_character():
    g, _ = ran(0)
    first, last = pictures.next_chars(g, "emm", k=27).data["top"]
    assert first["rows"] == last["rows"] and last["prefix"] == "m"
    assert [tuple(row) for row in first["rows"]] == sampling.top_next(g, "m", 27)


def test_every_notebook_picture_cell_is_under_a_markdown_cell_that_says_what_it_shows():
    for n in STEPS:
        cells = notebooks.notebook(n).cells
        for i, cell in enumerate(cells):
            if cell.id.endswith("-picture"):
                assert cells[i - 1].cell_type == "markdown" and cells[i - 1].id == cell.id + "-about"


def test_the_pictures_reach_the_student_notebooks():
    for n in STEPS:
        lesson = [c.id for c in notebooks.notebook(n).cells if c.id.endswith(("-picture", "-setup"))]
        student = [c.id for c in exercises.notebook(n).cells if c.id.endswith(("-picture", "-setup"))]
        assert student.pop(1) == f"train{n}-checkers-setup"  # what the student notebook carries besides
        assert lesson == student and len(lesson) >= 3


def defined(text):
    return set(re.findall(r"^(?:def|class) (\w+)", text, re.M))


def test_a_notebook_carries_only_the_pictures_of_its_step():
    """Its pictures cell: draw.py (what every step draws: the loss curve, the next characters) and, of the
    steps' own drawings, its step's alone (tools/pictures/trainN.py; heads.py for 3 and 4), with every
    function its cells call."""
    folder = ROOT / "tools" / "pictures"
    own = {n: defined((folder / f"train{n}.py").read_text(encoding="utf-8")) for n in STEPS}
    heads = defined((folder / "heads.py").read_text(encoding="utf-8"))
    for n in STEPS:
        called = {f for cell in picture_cells.CELLS[n] for f in re.findall(r"\bpictures\.(\w+)\(", cell.code)}
        mine = own[n] | (heads if n in (3, 4) else set())
        others = set().union(heads, *own.values()) - mine
        for path in (notebooks.notebook_path(n), exercises.notebook_path(n)):
            nb = nbformat.read(path, as_version=4)
            (cell,) = [c for c in nb.cells if c.id == f"train{n}-pictures-setup"]
            has = defined(cell.source)
            assert {"loss_curve", "next_chars", "record", "Picture"} | called <= has, path
            assert not has & others, (path, sorted(has & others))


def test_the_widget_redraws_for_a_new_prefix_and_says_a_bad_one_in_one_line(capsys):
    g, _ = ran(5)
    box = pictures.play(g, "ma", n=2)
    text, heat = box.children[0].children
    assert (text.value, heat.value) == ("ma", 0.5)
    text.value = "em"  # outside a kernel the Output widget captures nothing: the lines reach stdout
    heat.value = 1.0
    text.value = "e1"
    printed = capsys.readouterr().out
    assert "--- 2 names starting with 'em', temperature 0.5, seed 42 ---" in printed
    assert "--- 2 names starting with 'em', temperature 1, seed 42 ---" in printed
    assert printed.rstrip().endswith(
        "is not in the vocabulary of data/names.txt (a-z): the model has never seen it"
    )
