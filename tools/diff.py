"""Print the lesson of a step: the unified diff from the step before it.

    python3 tools/diff.py 3          # train2.py -> train3.py
    python3 tools/diff.py --all      # every diff, in order
    python3 tools/diff.py 4 --code   # the same, code only: what the code changes (--all --code: every one)
    python3 tools/diff.py --count    # changed lines per step, code only (no prose, comments, blanks)

The plain diff is the lesson as it reads, prose and code together. --code leaves out docstrings
(the Markdown cells), comments and blank lines, and shows a line that only changed its indentation
(a block moved into a new loop) as unchanged, as the new step has it; the line under the header
says how many. Its hunk headers give the files' own line numbers.

Colour is used when stdout is a terminal (and NO_COLOR is not set).
"""

import difflib
import io
import os
import re
import sys
import tokenize

try:  # part of the tools package (python3 -m tools.X, the workshop, the tests), or run by path
    from .project import command_line, run_main, step_path
    from .project import step_numbers as steps
except ImportError:  # python3 tools/diff.py: tools/ is the script's folder
    from project import command_line, run_main, step_path
    from project import step_numbers as steps

# The reference progression's changed code lines per diff (../shared/reference/ladder.md, code only):
# a figure of the specification, quoted here once (the README's diff table, tests/test_tools.py's bound).
REFERENCE_COUNT = {1: 112, 2: 130, 3: 53, 4: 72, 5: 13}
COLOURS = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
RESET, BOLD = "\033[0m", "\033[1m"


def read(n):
    with open(step_path(n), encoding="utf-8") as f:
        return f.read()


def title(n):
    """The step's one-line idea: the first Markdown heading of its docstring."""
    for line in read(n).splitlines():
        if line.startswith("# Step"):
            return line.lstrip("# ").strip()
    return f"train{n}"


def unified(n):
    old, new = read(n - 1).splitlines(keepends=True), read(n).splitlines(keepends=True)
    return list(difflib.unified_diff(old, new, f"steps/train{n - 1}.py", f"steps/train{n}.py"))


def paint(line, colour):
    if not colour:
        return line
    if line.startswith(("+++", "---")):
        return BOLD + line.rstrip("\n") + RESET + "\n"
    code = COLOURS.get(line[:1])
    return code + line.rstrip("\n") + RESET + "\n" if code else line


def code_lines(source):
    """The lines that are code: no docstrings/Markdown cells, comments or blank lines."""
    return [line for _, line in numbered_code_lines(source)]


def numbered_code_lines(source):
    """code_lines() with each line's number in the file: [(number, line), ...] (the side-by-side diffs use
    it)."""
    strip = set()
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for i, tok in enumerate(tokens):
        before = tokens[i - 1].type if i else tokenize.NEWLINE
        if tok.type == tokenize.STRING and before in (
            tokenize.NEWLINE,
            tokenize.NL,
            tokenize.INDENT,
            tokenize.DEDENT,
        ):
            strip.update(range(tok.start[0], tok.end[0] + 1))  # a bare string statement: prose
    out = []
    for number, line in enumerate(source.splitlines(), 1):
        if number in strip:
            continue
        line = re.sub(r"\s+#.*$", "", line) if "#" in line else line  # trailing comment
        if line.strip() and not line.lstrip().startswith("#"):
            out.append((number, line.rstrip() + "\n"))
    return out


def span(lines, start, stop):
    """A hunk header's range (as difflib writes it) of lines[start:stop], numbered_code_lines() of a
    file: in that file's own line numbers."""
    if stop == start:  # nothing on this side: the range ends at the line before
        return f"{lines[start - 1][0] if start else 0},0"
    return f"{lines[start][0]}" if stop - start == 1 else f"{lines[start][0]},{stop - start}"


def code_diff(old_source, new_source):
    """The hunks of the unified diff of two sources' code lines only (code_lines), in which a line that
    only changed its indentation counts as unchanged, shown as the new source has it: (lines, how many
    lines only changed their indentation)."""
    old, new = numbered_code_lines(old_source), numbered_code_lines(new_source)
    # Lines compared without their indentation: a block moved into a loop is not a change of code.
    stripped = [[text.strip() for _, text in lines] for lines in (old, new)]
    matcher = difflib.SequenceMatcher(None, *stripped)
    reindented = sum(
        was != now
        for tag, i1, i2, j1, _ in matcher.get_opcodes()
        if tag == "equal"
        for (_, was), (_, now) in zip(old[i1:i2], new[j1:])
    )
    out = []
    for group in matcher.get_grouped_opcodes(3):
        (_, i1, _, j1, _), (_, _, i2, _, j2) = group[0], group[-1]
        out.append(f"@@ -{span(old, i1, i2)} +{span(new, j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out += [" " + line for _, line in new[b1:b2]]
            else:
                out += ["-" + line for _, line in old[a1:a2]] + ["+" + line for _, line in new[b1:b2]]
    return out, reindented


def code_unified(n):
    """code_diff() from train{n-1} to train{n}, with its ---/+++ lines: (lines, re-indented count)."""
    lines, reindented = code_diff(read(n - 1), read(n))
    return [f"--- steps/train{n - 1}.py\n", f"+++ steps/train{n}.py\n"] + lines, reindented


def count(n):
    """Changed code lines from train{n-1} to train{n}, counted like `diff | grep -c '^[<>]'`."""
    diff = difflib.unified_diff(code_lines(read(n - 1)), code_lines(read(n)), n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def main(argv=None):
    available = steps()
    parser = command_line(__doc__, __file__)
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "n",
        nargs="?",
        type=int,
        choices=available[1:],
        metavar="N",
        help="a step with one before it: " + (", ".join(map(str, available[1:])) or "none yet"),
    )
    which.add_argument("--all", action="store_true", help="every diff, in order")
    which.add_argument(
        "--count", action="store_true", help="changed code lines per step (no prose, comments, blanks)"
    )
    parser.add_argument(
        "--code",
        action="store_true",
        help="code only: no prose, comments or blanks; re-indented lines shown as unchanged",
    )
    args = parser.parse_args(argv)
    if args.n is None and not (args.all or args.count):
        parser.error("which diff? give a step number N, --all or --count")
    if args.code and args.count:
        parser.error("--count counts code lines already: give it no --code")
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if args.count:
        counts = {n: count(n) for n in available[1:]}
        for n, c in counts.items():
            print(
                f"train{n - 1} -> train{n}: {c:4d} changed code lines, the reference's "
                f"{REFERENCE_COUNT.get(n, '-'):>3}  "
                f"({title(n)})"
            )
        print(f"total: {sum(counts.values())}")
        return 0
    for n in available[1:] if args.all else [args.n]:
        head = f"train{n - 1}.py -> train{n}.py: {title(n)}"
        print((BOLD + head + RESET) if colour else head)
        if args.code:
            lines, reindented = code_unified(n)
            print(
                f"code only (no docstrings, comments or blank lines); {reindented} re-indented "
                f"line{'' if reindented == 1 else 's'} shown as unchanged"
            )
        else:
            lines = unified(n)
        sys.stdout.writelines(paint(line, colour) for line in lines)
        print()
    return 0


if __name__ == "__main__":
    run_main(main)
