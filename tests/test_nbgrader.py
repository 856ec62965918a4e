"""The nbgrader course's own machinery, without nbgrader: the audit of the students' cells finds every
way into the grading and no correct answer; the config carries it; make nbgrader keeps the teacher's
changes. (make grade-proof runs nbgrader itself.)"""

import ast

import nbformat
import pytest

from tools.exercises import student as exercises
from tools.nbgrader import audit, course
from tools.project import step_numbers

STEPS = step_numbers()
ATTACKS = {
    "check.adam = lambda *a, **k: True": "`check`",
    'check = type("Pass", (), {})()': "`check`",
    "_graded = object": "`_graded`",
    "import builtins\nbuiltins.abs = lambda x: 0.0": "`builtins`",
    "math.isclose = lambda *a, **k: True": "a change to the module `math`",
    "m = math\nm.isclose = None": "",  # an alias: the fresh checkers' own math is what stops it
    "def f():\n    global check\n    check = 1": "`check`",
    "import sys\nsys.modules['check'] = None": "`.modules`",
    "x = sys": "`sys`",
    "(lambda: 0).__globals__['check'] = None": "`.__globals__`",
    "getattr(Value, 'x')": "`getattr`",
    "import inspect": "`import inspect`",
    "exec('check.adam = 1')": "`exec`",
}


@pytest.mark.parametrize("code", ATTACKS)
def test_the_audit_names_each_way_into_the_grading(code):
    found = audit.problems(code)
    assert (ATTACKS[code] in found) if ATTACKS[code] else True, found


@pytest.mark.parametrize("n", STEPS)
def test_the_audit_finds_nothing_in_the_course_or_its_solutions(n):
    nb = exercises.notebook(n, teacher=True)
    cells = [
        c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("locked")
    ]
    assert cells and all(audit.problems(c.source) == [] for c in cells)
    solved = exercises.fill(exercises.notebook(n), exercises.solutions(n))
    answers = {c.id for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    theirs = [c for c in solved.cells if c.id in answers]
    assert len(theirs) == len(exercises.exercises(n))
    assert all(audit.problems(c.source) == [] for c in theirs), [audit.problems(c.source) for c in theirs]
    assert audit.problems("def f(check, vars):\n    return check + vars") == []  # locals are theirs


def test_an_answer_costs_its_own_check_and_any_other_cell_every_check_after_it():
    nb = exercises.notebook(2, teacher=True)
    answers = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")]
    grades = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")]
    nb.cells[answers[1]].source += "\ncheck.power = None"
    assert list(audit.verdicts(nb.cells)) == [grades[1]]
    assert "✗ 2.2: not graded" in audit.verdicts(nb.cells)[grades[1]]
    nb.cells.insert(answers[2], nbformat.v4.new_code_cell("import gc"))  # a cell the student added
    grades = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")]
    assert list(audit.verdicts(nb.cells)) == grades[1:]


def test_the_config_carries_the_audit_and_a_timeout_that_fits_quick_mode():
    config = course.config()
    ast.parse(config)
    assert course.AUDIT.read_text(encoding="utf-8").split("\n\nif __name__")[0] in config
    assert f"c.Execute.timeout = {course.TIMEOUT}" in config and course.TIMEOUT <= 20
    assert "os.environ.setdefault(knob, value)" in config and repr(course.QUICK) in config


def test_make_nbgrader_keeps_a_file_the_teacher_changed_and_says_so(tmp_path):
    said = []
    course.write_course(tmp_path, said.append, mathjax=False)
    assert said == []
    config, notebook = tmp_path / "nbgrader_config.py", tmp_path / "source" / "train2" / "train2.ipynb"
    config.write_text(config.read_text(encoding="utf-8") + "c.Execute.timeout = 60\n", encoding="utf-8")
    notebook.write_text(notebook.read_text(encoding="utf-8").replace("Value", "Valu", 1), encoding="utf-8")
    course.write_course(tmp_path, said.append, mathjax=False)
    assert config.read_text(encoding="utf-8").endswith("= 60\n") and "Valu" in notebook.read_text("utf-8")
    assert len(said) == 2 and all(line.startswith("kept ") and "delete it" in line for line in said)
    config.unlink()  # deleted: make nbgrader writes its own again
    course.write_course(tmp_path, said.append, mathjax=False)
    assert config.read_text(encoding="utf-8") == course.config() and len(said) == 3


def test_the_guide_says_the_time_limit_and_the_cell_timeout():
    from tools.exercises import common

    guide = (course.DOCS).read_text(encoding="utf-8")
    assert f"did not finish in {common.LIMIT} s" in guide and f"cell timeout of {course.TIMEOUT} s" in guide


def test_a_feedback_page_read_alone_loads_the_pinned_mathjax():
    """Away from feedback/mathjax/, the page asks jsDelivr for the MathJax the site pins (shot.py proves
    it in Chromium, in make grade-proof)."""
    import json

    from tools.nbgrader import shot
    from tools.site.build import LOCK

    version = json.loads(LOCK.read_text(encoding="utf-8"))["mathjax"]["version"]
    template = (course.FEEDBACK / "index.html.j2").read_text(encoding="utf-8")
    assert shot.CDN.format(version=version) + "tex-chtml.js" in template
    assert template.index('src="../../mathjax/tex-chtml.js"') < template.index("onerror")
