"""Generate the student notebooks notebooks/exercises/trainN.ipynb from the steps and the table below.

    python -m tools.exercises.student            # (re)write every student notebook (`make exercises`)
    python -m tools.exercises.student --stale    # write nothing; exit 1 naming every stale notebook
    python -m tools.exercises.student --list     # the exercises, as a Markdown table (for docs/exercises.md)
    python -m tools.exercises.student --teacher DIR   # the same notebooks with the solutions in place of the
                                              # blanks, between nbgrader's markers (not committed)

The steps carry no exercise markers: what a learner reads (the steps, the lesson notebooks, the
diffs, the docs) is plain code. An exercise is defined here, in TABLE, by the function that holds
it and, when it is not the whole body of that function, by the first and last lines of each part
(the start of the line, after its indentation). In the student notebook of its step each part
becomes

        # YOUR CODE HERE
        raise NotImplementedError("what to write, in one line")

and right after the cell (split after the function that holds the blank, when more code follows)
comes a check cell that calls its checker, of tools/exercises/trainN.py. A part must lie inside a function,
so that the blank only fails when the function is called: the notebook runs up to the check, which
says "not implemented yet" in one line. Later steps keep the same code as given code. The collapsed
cells at the top (tools/generate/setup_cell.py) carry tools/dataset.py, the step's checkers and its
pictures, so the notebook works alone, anywhere; in the repository it works from notebooks/.

The teacher's version (teacher=True) is an nbgrader source: the solutions between nbgrader's
markers with the hint just above them, the cell metadata of nbgrader's Create Assignment toolbar
(each exercise's answer a cell of its own, an autograded answer; checks: autograder tests worth POINTS
that assert what a fresh copy of the checkers says, named after their exercise; the collapsed cells
and all given code locked). tools/nbgrader/course.py makes a course of it and proves it with nbgrader
itself.

Cell ids follow the lesson notebook's ("train3-09"), with suffixes for the cells added here, so
an unchanged step always gives a byte-identical notebook. Needs the pinned .venv, like
tools/generate/notebooks.py.
"""

import ast
import copy
import functools
import re
import sys
import textwrap
from collections import namedtuple
from pathlib import Path

from ..project import command_line, pinned_environment, run_main

with pinned_environment():
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell

from ..generate import notebooks  # noqa: E402
from ..generate import setup_cell as standalone  # noqa: E402

ROOT = notebooks.ROOT
EXERCISES = notebooks.NOTEBOOKS / "exercises"
BEGIN, END, HINT = (
    "### BEGIN SOLUTION",
    "### END SOLUTION",
    "# HINT:",
)  # nbgrader's markers, teacher's version only
STUB = "# YOUR CODE HERE"

Exercise = namedtuple("Exercise", "title check minutes teaches parts code_hint idea", defaults=("", ""))
# One blank of an exercise: the message its NotImplementedError shows (what to write, never the code:
# the lesson cell above derives it), and the lines it takes out (first and last: the start of each
# line after its indentation; None: the function's whole body). Under the blank come two collapsed
# hints (Markdown): the exercise's idea, in words and symbols, then its code_hint, towards the code.
Part = namedtuple("Part", "hint first last", defaults=(None, None))
# (step, function holding the blank) -> the exercise. The check is the code of the check cell;
# it runs in the notebook, so it names the notebook's own variables.
TABLE = {
    (0, "probabilities"): Exercise(
        "`probabilities`: add-one smoothing",
        "check.probabilities(probabilities, vocab_size)",
        10,
        "turn a row of counts into probabilities that never reach zero",
        [Part("one probability per count in row, add-one smoothed as in the formula above")],
        "Every count gets one more, so the row's total grows by one per token of the vocabulary: "
        "`sum(row) + vocab_size`. Return a list with `(count + 1) / total` for each `count` in `row`.",
        "Every count gets one more, $n_{ab} + 1$, so no token is left at zero. For the row to sum to 1, "
        "divide by its new total: it grew by one for each of the $V$ tokens (every letter, and BOS), "
        "$\\sum_c n_{ac} + V$.",
    ),
    (1, "linear_backward"): Exercise(
        "`linear_backward`: the gradient of `linear`",
        "check.linear_backward(linear_backward)",
        15,
        "the chain rule for y = Wx: dL/dW is an outer product, dL/dx goes through W transposed, "
        "and gradients accumulate over positions",
        [
            Part(
                "add this position's gradient of w into dw (the outer product above), and return the "
                "gradient "
                "of x (through w transposed)"
            )
        ],
        "Two loops, `i` over the rows of `w` (the entries of `dy`) and `j` over the entries of `x`: "
        "`dw[i][j] += dy[i] * x[j]` (add: `dw` already holds the earlier positions' share). Then return a "
        "list with one entry per entry of `x`: for each `j`, the sum over `i` of `w[i][j] * dy[i]`.",
        "Output $i$ is $y_i = \\sum_j W_{ij} x_j$. Nudging $W_{ij}$ moves only $y_i$, by $x_j$: so "
        "$\\partial L / \\partial W_{ij} = g_i x_j$, added to what `dw` holds (earlier positions). "
        "Nudging $x_j$ "
        "moves every $y_i$, by $W_{ij}$: $\\partial L / \\partial x_j = \\sum_i W_{ij} g_i$.",
    ),
    (1, "analytic_gradient"): Exercise(
        "`analytic_gradient`: softmax + cross-entropy and ReLU backward",
        "check.analytic_gradient(analytic_gradient, loss_of, state_dict)",
        20,
        "backpropagation by hand: p - onehot(target) at the logits, the 1/n of the mean, a ReLU as a gate",
        [
            Part(
                "dlogits: the gradient of the loss with respect to each logit at this position (softmax + "
                "cross-entropy, derived above, and the mean over n positions)",
                "dlogits = ",
                "dlogits = ",
            ),
            Part(
                "dh: the gradient at the ReLU's input h, from the gradient da at its output", "dh = ", "dh = "
            ),
        ],
        "`dlogits` has one entry per token: for `i, p in enumerate(probs)`, `(1 / n)` times `p` minus one "
        "if `i` is the target (in Python `(i == target)` is 1 or 0). `dh` has one entry per hidden unit: "
        "for `d, hi in zip(da, h)`, `d` where `hi > 0`, else `0.0`.",
        "At the logits of a position: the probabilities, minus one at the target, and the mean's $1/n$: "
        "$\\frac{1}{n}(p_i - [i = t])$. A ReLU passes the gradient on where its input $h$ was positive "
        "and blocks it where $h \\le 0$.",
    ),
    (2, "Value.__mul__"): Exercise(
        "`Value.__mul__`: local gradients of a product",
        "check.mul(Value)",
        5,
        "what a node records: its inputs, and d out / d input for each (the product rule)",
        [
            Part(
                "return a new Value: the product, its two children, and the local gradient towards each "
                "(derived above)",
                "return ",
                "return ",
            )
        ],
        "`Value(data, children, local_grads)`: the data is `self.data * other.data`, the children are "
        "`(self, other)`, and the local gradients, in the same order, are the other factor's data: "
        "`(other.data, self.data)`.",
        "For $z = x y$: $\\partial z / \\partial x = y$ and $\\partial z / \\partial y = x$, each input's "
        "local "
        "gradient is the other factor's value, in the order of the children.",
    ),
    (2, "Value.__pow__"): Exercise(
        "`Value.__pow__`: the power rule",
        "check.power(Value)",
        5,
        "a local gradient that depends on the input's value (division is built on it)",
        [
            Part(
                "return a new Value: this Value to the power k, its one child, and the power rule's local "
                "gradient"
            )
        ],
        "`Value(self.data**k, (self,), (…,))`: one child, so one-element tuples (mind the comma); the local "
        "gradient is k·x^(k−1), `k * self.data ** (k - 1)`.",
        "For $z = x^k$: $\\partial z / \\partial x = k x^{k-1}$, a number worked out from the input's value "
        "when the node is made. One child, one local gradient.",
    ),
    (2, "Value.log"): Exercise(
        "`Value.log`: the logarithm",
        "check.log(Value)",
        5,
        "the local gradient 1/x, which the loss -log p sends back into softmax",
        [
            Part(
                "return a new Value: the natural logarithm of this Value, its one child, and the local "
                "gradient "
                "of log"
            )
        ],
        "`math.log` is the natural logarithm. One child, `(self,)`, and one local gradient, 1/x: "
        "`(1 / self.data,)`.",
        "For $z = \\log x$, the natural logarithm: $\\partial z / \\partial x = 1/x$. One child, one local "
        "gradient.",
    ),
    (2, "Value.backward"): Exercise(
        "`Value.backward`: reverse-mode autodiff",
        "check.backward(Value)",
        25,
        "a topological order of the graph, the chain rule walked backwards, and why a node used twice "
        "must collect all its gradient before passing it on",
        [
            Part(
                "order the graph so that each node comes after its children, give this node the gradient 1, "
                "then "
                "walk the order backwards: each node adds its share into each child's grad"
            )
        ],
        "The order: a list and a set of visited nodes, and a helper `build(v)` that, for a node not visited "
        "yet, marks it, calls itself on each of `v.children`, then appends `v`. Call it on `self`. Then "
        "`self.grad = 1`, and for each `v` in `reversed(...)` of that list, for each `child, local_grad` in "
        "`zip(v.children, v.local_grads)`: `child.grad += local_grad * v.grad`.",
        "First an order of the graph in which every node comes after all the nodes it was made from "
        "(visit a node's children first, then the node; each node once). Then $\\partial L / \\partial L = "
        "1$ at the output, and walking that order backwards each node $v$ adds local gradient "
        "$\\times$ its grad to each child's grad.",
    ),
    (3, "rmsnorm"): Exercise(
        "`rmsnorm`",
        "check.rmsnorm(rmsnorm, Value)",
        10,
        "normalising by the root mean square, and why the 1e-5 is there",
        [
            Part(
                "return every entry of x times RMSNorm's scale s (above), computed with Value operations so "
                "that "
                "gradients flow through it"
            )
        ],
        "The mean of the squares is `sum(xi * xi for xi in x) / len(x)`; add `1e-5`; raising that to the "
        "power `-0.5` gives the scale, one `Value`. Return `[xi * scale for xi in x]`.",
        "One scale for the whole vector, $s = 1 / \\sqrt{\\frac{1}{d} \\sum_j x_j^2 + 10^{-5}}$, and the "
        "output $s\\,x$; $s$ made of Value operations, so that the gradient flows through it too.",
    ),
    (3, "gpt"): Exercise(
        "attention in `gpt`: scores, softmax, weighted sum",
        "check.attention(gpt)",
        20,
        "self-attention over a key/value cache, and the 1/sqrt(d) scale of the scores",
        [
            Part(
                "the attention of the query q over every cached key and value (above): the scaled scores, "
                "their "
                "softmax as weights, and x as the weighted sum of the values",
                "scores = ",
                "x = [sum(w * vt[j]",
            )
        ],
        "`scores`: one per cached key `kt` in `keys`, the dot product `sum(qj * kj for qj, kj in zip(q, "
        "kt))` "
        "divided by `N_EMBD**0.5`. `weights = softmax(scores)`. The new `x` has `N_EMBD` entries: entry `j` "
        "is the sum of `w * vt[j]` over `w, vt` in `zip(weights, values)`.",
        "A score for each cached key, $a_t = q \\cdot k_t / \\sqrt{d}$; the weights $w = "
        "\\mathrm{softmax}(a)$; the output, $\\sum_t w_t v_t$, has the $d$ entries of a value.",
    ),
    (4, "gpt"): Exercise(
        "multi-head attention in `gpt`",
        "check.multi_head_attention(gpt)",
        20,
        "splitting q, k and v into heads that attend independently, and concatenating them back",
        [
            Part(
                "heads: every head attends with its own slice of the query, keys and values, scaled for its "
                "width (above); their outputs concatenated in order",
                "heads = []",
                "heads += ",
            )
        ],
        "`heads = []`, then for `h in range(N_HEAD)`: `s = slice(h * HEAD_DIM, (h + 1) * HEAD_DIM)`, and "
        "`q[s]`, `[kt[s] for kt in keys[i]]`, `[vt[s] for vt in values[i]]` are that head's query, keys and "
        "values. Attend as in step 3, dividing the scores by `HEAD_DIM**0.5`, and add (`+=`) the head's "
        "`HEAD_DIM` outputs to the end of `heads`.",
        "Head $h$ takes entries $h\\,d_h$ to $(h+1)\\,d_h - 1$ of $q$, of every key and of every value, "
        "and attends as in step 3, with $\\sqrt{d_h}$; the outputs of heads $0, 1, \\dots, H-1$ are "
        "concatenated in that order.",
    ),
    (5, "adam"): Exercise(
        "`adam`: the Adam update",
        "check.adam(adam, beta1, beta2, eps)",
        15,
        "momentum, a per-parameter step size from the squared gradient, and bias correction",
        [
            Part(
                "update every parameter from its grad by Adam's rule (above): its two running means, in "
                "place, "
                "their bias correction for the t-th update, then the step"
            )
        ],
        "`for i, p in enumerate(params):` — `m[i]` and `v[i]` belong to `p` and carry over to the next step. "
        "`m[i] = beta1 * m[i] + (1 - beta1) * p.grad`, `v[i]` the same with `beta2` and `p.grad**2`. "
        "With `t = step + 1`: `m_hat = m[i] / (1 - beta1**t)`, `v_hat` the same with `beta2`. Then "
        "`p.data -= lr_t * m_hat / (v_hat**0.5 + eps)`.",
        "Per parameter, with $t$ = `step + 1` updates so far: $m \\leftarrow \\beta_1 m + (1 - \\beta_1) g$ "
        "and $v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2$, kept in the lists; "
        "$\\hat m = m / (1 - \\beta_1^t)$, $\\hat v = v / (1 - \\beta_2^t)$; "
        "then a step of $\\eta_t \\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)$ "
        "against the gradient, $\\eta_t$ = `lr_t`.",
    ),
}

# One blank found in a source: its exercise's name, hint, the code it takes out (lines begin..end,
# 0-based, inclusive) and that code's indentation.
Region = namedtuple("Region", "name hint code begin end indent")


class MarkerError(Exception):
    """An exercise of TABLE does not match its step's code (the message says where and how)."""


def functions(tree):
    """{qualified name: node} of every function in a module (methods as Class.method)."""
    found = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if not isinstance(child, ast.ClassDef):
                    found[prefix + child.name] = child
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


def regions(source, table, where="source"):
    """The blanks of the exercises in `table` ({function name: Exercise}) defined in `source`, in order."""
    lines = source.split("\n")
    tree = ast.parse(source)
    defined = functions(tree)
    ends = {}  # first line of a statement -> its last line (1-based), to take a part's last statement whole
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            ends[node.lineno] = max(ends.get(node.lineno, 0), node.end_lineno)
    found = []
    for name, exercise in table.items():
        function = defined.get(name)
        if function is None:
            continue
        body = function.body
        docstring = ast.get_docstring(function) is not None
        inside = range(body[0].end_lineno if docstring else body[0].lineno - 1, function.end_lineno)
        if docstring and len(body) == 1:
            raise MarkerError(f"{where}: {name} has nothing but its docstring to take out")

        def at(prefix, after):
            """The first line from `after` on, inside the function, that starts with `prefix`."""
            for i in range(after, inside.stop):
                if lines[i].strip().startswith(prefix):
                    return i
            raise MarkerError(
                f"{where}: no line starting {prefix!r} in {name} (tools/exercises/student.py TABLE)"
            )

        for part in exercise.parts:
            if part.first is None:
                begin = inside.start
                while not lines[begin].strip():
                    begin += 1
                if not docstring:  # comments above the first statement belong to the blank too
                    while begin > function.lineno and lines[begin - 1].strip().startswith("#"):
                        begin -= 1
                end = inside.stop - 1
            else:
                begin = at(part.first, inside.start)
                last = at(part.last, begin)
                end = ends.get(last + 1, last + 1) - 1  # the whole statement that starts there
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            if '"' in part.hint or "\\" in part.hint:
                raise MarkerError(f"{where}: the hint of {name} may not contain double quotes or backslashes")
            found.append(Region(name, part.hint, "\n".join(lines[begin : end + 1]), begin, end, indent))
    return sorted(found, key=lambda region: region.begin)


def step_source(n):
    return notebooks.step_path(n).read_text(encoding="utf-8")


def specs(n):
    """{function name: Exercise} of step n."""
    return {name: exercise for (step, name), exercise in TABLE.items() if step == n}


def step_regions(n):
    """Every blank of step n, in order; each exercise of TABLE must be found in its step."""
    where = f"steps/train{n}.py"
    found = regions(step_source(n), specs(n), where)
    missing = set(specs(n)) - {region.name for region in found}
    if missing:
        raise MarkerError(
            f"{where}: no function {', '.join(sorted(missing))} (tools/exercises/student.py TABLE)"
        )
    return found


def exercises(n):
    """[(name, Exercise, [its regions])] for step n, in the order they appear."""
    found = {}
    for region in step_regions(n):
        found.setdefault(region.name, []).append(region)
    return [(name, TABLE[(n, name)], parts) for name, parts in found.items()]


def blank(source, found, teacher=False):
    """The source with the regions `found` in it replaced by stubs; for the teacher, the solution
    between nbgrader's markers, with the hint just above (nbgrader keeps what is outside them)."""
    lines = source.split("\n")
    out, pos = [], 0
    for region in found:
        out += lines[pos : region.begin]
        if teacher:
            out += [
                f"{region.indent}{HINT} {region.hint}",
                region.indent + BEGIN,
                *lines[region.begin : region.end + 1],
                region.indent + END,
            ]
        else:
            out += [region.indent + STUB, f'{region.indent}raise NotImplementedError("{region.hint}")']
        pos = region.end + 1
    return "\n".join(out + lines[pos:])


def solutions(n):
    """The code of every blank of step n, in order: what a student who solved them all writes."""
    return [region.code for _, _, parts in exercises(n) for region in parts]


def fill(nb, codes):
    """Fill the blanks of a student notebook (ours, or an nbgrader release of it) with `codes`, in
    order: each "# YOUR CODE HERE" line and the raise under it become the next code. Returns nb."""
    codes = list(codes)
    for cell in nb.cells:
        lines = cell.source.split("\n")
        while STUB in [line.strip() for line in lines]:
            i = [line.strip() for line in lines].index(STUB)
            if not lines[i + 1].strip().startswith("raise NotImplementedError("):
                raise MarkerError(f"cell {cell.id}: {STUB!r} is not followed by raise NotImplementedError(…)")
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]  # a method cut out of its class
            code = textwrap.indent(textwrap.dedent(codes.pop(0)), indent)
            lines[i : i + 2] = code.split("\n")
        cell.source = "\n".join(lines)
    if codes:
        raise MarkerError(f"{len(codes)} answer(s) left over: the notebook has fewer blanks")
    return nb


def student_source(n):
    """steps/trainN.py as the student gets it: blanks for this step's exercises."""
    return blank(step_source(n), step_regions(n))


def split_after_blanks(source, mark=STUB):
    """(cell up to the last top-level statement holding a blank, the rest of the cell or "")."""
    lines = source.split("\n")
    stubs = [i + 1 for i, line in enumerate(lines) if line.strip() == mark]
    last = max(
        node.end_lineno
        for node in ast.parse(source).body
        if any(node.lineno <= s <= node.end_lineno for s in stubs)
    )
    for i in range(last, len(lines)):  # a region's END marker comes after its function's last statement
        if lines[i].strip() == END:
            last = i + 1
        elif lines[i].strip():
            break
    head, rest = "\n".join(lines[:last]), "\n".join(lines[last:]).strip("\n")
    return head, rest


def _span(lines, node):
    """(first, last) 0-based lines of a def: its decorators and the comments right above it, down to its
    last statement and a solution's END marker after it."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    while first > 0 and lines[first - 1].strip().startswith("#"):
        first -= 1
    last = node.end_lineno - 1
    while last + 1 < len(lines) and lines[last + 1].strip() in (END, ""):
        last += 1
    while not lines[last].strip():
        last -= 1
    return first, last


def answer_chunks(source, names, mark=STUB):
    """A cell's code cut so that each exercise's answer has a cell of its own (one SyntaxError costs one
    point): [(exercise name, or None for given code, code)], in order. Functions are cut before each
    exercise's def, and after it (split_after_blanks); methods of a class leave it for a cell each,
    dedented, that sets them on the class (`Value.log = log`)."""
    if len(names) == 1:
        head, rest = split_after_blanks(source, mark)
        return [(names[0], head)] + ([(None, rest)] if rest else [])
    lines = source.split("\n")
    tree = ast.parse(source)
    top = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    chunks = []
    if all("." in name for name in names):  # methods of one class
        cls = top[names[0].split(".")[0]]
        methods = {node.name: node for node in cls.body if isinstance(node, ast.FunctionDef)}
        spans = [_span(lines, methods[name.split(".")[1]]) for name in names]
        taken = {i for first, last in spans for i in range(first, last + 1)}
        kept = [line for i, line in enumerate(lines[: cls.end_lineno]) if i not in taken]
        while not kept[-1].strip():
            kept.pop()
        chunks.append((None, re.sub(r"\n{3,}", "\n\n", "\n".join(kept))))
        for name, (first, last) in zip(names, spans):
            method = name.split(".")[1]
            code = textwrap.dedent("\n".join(lines[first : last + 1]))
            attach = f"{cls.name}.{method} = {method}  # a method of {cls.name}, in a cell of its own"
            chunks.append((name, f"{code}\n\n\n{attach}"))
        rest = "\n".join(lines[max(cls.end_lineno, *(last + 1 for _, last in spans)) :]).strip("\n")
        return chunks + ([(None, rest)] if rest else [])
    starts = [_span(lines, top[name])[0] for name in names]
    for k, name in enumerate(names):
        begin = 0 if k == 0 else starts[k]
        end = starts[k + 1] if k + 1 < len(names) else len(lines)
        head, rest = split_after_blanks("\n".join(lines[begin:end]).strip("\n"), mark)
        chunks += [(name, head)] + ([(None, rest)] if rest else [])
    return chunks


def section_of(cells, index):
    """The heading of the Markdown cell above a code cell ("Model", "Training", …)."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            return cell.source.splitlines()[0][3:].strip()
    return "the top"


# In the repository (notebooks/exercises/) the notebook works from notebooks/, as the lessons do.
TO_NOTEBOOKS = """\
in_repository = any(os.path.isfile(os.path.join("..", "..", *where)) for where in REPOSITORY)
if os.path.basename(os.getcwd()) == "exercises" and in_repository:
    os.chdir("..")  # in the repository: work from notebooks/, where the step finds data/names.txt
"""
QUICK = '# os.environ["NUM_STEPS"] = "50"  # uncomment for a quick run: fewer training steps'
POINTS = 1  # per exercise, in the nbgrader version


def nbgrader(cell, kind):
    """The metadata nbgrader's Create Assignment toolbar gives a cell: "solution" (autograded
    answer), "tests" (autograder tests, POINTS, locked) or "readonly" (locked)."""
    meta = {
        "grade": kind == "tests",
        "grade_id": cell.id,
        "locked": kind != "solution",
        "schema_version": 3,
        "solution": kind == "solution",
        "task": False,
    }
    if kind == "tests":
        meta["points"] = POINTS
    cell.metadata["nbgrader"] = meta
    return cell


def grade_id(number, name):
    """nbgrader's name of an exercise's grade cell, as the feedback and the gradebook show it (letters,
    digits, _ and - only): ex2_1-Value-__mul__."""
    return f"ex{number.replace('.', '_')}-{re.sub(r'[^A-Za-z0-9_]', '-', name)}"


def exercise_of(grade_id):
    """The exercise number of a grade cell's grade_id: "2.1"."""
    return grade_id.split("-")[0][2:].replace("_", ".")


def is_check(cell):
    """Whether a cell is the check under a blank (its id: the blank's cell id, then -check1, -check2, …)."""
    return re.search(r"-check\d+$", cell.id) is not None


def check_cell(number, name, exercise, id, teacher):
    """The check under a blank; for nbgrader a grade cell that runs a fresh copy of the checker (the setup
    cell's _graded(): an answer cell cannot replace it) and asserts with its ✗ line as the message."""
    if teacher:
        if not exercise.check.startswith("check."):
            raise MarkerError(f"{name}: a check must call check.<checker>(…), not {exercise.check!r}")
        checker, args = exercise.check[len("check.") :].split("(", 1)
        code = (
            f"# Check exercise {number}: one line, ✓ when your code is right ({POINTS} point).\n"
            f"passed, line = _graded().{checker}.verdict({args}\n"
            "assert passed, line"
        )
        cell = nbgrader(new_code_cell(code, id=id), "tests")
        cell.metadata["nbgrader"]["grade_id"] = grade_id(number, name)
        return cell
    return new_code_cell(
        f"# Check exercise {number}: one line, ✓ when your code is right.\n{exercise.check};", id=id
    )


def given_answers(n):
    """The exercises of earlier steps whose answers step n holds as given code: [(number, its title up
    to the colon, e.g. "`Value.log`")]."""
    defined = functions(ast.parse(step_source(n)))
    return [
        (f"{m}.{k}", exercise.title.split(":")[0])
        for m in notebooks.steps()
        if m < n
        for k, (name, exercise, _) in enumerate(exercises(m), 1)
        if name in defined and (n, name) not in TABLE
    ]


def earlier_answers(n):
    """What the intro of step n's notebook (and the teacher's guide) says about the answers it gives away."""
    given = given_answers(n)
    if not given:
        return "This notebook holds no answer to an earlier exercise."
    steps = sorted({number.split(".")[0] for number, _ in given})
    before = (
        f"step {steps[0]}'s notebook"
        if len(steps) == 1
        else f"the notebooks of steps {', '.join(steps[:-1])} and {steps[-1]}"
    )
    listed = ", ".join(f"{number} {label}" for number, label in given)
    return (
        f"This notebook holds, as given code, the answers to earlier exercises: {listed}. To solve those "
        f"yourself, do {before} first."
    )


def hint_cell(number, exercise, idea=False):
    """A collapsed Markdown cell under a blank: the idea in words and symbols (idea=True), or then one
    step towards the code (<details> renders closed in JupyterLab, Notebook, VS Code and Colab, and
    nbgrader leaves Markdown cells as they are)."""
    if idea:
        return f"<details><summary>Hint 1 for {number}: the idea</summary>\n\n{exercise.idea}\n\n</details>"
    return (
        f"<details><summary>Hint 2 for {number}: one step towards the code (try without it first)</summary>"
        f"\n\n{exercise.code_hint}\n\n</details>"
    )


def intro(n, listed):
    rows = "\n".join(
        f"| {n}.{k} | {ex.title} | {where} | {ex.minutes} min |" for k, (ex, where) in enumerate(listed, 1)
    )
    blanks = "one place" if len(listed) == 1 else f"{len(listed)} places"
    return f"""## Exercises

This is the student version of step {n}. In {blanks} the code was taken out; each blank now reads
`raise NotImplementedError("…")`, and the message says what to write there. The lesson cell above
the blank derives it; right under the blank, two collapsed hints go further: the idea in words and
symbols, then a step towards the code. Try without them first.

| | exercise | section | time |
|---|---|---|---|
{rows}

**Order.** Do the notebooks from step 0 to step 5, each from top to bottom. {earlier_answers(n)}

Run the three collapsed cells below first (setup, checkers, pictures), then the cells in order. Under
each cell with a blank, after its hints, is a check cell: it prints one line, ✓ when your code is
right, ✗ and what went wrong otherwise. A cell that needs a blank you have not filled in yet stops
with `NotImplementedError`: fill it in, run its cell again, then its check."""


def notebook(n, teacher=False):
    """The student notebook of step n (nbformat 4.5, clean, stable ids); with teacher=True, the same
    notebook with the solutions and their markers in place of the blanks (an nbgrader source). A copy of
    its own: the caller may change it."""
    return copy.deepcopy(built(n, teacher, step_source(n)))


@functools.cache
def built(n, teacher, text):
    """notebook(n, teacher) for the step's text, built once per text in a process (as notebooks.built)."""
    lesson = copy.deepcopy(notebooks.built(n, False, text))  # its cells become the student's: a copy
    todo = {name: (exercise, parts) for name, exercise, parts in exercises(n)}
    cells, listed, number = [], [], {}
    for index, cell in enumerate(lesson.cells):
        found = (
            regions(cell.source, specs(n), f"steps/train{n}.py, cell {cell.id}")
            if cell.cell_type == "code"
            else []
        )
        if not found:
            given = teacher and cell.cell_type == "code"
            cells.append(nbgrader(cell, "readonly") if given else cell)  # restored by nbgrader's autograder
            continue
        source = blank(cell.source, found, teacher)
        names = list(dict.fromkeys(r.name for r in found))
        chunks = answer_chunks(source, names, BEGIN if teacher else STUB)
        for j, (name, code) in enumerate(chunks):
            k = names.index(name) + 1 if name else 0
            if j == 0:
                chunk = cell
                chunk.source = code
            elif name:
                chunk = new_code_cell(code, id=f"{cell.id}-answer{k}")
            else:
                last = j == len(chunks) - 1
                chunk = new_code_cell(code, id=f"{cell.id}-rest" if last else f"{cell.id}-rest{j}")
            if not name:
                cells.append(nbgrader(chunk, "readonly") if teacher else chunk)
                continue
            cells.append(nbgrader(chunk, "solution") if teacher else chunk)
            exercise = todo[name][0]
            listed.append((exercise, section_of(lesson.cells, index)))
            number[name] = f"{n}.{len(listed)}"
            cells.append(new_markdown_cell(hint_cell(number[name], exercise, True), id=f"{cell.id}-idea{k}"))
            cells.append(new_markdown_cell(hint_cell(number[name], exercise), id=f"{cell.id}-hint{k}"))
            cells.append(check_cell(number[name], name, exercise, f"{cell.id}-check{k}", teacher))
    missing = set(todo) - set(number)
    if missing:
        raise MarkerError(
            f"steps/train{n}.py: exercises outside the notebook's code cells: {sorted(missing)}"
        )
    carrying = [
        standalone.cell(standalone.source(TO_NOTEBOOKS), f"train{n}-setup"),
        standalone.checkers_cell(n, graded=teacher),
        standalone.pictures_cell(n),
    ]
    head = [
        cells[0],
        new_markdown_cell(intro(n, listed), id=f"train{n}-exercises"),
        *(nbgrader(cell, "readonly") if teacher else cell for cell in carrying),
        new_code_cell(QUICK, id=f"train{n}-quick"),
    ]
    nb = nbformat.v4.new_notebook(cells=head + cells[1:], metadata=lesson.metadata)
    for cell in nb.cells:
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
    """Write the checkers' worked numbers, then every student notebook (which carries them), whose text
    changed; return the paths written."""
    from . import worked

    return worked.write_all() + notebooks.write_changed(EXERCISES, notebook_path, build)


def problems():
    """One line per student notebook (or checkers' worked numbers) that is missing, stale, or has no step
    left; empty when in sync."""
    from . import worked

    return worked.problems() + notebooks.out_of_sync(
        EXERCISES, "notebooks/exercises", notebook_path, build, "make exercises"
    )


def table():
    """Every exercise as a Markdown table row (step, title, minutes, what it teaches); then, per
    notebook, the earlier answers it holds as given code."""
    rows = ["| # | exercise | min | what it teaches |", "|---|---|---|---|"]
    for n in notebooks.steps():
        for k, (_, exercise, _) in enumerate(exercises(n), 1):
            rows.append(f"| {n}.{k} | {exercise.title} | {exercise.minutes} | {exercise.teaches} |")
    rows += ["", "| student notebook | earlier answers it holds as given code |", "|---|---|"]
    for n in notebooks.steps():
        given = ", ".join(f"{number} {label}" for number, label in given_answers(n)) or "none"
        rows.append(f"| step {n} | {given} |")
    return "\n".join(rows)


def main(argv=None):
    parser = command_line(__doc__, __file__)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--stale", action="store_true", help=notebooks.CHECK_HELP)
    what.add_argument("--list", action="store_true", help="print the exercises as a Markdown table")
    what.add_argument(
        "--teacher",
        metavar="FOLDER",
        type=Path,
        help="write the notebooks with the solutions in place (an nbgrader source) into FOLDER",
    )
    args = parser.parse_args(argv)
    try:
        if args.teacher:
            write_teacher(args.teacher)
            return 0
        if args.list:
            print(table())
            return 0
        return notebooks.generate(args.stale, problems, write_all, "student notebook(s)")
    except MarkerError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    run_main(main)
