"""What nbgrader's autograder reads before it trusts a grade cell: the code of the student's cells.

The answer cells run in the kernel that grades them, so code in them can reach anything there: the
setup cell's `check` and `_graded`, builtins, sys.modules, the checker's frames while it runs. A grade
cell's fresh checkers (tools/generate/setup_cell.py) stop what rebinding does; this stops the rest, from
outside the kernel, where the student's code cannot reach: each cell the student can change (answer
cells, cells they added) is read as text, and one that names the grading's objects or the interpreter's
machinery costs the checks it could have changed: an answer cell its own exercise, any other cell every
check after it. The grade cell gets an error output saying why, so the feedback shows it.

make nbgrader copies this file into the course's nbgrader_config.py, where an nbgrader preprocessor
calls verdicts() between running the notebook and saving its grades; it uses the standard library
only. The rules are for these exercises, whose answers need arithmetic, lists and math: nothing here
is needed by a correct answer.
"""

import ast
import symtable

# Names an answer has no business with, as globals: the grading's, and the interpreter's ways in.
NAMES = {
    *("check", "common", "plain_gpt", "dataset", "_graded", "_module", "_SOURCES", "_BUILTINS"),
    *("sys", "builtins", "__builtins__", "gc", "ctypes", "inspect", "importlib", "get_ipython"),
    *("globals", "locals", "vars", "getattr", "setattr", "delattr", "exec", "eval", "compile"),
    *("__import__", "breakpoint", "open"),
}
# Attributes that lead into frames, code, modules or a function's globals.
ATTRIBUTES = {
    *("f_globals", "f_locals", "f_back", "f_builtins", "f_code", "f_trace", "tb_frame", "tb_next"),
    *("gi_frame", "cr_frame", "ag_frame", "cell_contents", "modules", "settrace", "setprofile"),
    *("_getframe", "__globals__", "__code__", "__closure__", "__dict__", "__class__", "__subclasses__"),
    *("__mro__", "__bases__", "__base__", "__builtins__", "__func__", "__self__", "__traceback__"),
    *("__getattribute__", "__defaults__", "__kwdefaults__", "__loader__", "__spec__"),
}
# The given code calls these, which change nothing of the grading: `sys` used only so is no problem.
HARMLESS = {"sys": {"exit", "setrecursionlimit"}}
IMPORTS = {"math", "random", "os", "itertools", "functools", "collections", "operator", "string"}


def problems(source, modules=("math", "random", "os")):
    """What in a cell's code reaches into the grading or the interpreter, one phrase each."""
    try:
        tree = ast.parse(source)
        table = symtable.symtable(source, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return []  # it cannot run: its check fails on its own
    harmless = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.attr in HARMLESS.get(node.value.id, ())
    }
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node not in harmless}
    found, todo = set(), [table]
    while todo:  # names as globals: at the top of the cell, or not bound inside a function
        scope = todo.pop()
        todo += scope.get_children()
        for symbol in scope.get_symbols():
            top = scope.get_type() == "module"
            name = symbol.get_name()
            if name in NAMES and (top or symbol.is_global()) and (name in used or name not in HARMLESS):
                found.add(f"`{symbol.get_name()}`")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:
            found.add(f"`.{node.attr}`")
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            if isinstance(node.value, ast.Name) and node.value.id in modules:
                found.add(f"a change to the module `{node.value.id}`")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
            found |= {f"`import {name}`" for name in names if (name or ".").split(".")[0] not in IMPORTS}
    return sorted(found)


def verdicts(cells):
    """{index of a grade cell: the line its check gets instead}, for the code cells of a notebook."""
    out, own, every = {}, [], []  # what the next check is blamed for; what every later check is
    for i, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("grade") and meta.get("locked"):
            if own or every:
                number = meta.get("grade_id", "").split("-")[0][2:].replace("_", ".")  # ex2_1-… is 2.1
                out[i] = (
                    f"✗ {number}: not graded, 0 points: {'; '.join(own + every)}: no answer needs that "
                    "(it reaches into the grading or the interpreter); ask your teacher"
                )
            own = []
        elif not meta.get("locked"):
            uses = problems(cell.source)
            if uses and meta.get("solution"):
                own.append(f"this exercise's answer cell uses {', '.join(uses)}")
            elif uses:
                every.append(f"cell {i + 1} (not an answer cell) uses {', '.join(uses)}")
    return out


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    import sys

    sys.stderr.write(
        "error: tools/nbgrader/audit.py is a library, not a command: `make nbgrader` copies it into the "
        "course's nbgrader_config.py\n"
    )
    sys.exit(2)
