"""Build the static site: build/site/index.html (ladder table, loss curves) and one page per step.

    python -m tools.site.build                 # make docs: from the committed docs/results/ladder.json and plots
    python -m tools.site.build --quick         # from a clean checkout: a quick ladder into a temp folder first
    python -m tools.site.build --out DIR       # somewhere else than build/site/

A step page has the code-only side-by-side diff from the step before it and the lesson notebook,
rendered by nbconvert after running it with nbclient in quick mode (NUM_STEPS=20, one notebook
after another, each in its own kernel): the outputs show what a student sees on a quick run; the
full-length figures are those of the ladder. Pages open straight from disk: relative links,
the plot copied in, no script at all, no CDN. Math is drawn at build time by matplotlib's
mathtext into small inline SVG images (the TeX is in their alt text), so it works offline.
Needs the pinned .venv (nbconvert, nbclient, matplotlib): `make docs`.
"""

import base64
import difflib
import html
import io
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import diff
from ..generate import notebooks
from ..lite import build as lite
from ..measure import ladder
from ..project import RESULTS, ROOT, SITE, TOOLS, command_line, positive_int, run_main, step_numbers, step_path, without_knobs

NOTEBOOK_STEPS = 20  # NUM_STEPS of the notebook runs shown on the step pages
QUICK = {"ladder_steps": 5, "heldout": 100, "notebook_steps": 3}  # --quick: seconds, not minutes
CONTEXT = 3  # unchanged lines shown around each change in a diff
KEEP = (lite.OUT.name,)  # made in build/site/ by make lite and lite-check: left as they are

# --- math: TeX to inline SVG, at build time --------------------------------------------------------

MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)
_math_cache = {}


def math_image(tex, display=False):
    """One formula as an <img> holding an SVG drawn by matplotlib's mathtext; <code> if mathtext can't."""
    key = (tex, display)
    if key not in _math_cache:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import mathtext
        from matplotlib.font_manager import FontProperties

        buf = io.BytesIO()
        try:
            with matplotlib.rc_context({"svg.hashsalt": "microgpt", "mathtext.fontset": "dejavusans"}):
                depth = mathtext.math_to_image(f"${tex}$", buf, prop=FontProperties(size=13 if display else 11),
                                               format="svg")
        except ValueError:  # TeX that mathtext does not know: show the source
            _math_cache[key] = f"<code>{html.escape(tex)}</code>"
        else:
            data = base64.b64encode(buf.getvalue()).decode("ascii")
            style = "display:block;margin:0.6em auto" if display else f"vertical-align:-{depth:.1f}pt"
            _math_cache[key] = (f'<img class="math" style="{style}" alt="{html.escape(tex)}" '
                                f'title="{html.escape(tex)}" src="data:image/svg+xml;base64,{data}">')
    return _math_cache[key]


def render_math(markdown):
    """Replace $…$ and $$…$$ outside code spans by images."""
    parts = re.split(r"(`+[^`]*`+)", markdown)
    for i in range(0, len(parts), 2):  # the even parts are outside code spans
        parts[i] = MATH.sub(lambda m: math_image(m.group(1) or m.group(2), display=bool(m.group(1))), parts[i])
    return "".join(parts)


# --- diffs ----------------------------------------------------------------------------------------

def _token_classes(line):
    """A CSS class (Pygments' short names) for every character of one line of Python."""
    from pygments.lexers import PythonLexer
    from pygments.token import STANDARD_TYPES

    classes = []
    for ttype, value in PythonLexer(stripnl=False, ensurenl=False).get_tokens(line):
        while ttype not in STANDARD_TYPES:
            ttype = ttype.parent
        classes += [STANDARD_TYPES[ttype]] * len(value)
    return classes if len(classes) == len(line) else [""] * len(line)


def _line_html(line, changed=None):
    """One line of code as HTML: syntax classes, plus <span class="… x"> on the characters that changed."""
    classes = _token_classes(line)
    changed = changed or [False] * len(line)
    out, start = [], 0
    for i in range(1, len(line) + 1):
        if i == len(line) or (classes[i], changed[i]) != (classes[start], changed[start]):
            text = html.escape(line[start:i])
            names = " ".join(filter(None, (classes[start], "x" if changed[start] else "")))
            out.append(f'<span class="{names}">{text}</span>' if names else text)
            start = i
    return "".join(out)


def _intraline(old, new):
    """Which characters of each line differ from the other line (None when the lines are too unlike)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < 0.5:
        return None, None
    a, b = [True] * len(old), [True] * len(new)
    for block in matcher.get_matching_blocks():
        a[block.a:block.a + block.size] = [False] * block.size
        b[block.b:block.b + block.size] = [False] * block.size
    return a, b


def _similarity(a, b):
    """How alike two lines are, 0..1: difflib's ratio, averaged with how much of the shorter line the longer
    one contains (so that a line that grew, like a dict with two more entries, still finds its old self)."""
    a, b = a.strip(), b.strip()
    if not a or not b:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    shared = sum(block.size for block in matcher.get_matching_blocks())
    return (2 * shared / (len(a) + len(b)) + shared / min(len(a), len(b))) / 2


def _align(old, new, cutoff=0.6, scores=None):
    """Rows (i, j, similar) for a block of changed lines: the most similar pair side by side, then the same
    on either side of it; lines without a similar partner just share rows (i or j None when one side runs out)."""
    if scores is None:
        scores = [[_similarity(a, b) for b in new] for a in old]
    best, where = cutoff, None
    for i, row in enumerate(scores):
        for j, score in enumerate(row):
            if score > best:
                best, where = score, (i, j)
    if where is None:
        return [(i, j, False) for i, j in itertools.zip_longest(range(len(old)), range(len(new)))]
    i, j = where
    before = _align(old[:i], new[:j], cutoff, [row[:j] for row in scores[:i]])
    after = _align(old[i + 1:], new[j + 1:], cutoff, [row[j + 1:] for row in scores[i + 1:]])
    return before + [(i, j, True)] + [(None if a is None else a + i + 1, None if b is None else b + j + 1, s)
                                      for a, b, s in after]


def _row(kind, left=None, right=None, marks=(None, None)):
    """A table row: (number, text) on either side, or None for an empty side."""
    cells = []
    for side, (number_text, mark) in zip(("l", "r"), ((left, marks[0]), (right, marks[1]))):
        if number_text is None:
            cells.append(f'<td class="n"></td><td class="c {side} empty"></td>')
        else:
            number, text = number_text
            cells.append(f'<td class="n">{number}</td><td class="c {side}">{_line_html(text.rstrip(chr(10)), mark)}</td>')
    return f'<tr class="{kind}">{"".join(cells)}</tr>'


def side_by_side(n):
    """The code-only diff train{n-1} -> train{n} as an HTML table, with the files' line numbers."""
    old, new = diff.numbered_code_lines(diff.read(n - 1)), diff.numbered_code_lines(diff.read(n))
    matcher = difflib.SequenceMatcher(None, [t for _, t in old], [t for _, t in new], autojunk=False)
    rows, added, removed = [], 0, 0
    for g, group in enumerate(matcher.get_grouped_opcodes(CONTEXT)):
        i, j = group[0][1], group[0][3]  # where this hunk starts, as positions in the code-only lists
        at_old = old[i][0] if i < len(old) else "end"
        at_new = new[j][0] if j < len(new) else "end"
        skipped = "⋯ " if g or i or j else ""  # unchanged lines left out above
        rows.append(f'<tr class="hunk"><td colspan="4">{skipped}train{n - 1}.py line {at_old} · '
                    f"train{n}.py line {at_new}</td></tr>")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [_row("same", old[i], new[j]) for i, j in zip(range(i1, i2), range(j1, j2))]
                continue
            removed, added = removed + (i2 - i1), added + (j2 - j1)
            for i, j, similar in _align([t for _, t in old[i1:i2]], [t for _, t in new[j1:j2]]):
                left = old[i1 + i] if i is not None else None
                right = new[j1 + j] if j is not None else None
                marks = _intraline(left[1].rstrip("\n"), right[1].rstrip("\n")) if similar else (None, None)
                rows.append(_row("change", left, right, marks))
    body = "\n".join(rows) or '<tr class="hunk"><td colspan="4">no code changed</td></tr>'
    return (f'<table class="sbs"><colgroup><col class="nc"><col><col class="nc"><col></colgroup>\n'
            f'<thead><tr><th colspan="2">steps/train{n - 1}.py</th><th colspan="2">steps/train{n}.py</th></tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table>"), added, removed


def diff_css():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".sbs td.c")


# --- notebooks ------------------------------------------------------------------------------------

def render_notebook(nb, n, header, footer):
    import jinja2
    from nbconvert import HTMLExporter

    nb = notebooks.nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = render_math(cell.source)
    first = nb.cells[0]  # the page's own heading says the title
    first.source = "\n".join(line for line in first.source.splitlines() if not line.startswith(f"# Step {n}"))
    template = "\n".join([
        "{%- extends 'index.html.j2' -%}",
        "{% block html_head_js %}{% endblock html_head_js %}",  # require.js: nothing here needs it
        "{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}",  # math is drawn at build time
        "{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}",
        '{% block extra_css %}<link rel="stylesheet" href="site.css">{% endblock extra_css %}',
        "{% block body_header %}{{ super() }}{{ resources.site_header }}{% endblock body_header %}",
        "{% block body_footer %}{{ resources.site_footer }}{{ super() }}{% endblock body_footer %}",
    ])
    exporter = HTMLExporter(template_name="lab", template_file="site.html.j2",
                            extra_loaders=[jinja2.DictLoader({"site.html.j2": template})])
    # The header and footer go in after the export: nbconvert's post-processing would collapse the diff's spaces.
    marks = {"site_header": "<!-- site header -->", "site_footer": "<!-- site footer -->"}
    body, _ = exporter.from_notebook_node(nb, resources={**marks, "metadata": {"name": f"train{n} — microgpt, step by step"}})
    for mark, text in ((marks["site_header"], header), (marks["site_footer"], footer)):
        if body.count(mark) != 1:
            raise SystemExit(f"error: the nbconvert template lost the {mark!r} placeholder")
        body = body.replace(mark, text)
    return body


# --- pages ----------------------------------------------------------------------------------------

def inline(text):
    """Escape text and turn `code` into <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def page(title, body):
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="site.css">
</head>
<body class="site">
<main class="site-main">
{body}
</main>
</body>
</html>
"""


def nav(n, steps):
    i = steps.index(n)
    prev = f'<a href="step{steps[i - 1]}.html" rel="prev">← train{steps[i - 1]}</a>' if i else "<span></span>"
    nxt = f'<a href="step{steps[i + 1]}.html" rel="next">train{steps[i + 1]} →</a>' if i + 1 < len(steps) else "<span></span>"
    return f'<nav class="site-nav">{prev}<a href="index.html">all steps</a>{nxt}</nav>'


def ladder_table(data):
    rows = []
    for r in data["steps"]:
        params = "— (counts)" if r["params"] is None else f"{r['params']:,}"
        rows.append(f'<tr><td><a href="step{r["step"]}.html">train{r["step"]}</a></td><td>{inline(r["idea"])}</td>'
                    f'<td class="num">{params}</td><td class="num">{r["final_train_loss"]:.4f}</td>'
                    f'<td class="num">{r["heldout_loss"]:.4f}</td><td class="num">{r["heldout_perplexity"]:.2f}</td>'
                    f'<td class="num">{r["wall_seconds"]:.1f} s</td></tr>')
    return ('<table class="ladder" id="ladder"><thead><tr><th>step</th><th>new idea</th><th>parameters</th>'
            f'<th>{ladder.train_loss_header(data["steps"])}</th><th>held-out loss</th><th>perplexity</th>'
            '<th>wall time</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def definitions(data):
    window = data["steps"][0]["final_train_window"]
    return (f'<ul class="notes"><li><b>train loss</b>: the mean of the last {window} training losses '
            f"(each one name's mean loss, as the step prints it), so not the loss of a run's last line.</li>"
            f'<li><b>held-out loss</b>: {html.escape(data["definition"])}</li>'
            f'<li><b>wall time</b>: the whole step as <code>python3 steps/trainN.py</code> runs it (train1\'s gradient '
            f'check, training, sampling), one process ({html.escape(data["machine"])}); held-out scoring not included.</li></ul>')


def index_page(data, steps, quick, in_browser=False):
    note = (f'<p class="warn">Quick build: the ladder ran {data["num_steps"]} steps per step and scored '
            f'{data["heldout_names"]} held-out names, so these are not the real figures (see <code>make ladder</code>).</p>'
            if quick else "")
    cards = "".join(
        f'<li><a href="step{r["step"]}.html"><b>train{r["step"]}</b> — {inline(r["idea"])}</a>'
        + (f' <span class="muted">(<a href="step{r["step"]}.html#diff">diff from train{r["step"] - 1}</a>)</span>'
           if r["step"] != steps[0] else "") + "</li>"
        for r in data["steps"])
    samples = "".join(f'<tr><td>train{r["step"]}</td><td>{html.escape(" · ".join(r["samples"][:8]))}</td></tr>'
                      for r in data["steps"])
    body = f"""
<header class="site-header"><h1>microgpt, step by step</h1>
<p>A GPT built from first principles in six small files of plain Python. Each step adds one idea,
so the diff between two consecutive steps <em>is</em> the lesson. The last step is microgpt.</p></header>
{note}
<h2>The steps</h2>
{'<p class="run-lite"><a href="lite/index.html">▶ The whole course in your browser</a> <span class="muted">(every lesson '
 'and exercise notebook in JupyterLite: nothing to install)</span></p>' if in_browser else ''}
<ol class="steps" start="0">{cards}</ol>
<h2>The ladder</h2>
<p>Every step trained with its defaults (1,000 names, one per step), then scored on names it never saw.</p>
{ladder_table(data)}
{definitions(data)}
<figure id="curves"><img src="loss_curves.svg" alt="training loss curves of the six steps, smoothed over 50 steps, with each step's held-out loss as a diamond" width="1000">
<figcaption>The training loss of every step (running mean over 50 steps); a diamond is the step's held-out loss.
Also as <a href="loss_curves.png">PNG</a>; the numbers are in <a href="ladder.json">ladder.json</a>.</figcaption></figure>
<h2>Names they make up</h2>
<table class="samples"><tbody>{samples}</tbody></table>
<h2>Files</h2>
<p>Each step's source and notebook, as in the repository:
{" · ".join(f'<a href="src/train{n}.py">train{n}.py</a> (<a href="src/train{n}.ipynb">ipynb</a>)' for n in steps)}</p>
<footer class="site-footer">Built by <code>make docs</code> (tools/site/build.py) from <code>docs/results/ladder.json</code>;
<code>make ladder</code> re-runs every step at full length.</footer>
"""
    return page("microgpt, step by step", body)


def run_in_browser(n):
    """Links into the JupyterLite site beside this one (make lite): step n's lesson and exercises."""
    return (f'<p class="run-lite"><a href="lite/{lite.lite_url(f"notebooks/train{n}.ipynb")}">▶ Run this step in your '
            f'browser</a> <span class="muted">(or <a href="lite/{lite.lite_url(f"notebooks/exercises/train{n}.ipynb")}">'
            f'its exercises</a>: JupyterLite, nothing to install; served over http, not opened from disk)</span></p>')


def step_header(n, steps, data, notebook_steps, quick=False, in_browser=False):
    row = next((r for r in data["steps"] if r["step"] == n), None)
    figures = ""
    if row:
        params = "no parameters: a table of counts" if row["params"] is None else f"{row['params']:,} parameters"
        figures = (f'<p class="figures">{params} · train loss {row["final_train_loss"]:.4f} (mean of last '
                   f'{row["final_train_window"]} steps) · held-out loss {row["heldout_loss"]:.4f} '
                   f'(perplexity {row["heldout_perplexity"]:.2f}) · {row["wall_seconds"]:.1f} s '
                   f'· samples: <i>{html.escape(", ".join(row["samples"][:5]))}</i> '
                   f'<a href="index.html#ladder">(the ladder{", quick build" if quick else ""})</a></p>')
    links = f'<a href="src/train{n}.py">steps/train{n}.py</a> · <a href="src/train{n}.ipynb">notebooks/train{n}.ipynb</a>'
    if n == steps[0]:
        diff_section = ('<section id="diff" class="site-section"><h2>Where it starts</h2><p>The first step: there is no '
                        "step before it, so read it top to bottom below. Every later page starts with its diff.</p></section>")
    else:
        table, added, removed = side_by_side(n)
        diff_section = (f'<section id="diff" class="site-section"><h2>What is new: the diff from train{n - 1}</h2>'
                        f'<p class="muted">Code only: docstrings, Markdown cells, comments and blank lines are left out; '
                        f'the numbers are the lines in each file. <span class="legend del">{removed} lines removed</span> '
                        f'<span class="legend ins">{added} lines added</span> (<code>make diff{n}</code> shows the '
                        f"full unified diff, prose included).</p>{table}</section>")
    return (f'<div class="site-top">{nav(n, steps)}<h1 class="site-title">{inline(diff.title(n))}</h1>{figures}'
            f'<p class="muted">{links}</p>{run_in_browser(n) if in_browser else ""}{diff_section}'
            f'<section id="notebook" class="site-section"><h2>The lesson notebook</h2>'
            f'<p class="muted">Run in quick mode (<code>NUM_STEPS={notebook_steps}</code>) to fill in the outputs: the '
            f"losses and names below are from a short run, not from the full 1,000 steps.</p></section></div>")


CSS = """
:root { --site-width: 1180px; --ink: #1d2230; --muted: #5b6275; --line: #d9dce3; --accent: #2156c9; }
body.site { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
.site-main, .site-top { max-width: var(--site-width); margin: 0 auto; padding: 0 20px; }
body.jp-Notebook .jp-Cell { max-width: var(--site-width); margin-left: auto; margin-right: auto; }
body.jp-Notebook .jp-InputArea, body.jp-Notebook .jp-InputArea-editor { overflow-x: auto; }
.site a, .site-top a { color: var(--accent); }
.site-nav { display: flex; justify-content: space-between; gap: 1em; padding: 12px 0; border-bottom: 1px solid var(--line); margin-bottom: 8px; font: 15px system-ui, sans-serif; }
.site-nav a { text-decoration: none; font-weight: 600; }
.site-title { font: 600 28px/1.25 system-ui, sans-serif; margin: 16px 0 8px; }
.site-section h2, .site h2 { font: 600 21px/1.3 system-ui, sans-serif; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.site-top p { font: 15px/1.5 system-ui, sans-serif; }
.muted, .site-footer { color: var(--muted); font-size: 14px; }
.figures { background: #f5f7fb; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.warn { background: #fff6d6; border: 1px solid #e8c95a; border-radius: 6px; padding: 8px 12px; }
.site-header h1 { margin: 24px 0 4px; font-size: 32px; }
ol.steps li { margin: 4px 0; }
table.ladder, table.samples { border-collapse: collapse; width: 100%; font-size: 15px; margin: 8px 0; }
table.ladder th, table.ladder td, table.samples td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
table.ladder th { background: #f0f2f7; font-weight: 600; }
table.ladder td.num, table.ladder th:nth-child(n+3) { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.ladder tbody tr:hover { background: #f7f9fd; }
table.samples td:first-child { white-space: nowrap; font-weight: 600; width: 5em; }
figure { margin: 20px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 14px; }
img.math { display: inline; margin: 0 1px; }
.legend { padding: 1px 6px; border-radius: 3px; }
.legend.del { background: #ffe4e4; } .legend.ins { background: #dcf7e1; }
table.sbs { border-collapse: collapse; width: 100%; table-layout: fixed; margin: 10px 0 24px; border: 1px solid var(--line);
  font: 12.5px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
table.sbs col.nc { width: 3.6em; }
table.sbs thead th { background: #f0f2f7; text-align: left; padding: 6px 8px; font: 600 13px system-ui, sans-serif; border-bottom: 1px solid var(--line); }
table.sbs td { padding: 0 6px; vertical-align: top; }
table.sbs td.n { text-align: right; color: #8a90a0; background: #fafbfc; user-select: none; border-right: 1px solid #eceef2; }
table.sbs td.c { white-space: pre-wrap; overflow-wrap: anywhere; }
table.sbs td.c.l { border-right: 1px solid var(--line); }
table.sbs tr.change td.c.l:not(.empty) { background: #ffecec; }
table.sbs tr.change td.c.r:not(.empty) { background: #e6f9ea; }
table.sbs tr.change td.c.empty { background: #f6f7f9; }
table.sbs td.c.l span.x { background: #ffc0c0; border-radius: 2px; }
table.sbs td.c.r span.x { background: #a8ebb6; border-radius: 2px; }
table.sbs tr.hunk td { background: #eef3fc; color: #4a5a80; padding: 3px 8px; font: 12px system-ui, sans-serif; }
.run-lite a:first-child { font-weight: 600; }
.site-footer { margin: 40px 0 24px; border-top: 1px solid var(--line); padding-top: 8px; }
"""


# --- the build ------------------------------------------------------------------------------------

def build(out, ladder_dir=RESULTS, notebook_steps=NOTEBOOK_STEPS, env=None, quick=False, books=None):
    """Write the site into `out` from ladder_dir's ladder.json and plots; return the pages written.

    `books` are the executed notebooks when the caller has run them already (see quick_build)."""
    started = time.perf_counter()
    out = Path(out)
    data = ladder.load(ladder_dir)
    steps = step_numbers()
    if books is None:
        books = run_notebooks(steps, notebook_steps, dict(os.environ) if env is None else env)
    for old in out.iterdir() if out.exists() else ():
        if old.name not in KEEP:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    (out / "src").mkdir(parents=True)
    in_browser = (out / lite.OUT.name / "index.html").is_file()
    for name in ("loss_curves.svg", "loss_curves.png", "ladder.json"):
        shutil.copy(Path(ladder_dir) / name, out / name)
    for n in steps:
        shutil.copy(step_path(n), out / "src" / f"train{n}.py")
        (out / "src" / f"train{n}.ipynb").write_text(notebooks.build(n), encoding="utf-8")
    (out / "site.css").write_text(CSS + diff_css(), encoding="utf-8")
    pages = [out / "index.html"]
    pages[0].write_text(index_page(data, steps, quick, in_browser), encoding="utf-8")
    for n in steps:
        footer = f'<div class="site-top">{nav(n, steps)}</div>'
        text = render_notebook(books[n], n, step_header(n, steps, data, notebook_steps, quick, in_browser), footer)
        pages.append(out / f"step{n}.html")
        pages[-1].write_text(text, encoding="utf-8")
    progress(f"built {len(pages)} pages in {out} in {time.perf_counter() - started:.1f} s")
    return pages


def run_notebooks(steps, num_steps, env):
    """Every step's notebook executed in quick mode, one after the other; return {n: notebook}."""
    from nbclient import NotebookClient

    started = time.perf_counter()
    progress(f"running the {len(steps)} notebooks (NUM_STEPS={num_steps}) …")
    env = without_knobs(env, keep=("DATASET",))  # DATASET says where the names are: the tests point it at names.txt
    env["NUM_STEPS"] = str(num_steps)
    books = {n: notebooks.notebook(n) for n in steps}
    for nb in books.values():
        # One kernel at a time: kernels started at the same moment in one process can be handed the
        # same free ports, and one of them then never answers (seen as "Kernel didn't respond").
        client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(ROOT / "notebooks")}})
        client.execute(env=env, stderr=subprocess.DEVNULL)  # its stderr only says that it talks over local TCP
    progress(f"  notebooks done in {time.perf_counter() - started:.1f} s")
    return books


def quick_build(out, env=None, books=None):
    """A clean checkout's build: a quick ladder into a temp folder (in a subprocess, while the notebooks
    run), then the site from it. Seconds instead of minutes; the index page says it is a quick build.

    `books`: the lesson notebooks already run with NUM_STEPS=QUICK["notebook_steps"] (the tests share theirs)."""
    env = dict(os.environ) if env is None else env
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ladder-") as tmp:
        command = [sys.executable, "-m", "tools.measure.ladder", "--steps", str(QUICK["ladder_steps"]),
                   "--heldout", str(QUICK["heldout"]), "--out", tmp]
        env = {k: v for k, v in env.items() if k != "LADDER_STEPS"}
        ladder_run = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        try:
            if books is None:
                books = run_notebooks(step_numbers(), QUICK["notebook_steps"], env)
        finally:
            status = ladder_run.wait()
        if status:
            raise SystemExit(f"error: the quick ladder failed (exit {status}): {' '.join(command)}")
        pages = build(out, tmp, QUICK["notebook_steps"], env, quick=True, books=books)
    progress(f"quick build done in {time.perf_counter() - started:.1f} s")
    return pages


def progress(message):
    print(message, file=sys.stderr, flush=True)


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument("--out", default=str(SITE), help="where to write the site (default build/site)")
    parser.add_argument("--quick", action="store_true",
                        help="run a quick ladder into a temp folder first (for a clean checkout or tests)")
    parser.add_argument("--notebook-steps", type=positive_int, default=NOTEBOOK_STEPS, help="NUM_STEPS of the notebook runs")
    args = parser.parse_args(argv)
    if args.quick:
        pages = quick_build(args.out)
    else:
        if not (RESULTS / "ladder.json").is_file():
            parser.error("docs/results/ladder.json is missing: run `make ladder` (minutes) or use --quick (seconds)")
        pages = build(args.out, notebook_steps=args.notebook_steps)
    print(f"open {os.path.relpath(pages[0])}")
    return 0


if __name__ == "__main__":
    run_main(main)
