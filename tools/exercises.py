"""Generate the student notebooks notebooks/exercises/trainN.ipynb from the steps' solution markers.

    python tools/exercises.py            # (re)write every student notebook (`make exercises`)
    python tools/exercises.py --check    # write nothing; exit 1 naming every stale notebook
    python tools/exercises.py --list     # the exercises, as a Markdown table (for docs/exercises.md)
    python tools/exercises.py --teacher DIR   # the same notebooks with the solutions and markers in
                                              # place of the blanks: a source for nbgrader (not committed)

In a step, the lines of an exercise sit between nbgrader's markers, indented like the code, with
a hint as the first line inside:

        ### BEGIN SOLUTION
        # HINT: what to write, in one line
        ...the solution...
        ### END SOLUTION

A region is an exercise of the step where it first appears; the same region carried unchanged
into later steps (the Value class, rmsnorm, …) is given code there. In the student notebook an
exercise's lines become

        # YOUR CODE HERE
        raise NotImplementedError("what to write, in one line")

and right after the cell (split after the function that holds the blank, when more code
follows) comes a check cell that calls its checker from tools/check.py. A region must lie inside
a function, so that the blank only fails when the function is called: the notebook runs up to
the check, which says "not implemented yet" in one line. The setup cell at the top makes the
notebook work from notebooks/ (where the step finds the dataset) and imports the checkers.

Cell ids follow the lesson notebook's ("train3-09"), with suffixes for the cells added here, so
an unchanged step always gives a byte-identical notebook. Needs the pinned .venv, like
tools/notebooks.py.
"""

import ast
import sys
from collections import namedtuple
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

import notebooks

ROOT = notebooks.ROOT
EXERCISES = notebooks.NOTEBOOKS / "exercises"
BEGIN, END, HINT = "### BEGIN SOLUTION", "### END SOLUTION", "# HINT:"
STUB = "# YOUR CODE HERE"

Exercise = namedtuple("Exercise", "title check minutes teaches")
# (step, function holding the region) -> the exercise. The check is the code of the check cell;
# it runs in the notebook, so it names the notebook's own variables.
TABLE = {
    (0, "probabilities"): Exercise(
        "`probabilities`: add-one smoothing", "check.probabilities(probabilities, vocab_size)", 10,
        "turn a row of counts into probabilities that never reach zero"),
    (1, "linear_backward"): Exercise(
        "`linear_backward`: the gradient of `linear`", "check.linear_backward(linear_backward)", 15,
        "the chain rule for y = Wx: dL/dW is an outer product, dL/dx goes through W transposed, "
        "and gradients accumulate over positions"),
    (1, "analytic_gradient"): Exercise(
        "`analytic_gradient`: softmax + cross-entropy and ReLU backward",
        "check.analytic_gradient(analytic_gradient, loss_of, state_dict)", 20,
        "backpropagation by hand: p - onehot(target) at the logits, the 1/n of the mean, a ReLU as a gate"),
    (2, "Value.__mul__"): Exercise(
        "`Value.__mul__`: local gradients of a product", "check.mul(Value)", 5,
        "what a node records: its inputs, and d out / d input for each (the product rule)"),
    (2, "Value.__pow__"): Exercise(
        "`Value.__pow__`: the power rule", "check.power(Value)", 5,
        "a local gradient that depends on the input's value (division is built on it)"),
    (2, "Value.log"): Exercise(
        "`Value.log`: the logarithm", "check.log(Value)", 5,
        "the local gradient 1/x, which the loss -log p sends back into softmax"),
    (2, "Value.backward"): Exercise(
        "`Value.backward`: reverse-mode autodiff", "check.backward(Value)", 25,
        "a topological order of the graph, the chain rule walked backwards, and why a node used twice "
        "must collect all its gradient before passing it on"),
    (3, "rmsnorm"): Exercise(
        "`rmsnorm`", "check.rmsnorm(rmsnorm, Value)", 10,
        "normalising by the root mean square, and why the 1e-5 is there"),
    (3, "gpt"): Exercise(
        "attention in `gpt`: scores, softmax, weighted sum", "check.attention(gpt, state_dict)", 20,
        "self-attention over a key/value cache, and the 1/sqrt(d) scale of the scores"),
    (4, "gpt"): Exercise(
        "multi-head attention in `gpt`", "check.multi_head_attention(gpt, state_dict, N_HEAD)", 20,
        "splitting q, k and v into heads that attend independently, and concatenating them back"),
    (5, "adam"): Exercise(
        "`adam`: the Adam update", "check.adam(adam, beta1, beta2, eps)", 15,
        "momentum, a per-parameter step size from the squared gradient, and bias correction"),
}

Region = namedtuple("Region", "name hint code begin end indent")


class MarkerError(Exception):
    """A step's solution markers are malformed (the message says where and how)."""


def enclosing(tree, lineno):
    """The qualified name of the innermost function around line `lineno` (1-based), or None."""
    best = None

    def visit(node, prefix):
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inside = child.lineno <= lineno <= child.end_lineno
                name = prefix + child.name
                if inside and not isinstance(child, ast.ClassDef):
                    best = name
                if inside:
                    visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return best


def regions(source, where="source"):
    """Every solution region of a Python source, in order."""
    lines = source.split("\n")
    tree = ast.parse(source)
    found, begin = [], None
    for i, line in enumerate(lines):
        text = line.strip()
        if text == BEGIN:
            if begin is not None:
                raise MarkerError(f"{where}:{i + 1}: {BEGIN} inside another solution region")
            begin = i
        elif text == END:
            if begin is None:
                raise MarkerError(f"{where}:{i + 1}: {END} without a {BEGIN}")
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            hint = lines[begin + 1].strip()
            if not hint.startswith(HINT) or not hint[len(HINT):].strip():
                raise MarkerError(f"{where}:{begin + 2}: the line after {BEGIN} must be '{HINT} what to write'")
            hint = hint[len(HINT):].strip()
            if '"' in hint or "\\" in hint:
                raise MarkerError(f"{where}:{begin + 2}: a hint may not contain double quotes or backslashes")
            if not line.startswith(indent + END):
                raise MarkerError(f"{where}:{i + 1}: {END} must be indented like its {BEGIN}")
            code = lines[begin + 2:i]
            if not any(c.strip() for c in code):
                raise MarkerError(f"{where}:{begin + 1}: an empty solution region")
            name = enclosing(tree, begin + 1)
            if name is None:
                raise MarkerError(f"{where}:{begin + 1}: a solution region must be inside a function "
                                  "(a blank in top-level code would stop the notebook before its check)")
            found.append(Region(name, hint, "\n".join(code), begin, i, indent))
            begin = None
    if begin is not None:
        raise MarkerError(f"{where}:{begin + 1}: {BEGIN} without an {END}")
    return found


def step_source(n):
    return notebooks.step_path(n).read_text(encoding="utf-8")


def step_regions(n):
    return regions(step_source(n), f"steps/train{n}.py")


def is_new(n):
    """A predicate: is this region of step n an exercise there (not carried unchanged from step n-1)?"""
    before = set()
    if notebooks.step_path(n - 1).is_file():
        before = {(r.name, r.code) for r in step_regions(n - 1)}
    return lambda region: (region.name, region.code) not in before


def exercises(n):
    """[(name, Exercise, [its regions])] for step n, in the order they appear."""
    new = is_new(n)
    found = {}
    for region in step_regions(n):
        if new(region):
            found.setdefault(region.name, []).append(region)
    out = []
    for name, parts in found.items():
        if (n, name) not in TABLE:
            raise MarkerError(f"steps/train{n}.py: the exercise in {name} has no entry in TABLE "
                              "(tools/exercises.py): give it a title, a check and minutes")
        out.append((name, TABLE[(n, name)], parts))
    return out


def blank(source, is_exercise, where="source", teacher=False):
    """The source with exercises replaced by stubs (kept, markers and all, for the teacher), and the
    markers of other regions removed."""
    lines = source.split("\n")
    out, pos = [], 0
    for region in regions(source, where):
        out += lines[pos:region.begin]
        if is_exercise(region) and teacher:
            out += lines[region.begin:region.end + 1]
        elif is_exercise(region):
            out += [region.indent + STUB, f'{region.indent}raise NotImplementedError("{region.hint}")']
        else:
            out += lines[region.begin + 2:region.end]
        pos = region.end + 1
    return "\n".join(out + lines[pos:])


def student_source(n):
    """steps/trainN.py as the student gets it: blanks for this step's exercises, no markers."""
    return blank(step_source(n), is_new(n), f"steps/train{n}.py")


def split_after_blanks(source, mark=STUB):
    """(cell up to the last top-level statement holding a blank, the rest of the cell or "")."""
    lines = source.split("\n")
    stubs = [i + 1 for i, line in enumerate(lines) if line.strip() == mark]
    last = max(node.end_lineno for node in ast.parse(source).body if any(node.lineno <= s <= node.end_lineno for s in stubs))
    for i in range(last, len(lines)):  # a region's END marker comes after its function's last statement
        if lines[i].strip() == END:
            last = i + 1
        elif lines[i].strip():
            break
    head, rest = "\n".join(lines[:last]), "\n".join(lines[last:]).strip("\n")
    return head, rest


def section_of(cells, index):
    """The heading of the Markdown cell above a code cell ("Model", "Training", …)."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            return cell.source.splitlines()[0][3:].strip()
    return "the top"


SETUP = '''\
# Setup, run it first. In the repo (notebooks/exercises/) the notebook works from notebooks/, as
# the lessons do, and imports the checkers from tools/. Anywhere else (an nbgrader release, say)
# it needs check.py and names.txt next to it.
import os
import sys

if os.path.basename(os.getcwd()) == "exercises":
    os.chdir("..")
tools = os.path.join(os.path.dirname(os.getcwd()), "tools")
if os.path.isfile(os.path.join(tools, "check.py")) and tools not in sys.path:
    sys.path.insert(0, tools)
if os.path.isfile("names.txt"):
    os.environ.setdefault("DATASET", os.path.abspath("names.txt"))
import check

# os.environ["NUM_STEPS"] = "50"  # uncomment for a quick run: fewer training steps'''


def intro(n, listed):
    rows = "\n".join(f"| {n}.{k} | {ex.title} | {where} | {ex.minutes} min |"
                     for k, (ex, where) in enumerate(listed, 1))
    blanks = "one place" if len(listed) == 1 else f"{len(listed)} places"
    return f"""## Exercises

This is the student version of step {n}. In {blanks} the code was taken out; each blank now reads
`raise NotImplementedError("…")`, and the message says what to write there.

| | exercise | section | time |
|---|---|---|---|
{rows}

Run the setup cell below first, then the cells in order. Right under each cell with a blank is a
check cell: it prints one line, ✓ when your code is right, ✗ and what went wrong otherwise. A cell
that needs a blank you have not filled in yet stops with `NotImplementedError`: fill it in, run
its cell again, then its check."""


def notebook(n, teacher=False):
    """The student notebook of step n (nbformat 4.5, clean, stable ids); with teacher=True, the same
    notebook with the solutions and their markers in place of the blanks (an nbgrader source)."""
    lesson = notebooks.notebook(n)
    new = is_new(n)
    todo = {name: (exercise, parts) for name, exercise, parts in exercises(n)}
    cells, listed, number = [], [], {}
    for index, cell in enumerate(lesson.cells):
        if cell.cell_type != "code" or BEGIN not in cell.source:
            cells.append(cell)
            continue
        where = f"steps/train{n}.py, cell {cell.id}"
        found = [r for r in regions(cell.source, where) if new(r)]
        cell.source = blank(cell.source, new, where, teacher)
        if not found:
            cells.append(cell)
            continue
        head, rest = split_after_blanks(cell.source, BEGIN if teacher else STUB)
        cell.source = head
        cells.append(cell)
        for k, name in enumerate(dict.fromkeys(r.name for r in found), 1):
            exercise = todo[name][0]
            listed.append((exercise, section_of(lesson.cells, index)))
            number[name] = f"{n}.{len(listed)}"
            check = f"# Check exercise {number[name]}: one line, ✓ when your code is right.\n{exercise.check};"
            cells.append(new_code_cell(check, id=f"{cell.id}-check{k}"))
        if rest:
            cells.append(new_code_cell(rest, id=f"{cell.id}-rest"))
    missing = set(todo) - set(number)
    if missing:
        raise MarkerError(f"steps/train{n}.py: exercises outside the notebook's code cells: {sorted(missing)}")
    head = [cells[0], new_markdown_cell(intro(n, listed), id=f"train{n}-exercises"),
            new_code_cell(SETUP, id=f"train{n}-setup")]
    nb = nbformat.v4.new_notebook(cells=head + cells[1:], metadata=lesson.metadata)
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({})
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def notebook_path(n):
    return EXERCISES / f"train{n}.ipynb"


def build(n, teacher=False):
    """The exact text notebooks/exercises/trainN.ipynb must have (or its teacher's version)."""
    return nbformat.writes(notebook(n, teacher), version=4) + "\n"


def write_teacher(folder):
    """The teacher's versions, solutions and markers in place, into folder (e.g. an nbgrader source/)."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in notebooks.steps():
        (folder / f"train{n}.ipynb").write_bytes(build(n, teacher=True).encode("utf-8"))
        print(f"wrote {folder / f'train{n}.ipynb'}")


def write_all():
    """Write every student notebook whose text changed; return the paths written."""
    return notebooks.write_changed(EXERCISES, notebook_path, build)


def problems():
    """One line per student notebook that is missing, stale, or has no step left; empty when in sync."""
    return notebooks.out_of_sync(EXERCISES, "notebooks/exercises", notebook_path, build, "make exercises")


def table():
    """Every exercise as a Markdown table row: step, title, minutes, what it teaches."""
    rows = ["| # | exercise | min | what it teaches |", "|---|---|---|---|"]
    for n in notebooks.steps():
        for k, (_, exercise, _) in enumerate(exercises(n), 1):
            rows.append(f"| {n}.{k} | {exercise.title} | {exercise.minutes} | {exercise.teaches} |")
    return "\n".join(rows)


def main(argv):
    if argv not in ([], ["--check"], ["--list"]) and not (len(argv) == 2 and argv[0] == "--teacher"):
        sys.exit("usage: python tools/exercises.py [--check | --list | --teacher FOLDER]")
    try:
        if argv[:1] == ["--teacher"]:
            write_teacher(Path(argv[1]))
            return 0
        if argv == ["--list"]:
            print(table())
            return 0
        return notebooks.generate(argv, problems, write_all, "student notebook(s)")
    except MarkerError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
