"""The course site (make docs: tools/site/build.py, tools/site/ext.py, docs/conf.py and pages).

What needs no Sphinx runs always: the lesson edit (setup cell left out, header, diff), the diff, the
ladder, README's links, the pins. What needs the built site runs on a tiny build (no JupyterLite,
lessons with NUM_STEPS=3) made with .venv-site's Python. `make docs-proof` runs them (it names that Python
in SITE_PYTHON); `make test` skips them, saying so: a Sphinx build is not fast. The browser proof is
tools/browser/site.py.
"""

import html
import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tools import diff
from tools.site import build as docs
from tools.site import ext

from stepkit import ROOT, step_numbers
from steptests import QUICK_NOTEBOOK, lesson_notebook

STEPS = step_numbers()
SITE_PYTHON = os.environ.get("SITE_PYTHON")  # set by make docs-proof
PAGES = [
    "index",
    "start",
    *(f"steps/train{n}" for n in STEPS),
    "ladder",
    "teachers",
    "speed",
    "windows",
    "results/bench",
    "search",
    "genindex",
]
LOADS = {
    "script": "src",
    "img": "src",
    "link": "href",
    "iframe": "src",
    "source": "src",
    "embed": "src",
    "video": "src",
    "audio": "src",
    "object": "data",
}


class Page(HTMLParser):
    """The tags, links (href/src) and ids of one HTML page."""

    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.tags, self.ids, self.text = [], set(), []
        self.feed(Path(path).read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])

    def handle_data(self, data):
        self.text.append(data)

    def links(self):
        return [
            (tag, attrs[name])
            for tag, attrs in self.tags
            for name in ("href", "src")
            if attrs.get(name) is not None
        ]


def text_of(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).replace("\xa0", " ")


def lesson(n):
    return (ROOT / "notebooks" / f"train{n}.ipynb").read_text(encoding="utf-8")


def distinctive_added_line(n):
    """The longest code line that train{n} adds to train{n-1}."""
    old = set(diff.code_lines(diff.read(n - 1)))
    return max((line.strip() for line in diff.code_lines(diff.read(n)) if line not in old), key=len)


# --- without Sphinx ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", STEPS, ids=[f"train{n}" for n in STEPS])
def test_a_lesson_page_leaves_the_setup_cell_out_and_starts_with_its_header(n):
    before = lesson(n)
    nb = json.loads(ext.edit_lesson(before, n, STEPS, "## What next\n"))
    assert lesson(n) == before  # the committed notebook is only read
    setup = [c for c in nb["cells"] if c["id"].endswith("-setup")]
    assert [c["id"] for c in setup] == [f"train{n}-setup", f"train{n}-pictures-setup"]  # the code carried
    assert all("remove-cell" in c["metadata"]["tags"] for c in setup)
    assert all("remove-cell" not in c["metadata"].get("tags", []) for c in nb["cells"] if c not in setup)
    assert nb["cells"][0]["source"] == json.loads(before)["cells"][0]["source"]  # the title and the idea
    assert nb["cells"][1]["source"] == f"```{{lesson}} {n}\n```"
    assert ("```{stepdiff}" in nb["cells"][2]["source"]) == (n != STEPS[0])
    assert (nb["cells"][-1]["source"] == "## What next\n") == (n == STEPS[-1])
    assert len({c["id"] for c in nb["cells"]}) == len(nb["cells"])


def test_the_lesson_buttons_open_the_lesson_and_its_exercises_in_jupyterlite():
    text = ext.lesson_html(3, 1)
    assert 'id="run-in-browser" href="../lite/lab/index.html?path=notebooks/train3.ipynb"' in text
    assert 'id="exercises" href="../lite/lab/index.html?path=notebooks/exercises/train3.ipynb"' in text
    for notebook in ("notebooks/train3.ipynb", "notebooks/exercises/train3.ipynb"):
        assert (ROOT / notebook).is_file()  # JupyterLite serves the repo's notebooks under the same paths


@pytest.mark.parametrize("n", STEPS[1:], ids=[f"train{n}" for n in STEPS[1:]])
def test_the_side_by_side_diff_is_code_only_and_numbered_as_the_files(n):
    table = ext.side_by_side(n)
    assert distinctive_added_line(n) in text_of(table)
    assert f"steps/train{n - 1}.py" in table and f"steps/train{n}.py" in table
    numbered = dict(diff.numbered_code_lines(diff.read(n)))
    row = r'<td class="diff_header" id="to\d+_\d+">(\d+)</td><td nowrap="nowrap">(.*?)</td>'
    rows = re.findall(row, table)
    assert len(rows) > 10
    for number, code in rows:
        assert text_of(code).rstrip() == numbered[int(number)].rstrip().expandtabs(4)
    assert "diff_next" not in table  # difflib's jump links are left out
    ids = re.findall(r'id="([^"]+)"', table)
    assert len(ids) == len(set(ids)) and all(
        re.fullmatch(rf"(from|to){n}_\d+|difflib_chg_to{n}__top|diff", i) for i in ids
    )


def test_the_ladder_page_links_the_lessons_and_the_plot():
    from tools.measure import ladder

    text = ext.ladder_markdown(ladder.load())
    assert f"| train loss, mean of last {ladder.LAST} steps |" in text
    assert all(f"[train{n}](steps/train{n}.ipynb)" in text for n in STEPS)
    assert "](results/loss_curves.svg)" in text and "../../" not in text and not text.startswith("# ")


def test_readme_links_point_at_the_sites_pages_or_files(tmp_path):
    text = docs.relink((ROOT / "README.md").read_text(encoding="utf-8"), tmp_path)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        page = target.split("#")[0]
        assert (
            re.match(r"https?:", target)
            or page == ""
            or (ROOT / "docs" / page).is_file()
            or re.fullmatch(r"steps/train\d+\.ipynb", page)
        ), target
    for path in re.findall(r"\{download\}`[^<]*<_files/([^>]+)>`", text):
        assert (tmp_path / "_files" / path).read_bytes() == (ROOT / path).read_bytes()


def test_the_sites_pins_are_exact_and_mathjax_is_locked():
    lines = [
        line
        for line in (ROOT / "tools/site/requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines and all(re.fullmatch(r"[\w.-]+==[\w.]+", line) for line in lines), lines
    names = {line.split("==")[0].lower().replace("_", "-") for line in lines}
    assert {
        "sphinx",
        "myst-nb",
        "sphinx-book-theme",
        "jupyterlite-sphinx",
        "jupyterlite-core",
        "jupyterlite-pyodide-kernel",
    } <= names
    pin = json.loads(docs.LOCK.read_text())["mathjax"]
    assert pin["package"] == "mathjax" and pin["integrity"].startswith("sha512-")


# --- a tiny build (needs .venv-site) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not SITE_PYTHON or not Path(SITE_PYTHON).is_file():
        pytest.skip("the built site's tests run in `make docs-proof` (with .venv-site's Python)")
    out = tmp_path_factory.mktemp("site") / "html"
    result = subprocess.run(
        [
            str(SITE_PYTHON),
            "-m",
            "tools.site.build",
            "--no-lite",
            "--notebook-steps",
            str(docs.QUICK["notebook_steps"]),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_every_page_is_there(site):
    for name in PAGES:
        assert (site / f"{name}.html").is_file(), name
    assert (site / "searchindex.js").is_file()
    for n in STEPS:
        for source in (f"src/train{n}.py", f"src/train{n}.ipynb", f"src/exercises/train{n}.ipynb"):
            assert (site / source).is_file(), source


@pytest.mark.parametrize("n", STEPS, ids=[f"train{n}" for n in STEPS])
def test_a_lesson_page_has_its_outputs_and_not_its_setup_cell(site, n):
    text = (site / "steps" / f"train{n}.html").read_text(encoding="utf-8")
    plain = text_of(text)
    assert "@title Setup" not in plain and "_one_line_exit" not in plain
    assert diff.title(n).split("—")[1].strip().replace("`", "") in plain
    steps = docs.QUICK["notebook_steps"]
    assert "num docs: 32033" in plain and f"step {steps:4d} / {steps:4d} | loss" in plain  # the quick run
    printed = "".join(re.findall(r'<div class="output stream.*?<pre>(.*?)</pre>', text, re.S))
    printed = text_of(printed)
    assert f"step {steps:4d} / {steps:4d}" in printed and "\n\nstep " not in printed  # as printed
    assert 'id="run-in-browser"' in text and 'id="exercises"' in text
    if n == STEPS[0]:
        assert "Where it starts" in plain
    else:
        table = re.search(r'<div class="stepdiff" id="diff">.*?</table>', text, re.S).group(0)
        assert distinctive_added_line(n) in text_of(table)
    assert ("What next" in plain and "make sample5 PROMPT=ma" in plain) == (n == STEPS[-1])


@pytest.mark.kernel
@pytest.mark.parametrize("n", STEPS, ids=[f"train{n}" for n in STEPS])
def test_a_lesson_page_shows_what_the_notebook_prints_in_jupyter(site, n):
    """The same quick run in the suite's own kernel (tests/steptests.py, alone, names.txt beside it): the
    same lines."""
    assert int(QUICK_NOTEBOOK["NUM_STEPS"]) == docs.QUICK["notebook_steps"]
    _, printed = lesson_notebook(n)
    text = (site / "steps" / f"train{n}.html").read_text(encoding="utf-8")
    shown = text_of("".join(re.findall(r'<div class="output stream.*?<pre>(.*?)</pre>', text, re.S)))
    assert [line for line in shown.splitlines() if line] == [line for line in printed.splitlines() if line]


def test_every_internal_link_resolves(site):
    parsed = {p: Page(p) for p in site.rglob("*.html") if "_static" not in p.parts}  # not the theme's macros
    checked = 0
    for page, doc in parsed.items():
        for tag, link in doc.links():
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue  # test_nothing_is_loaded_from_outside
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if site.resolve() / "lite" in target.parents:  # a tiny build has no JupyterLite
                assert re.fullmatch(
                    r"(\.\./)*lite/(index\.html|lab/index\.html\?path=notebooks/(exercises/)?"
                    r"train\d+\.ipynb)",
                    link,
                ), f"{page.name}: {link}"
                continue
            assert target.is_file(), f"{page.relative_to(site)}: <{tag}> {link!r} points at a missing file"
            assert site.resolve() in target.parents, f"{page.name}: {link!r} leaves the site"
            if parts.fragment and target.suffix == ".html":
                assert unquote(parts.fragment) in parsed[target].ids, f"{page.name}: {link!r}: no such anchor"
            checked += 1
    assert checked > 500


def test_nothing_is_loaded_from_outside(site):
    """Scripts, styles, images, fonts and math come from the site; an outside URL is at most a plain link."""
    for page in site.rglob("*.html"):
        for tag, attrs in Page(page).tags:
            for name in ("src", "srcset", "data", "poster") + (("href",) if tag != "a" else ()):
                value = attrs.get(name) or ""
                assert not urlsplit(value).netloc, f"{page.name}: <{tag}> {value}"
            if tag == "a" and urlsplit(attrs.get("href") or "").netloc:
                pytest.fail(f"{page.name}: a link out of the site: {attrs['href']}")
    for sheet in site.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"""(url\(\s*['"]?|@import\s+['"]?)(https?:)?//""", text), sheet.name


def test_math_is_typeset_by_the_sites_own_mathjax(site):
    page = Page(site / "speed.html")
    scripts = [attrs["src"].split("?")[0] for tag, attrs in page.tags if "mathjax" in attrs.get("src", "")]
    assert scripts == ["_static/mathjax/tex-chtml.js"]
    assert (site / "_static/mathjax/tex-chtml.js").is_file()
    assert (site / "_static/mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()
    assert r"\partial" in "".join(page.text)  # MathJax typesets it in the browser (make docs-proof)


def test_search_finds_the_lesson_on_attention(site):
    script = (site / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(re.fullmatch(r"Search\.setIndex\((.*)\)\s*", script, re.S).group(1))
    docnames = index["docnames"]
    found = {}
    for kind in ("terms", "titleterms"):
        hits = index[kind].get("attent", [])
        found[kind] = [docnames[i] for i in (hits if isinstance(hits, list) else [hits])]
    # a title's words are titleterms only
    assert "steps/train3" in found["titleterms"] and "steps/train5" in found["terms"]
    assert not [t for t in index["terms"] if re.fullmatch(r"\d{3}[a-z_]{2,}", t)]  # no diff line numbers


def test_the_ladder_teachers_and_windows_pages(site):
    ladder = (site / "ladder.html").read_text(encoding="utf-8")
    assert ladder.count("<tr") >= 1 + len(STEPS) and 'src="_images/loss_curves.svg"' in ladder
    assert "train loss, mean of last 100 steps" in text_of(ladder)
    teachers = text_of((site / "teachers.html").read_text(encoding="utf-8"))
    assert all(words in teachers for words in ("Exercises: a guide for teachers", "nbgrader", "JupyterLite"))
    assert "PowerShell" in text_of((site / "windows.html").read_text(encoding="utf-8"))
    start = text_of((site / "start.html").read_text(encoding="utf-8"))
    assert all(command in start for command in ("make step0", "make test", "NUM_STEPS=50", "make diff3"))


@pytest.mark.parametrize("n", STEPS, ids=[f"train{n}" for n in STEPS])
def test_a_lesson_page_shows_the_pictures_of_its_run(site, n):
    """Each picture cell of the lesson (tools/generate/picture_cells.py) as an image drawn at build time."""
    text = (site / "steps" / f"train{n}.html").read_text(encoding="utf-8")
    pictures = [c for c in json.loads(lesson(n))["cells"] if c["id"].endswith("-picture")]
    images = re.findall(r'<img[^>]+src="(\.\./_images/[0-9a-f]+\.png)"', text)
    assert pictures and len(images) == len(pictures), (len(images), len(pictures))
    assert all((site / "steps" / image).resolve().is_file() for image in images)
    assert "jupyter-widgets" not in text and "pictures.record" not in text  # no widget, no carried code
