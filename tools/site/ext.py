"""The course site's own pieces, as a Sphinx extension (docs/conf.py loads it): only what no library does.

- A lesson (steps/trainN.ipynb, staged from notebooks/) is changed as it is read, never on disk: its
  setup cells are tagged remove-cell (they still run: the lesson needs them), its widget is left out, and
  after the title come the buttons into the site's JupyterLite, the links to the sources and the
  side-by-side diff from the step before; the last step ends with docs/next.md.
- ```{stepdiff} N```: the code-only diff train{N-1} -> train{N} (difflib.HtmlDiff), the files' line numbers.
- ```{ladder}```: docs/results/ladder.json as tools/measure/ladder.py writes it for ladder.md, relinked.
- No stylesheet from elsewhere (jupyterlite-sphinx asks for a web font), and after the build
  JupyterLite's root page is the course's landing page (tools/lite/build.py's), its Pyodide checked.
"""

import difflib
import json
import re
import sys
from pathlib import Path

if __name__ == "__main__":  # run directly, by path: no package to import from, so before the imports
    sys.stderr.write(
        "error: tools/site/ext.py is a library, not a command: docs/conf.py loads it "
        "(`make docs`, tools/site/build.py)\n"
    )
    sys.exit(2)

from .. import diff
from ..project import RESULTS, step_numbers

LITE = "lite"  # where jupyterlite-sphinx puts the JupyterLite site, from the site's root
SETUP = "-setup"  # the generated setup cell's id ends so (tools/generate/setup_cell.py)
WIDGET = (
    "-widget",
    "-widget-about",
)  # the ipywidgets cell and its Markdown (tools/generate/picture_cells.py)


def lite_link(depth, path):
    """JupyterLite's lab opened on `path`, from a page `depth` folders below the site's root."""
    return "../" * depth + f"{LITE}/lab/index.html?path={path}"


# --- the lesson pages -------------------------------------------------------------------------------


def lesson_cells(n, first, last):
    """The Markdown the site adds after a lesson's title: buttons, sources, the diff (and what is new)."""
    if n == first:
        what = (
            "## Where it starts\n\nThe first step: there is no step before it, so read it top to bottom "
            "below. Every later page starts with its diff."
        )
    else:
        what = (
            f"## What is new: the diff from train{n - 1}\n\nCode only: docstrings (the Markdown cells), "
            f"comments and blank lines are left out; the numbers are the lines in each file. "
            f"`make diff{n}` shows the unified diff, prose included "
            f"([reading a diff](../start.md#reading-a-diff))."
            f"\n\n```{{stepdiff}} {n}\n```"
        )
    return [
        f"```{{lesson}} {n}\n```",
        what,
        "## The lesson notebook\n\nRun at build time in quick mode (`NUM_STEPS` of a few steps): the "
        "losses and names below come from a short run, not from the full 1,000 steps "
        "([the ladder](../ladder.md) "
        "has those).",
    ]


def markdown_cell(n, i, text):
    return {"cell_type": "markdown", "id": f"train{n}-site{i}", "metadata": {}, "source": text}


def edit_lesson(text, n, steps, next_text):
    """The lesson notebook as the site shows it (JSON in, JSON out; see the module doc)."""
    nb = json.loads(text)
    # A static page cannot run a widget: its saved state would bring random ids and scripts from elsewhere.
    nb["cells"] = [cell for cell in nb["cells"] if not cell.get("id", "").endswith(WIDGET)]
    for cell in nb["cells"]:
        if cell.get("id", "").endswith(SETUP):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            tags.append("remove-cell")
    added = [markdown_cell(n, i, t) for i, t in enumerate(lesson_cells(n, steps[0], steps[-1]))]
    nb["cells"][1:1] = added
    if n == steps[-1]:
        nb["cells"].append(markdown_cell(n, len(added), next_text))
    return json.dumps(nb, ensure_ascii=False)


def on_source_read(app, docname, source):
    found = re.fullmatch(r"steps/train(\d+)", docname)
    if found:
        next_text = (Path(app.srcdir) / "next.md").read_text(encoding="utf-8")
        source[0] = edit_lesson(source[0], int(found.group(1)), step_numbers(), next_text)


def lesson_html(n, depth):
    """The buttons into JupyterLite and the links to the sources (files the site serves, in src/)."""
    up = "../" * depth
    return (
        f'<div class="lesson-buttons">'
        f'<a class="btn btn-primary" id="run-in-browser" '
        f'href="{lite_link(depth, f"notebooks/train{n}.ipynb")}">'
        f"▶ Run in your browser</a> "
        f'<a class="btn btn-outline-primary" id="exercises" '
        f'href="{lite_link(depth, f"notebooks/exercises/train{n}.ipynb")}">Exercises</a></div>'
        f'<p class="lesson-sources">JupyterLite: Python in this browser tab, nothing to install. '
        f'Sources: <a href="{up}src/train{n}.py">steps/train{n}.py</a> · '
        f'<a href="{up}src/train{n}.ipynb">notebooks/train{n}.ipynb</a> · '
        f'<a href="{up}src/exercises/train{n}.ipynb">notebooks/exercises/train{n}.ipynb</a></p>'
    )


# --- the diff ---------------------------------------------------------------------------------------


class HtmlDiff(difflib.HtmlDiff):
    def __init__(self, n):
        super().__init__(tabsize=4)
        self.n = n

    def _make_prefix(self):  # anchors named by the step, not by how many diffs this process made before
        self._prefix = [f"from{self.n}_", f"to{self.n}_"]


def side_by_side(n):
    """The code-only diff train{n-1} -> train{n} as an HTML table, numbered as the files are."""
    old, new = (diff.numbered_code_lines(diff.read(k)) for k in (n - 1, n))
    table = HtmlDiff(n).make_table(
        [t for _, t in old],
        [t for _, t in new],
        f"steps/train{n - 1}.py",
        f"steps/train{n}.py",
        context=True,
        numlines=3,
    )
    numbers = {"from": [k for k, _ in old], "to": [k for k, _ in new]}
    table = re.sub(
        r'(<td class="diff_header" id="(from|to)\d+_(\d+)">)\d+(</td>)',
        lambda m: f"{m.group(1)}{numbers[m.group(2)][int(m.group(3)) - 1]}{m.group(4)}",
        table,
    )
    # difflib's jump links out, and two columns of code that share the width (the page scrolls instead)
    table = re.sub(r'<t([dh]) class="diff_next"[^>]*>.*?</t\1>', "", table)
    table = re.sub(r"(\s*<colgroup></colgroup>)+", '<col class="n"><col><col class="n"><col>', table, count=1)
    matcher = difflib.SequenceMatcher(None, [t for _, t in old], [t for _, t in new], autojunk=False)
    ops = matcher.get_opcodes()
    removed = sum(i2 - i1 for op, i1, i2, _, _ in ops if op != "equal")
    added = sum(j2 - j1 for op, _, _, j1, j2 in ops if op != "equal")
    return (
        f'<p class="diff-count"><span class="diff_sub">{removed} lines removed</span> '
        f'<span class="diff_add">{added} lines added</span></p>'
        f'<div class="stepdiff" id="diff">{table}</div>'
    )


# --- the ladder ---------------------------------------------------------------------------------------


def ladder_markdown(data):
    """tools/measure/ladder.py's page of the ladder, without its title, linked to the lesson pages."""
    from ..measure import ladder

    text = ladder.markdown(data).split("\n", 1)[1]
    text = re.sub(r"\]\(\.\./\.\./steps/train(\d+)\.py\)", r"](steps/train\1.ipynb)", text)
    return text.replace("](loss_curves.svg)", "](results/loss_curves.svg)")


# --- the lessons' outputs --------------------------------------------------------------------------


def coalesce_streams(outputs):
    """A cell's stream outputs joined, one per stream, as printed. (myst-nb's own strips each piece, so a
    line that the kernel sent in two pieces gains a blank line where it was cut: not the same twice.)"""
    merged, streams = [], {}
    for out in outputs:
        if out["output_type"] == "stream" and out["name"] in streams:
            streams[out["name"]]["text"] += out["text"]
            continue
        if out["output_type"] == "stream":
            streams[out["name"]] = out
        merged.append(out)
    return merged


# --- directives and events ------------------------------------------------------------------------------


def setup(app):
    from docutils import nodes
    from docutils.statemachine import StringList
    from myst_nb.core import render
    from sphinx.util.docutils import SphinxDirective

    from ..measure import ladder

    render.coalesce_streams = coalesce_streams  # where myst-nb's renderer calls it (nb_merge_streams)

    class Lesson(SphinxDirective):
        required_arguments = 1

        def run(self):
            depth = self.env.docname.count("/")
            return [nodes.raw("", lesson_html(int(self.arguments[0]), depth), format="html")]

    class StepDiff(SphinxDirective):
        required_arguments = 1

        def run(self):
            n = int(self.arguments[0])
            for k in (n - 1, n):  # a changed step rebuilds its page
                self.env.note_dependency(str(Path(diff.step_path(k)).resolve()))
            # no-search: the diff's code is the page's code again, and its line numbers would be words
            return [nodes.raw("", side_by_side(n), format="html", classes=["no-search"])]

    class Ladder(SphinxDirective):
        def run(self):
            self.env.note_dependency(str(RESULTS / "ladder.json"))
            box = nodes.container(classes=["ladder"])
            text = ladder_markdown(ladder.load(self.config.site_results))
            self.state.nested_parse(StringList(text.splitlines(), self.env.docname), self.content_offset, box)
            return [box]

    def local_css(app, config):  # jupyterlite-sphinx's web font: the site loads nothing from elsewhere
        app.registry.css_files = [(f, a) for f, a in app.registry.css_files if not re.match(r"https?:", f)]

    def lite_landing(app, error):
        if error is not None or "jupyterlite_sphinx" not in app.extensions or app.builder.format != "html":
            return
        from ..lite import build as lite

        site = Path(app.outdir) / LITE
        (site / "index.html").write_text(lite.landing_page(lite.START), encoding="utf-8")
        try:
            lite.check_site(site, lite.load_lock())
        except lite.LiteError as problem:
            raise RuntimeError(str(problem)) from None

    app.add_config_value("site_results", str(RESULTS), "env")
    app.add_directive("lesson", Lesson)
    app.add_directive("stepdiff", StepDiff)
    app.add_directive("ladder", Ladder)
    app.connect("source-read", on_source_read)
    app.connect("config-inited", local_css)  # after every setup(), before the builder copies them
    app.connect("build-finished", lite_landing, priority=900)  # after jupyterlite-sphinx's build (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
