"""tools/site/build.py: the static site (make docs). The ladder's own tests are in test_ladder.py.

The site is built once, in quick mode, into a temp folder: a 5-step ladder scored on 100 held-out
names, notebooks run with NUM_STEPS=3. The committed full-length figures are only read, never written.
"""

import html
import json
import math
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from stepkit import ROOT, environment, step_numbers
from steptests import lesson_notebook

from tools import diff
from tools.site import build as docs
from tools.browser import site as screenshot

STEPS = step_numbers()


class Page(HTMLParser):
    """The links (href/src), ids and tags of one HTML page."""

    def __init__(self, path):
        super().__init__()
        self.links, self.ids, self.tags = [], set(), []
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self.links += [(tag, attrs[name]) for name in ("href", "src") if attrs.get(name) is not None]


def text_of(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


LITE_STUB = "<!-- a JupyterLite site built beside the docs (make lite) -->"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "_build"
    for page in ("index.html", "lab/index.html"):  # what make lite left there: the docs build must keep it
        (out / "lite" / page).parent.mkdir(parents=True, exist_ok=True)
        (out / "lite" / page).write_text(LITE_STUB, encoding="utf-8")
    (out / "stale.html").write_text("from an older build", encoding="utf-8")
    books = {n: lesson_notebook(n)[0] for n in STEPS}  # the notebooks the step tests run (once per suite)
    pages = docs.quick_build(out, env=environment({}), books=books)
    return out, pages


# --- the site -------------------------------------------------------------------------------------

def test_site_has_an_index_and_a_page_per_step(site):
    out, pages = site
    assert [p.name for p in pages] == ["index.html"] + [f"step{n}.html" for n in STEPS]
    assert all(p.is_file() for p in pages)
    for name in ("site.css", "loss_curves.svg", "loss_curves.png", "ladder.json"):
        assert (out / name).is_file(), name


def test_every_internal_link_resolves(site):
    out, pages = site
    parsed = {p: Page(p) for p in out.rglob("*.html")}
    checked = 0
    for page, doc in parsed.items():
        for tag, link in doc.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto", "data"):
                continue
            assert not parts.scheme and not parts.netloc, f"{page.name}: {link!r} is not a relative link"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.name}: <{tag}> {link!r} points at a missing file"
            assert out.resolve() in target.parents, f"{page.name}: {link!r} leaves the site folder"
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else Page(target).ids
                assert unquote(parts.fragment) in ids, f"{page.name}: {link!r}: no such anchor in {target.name}"
            checked += 1
    assert checked > 50


def test_step_pages_link_to_the_lite_site_built_beside_them(site):
    out, pages = site
    assert (out / "lite" / "index.html").read_text(encoding="utf-8") == LITE_STUB  # kept, not rebuilt
    assert not (out / "stale.html").exists()  # everything else is
    assert 'href="lite/index.html"' in pages[0].read_text(encoding="utf-8")
    for n in STEPS:
        text = (out / f"step{n}.html").read_text(encoding="utf-8")
        for notebook in (f"notebooks/train{n}.ipynb", f"notebooks/exercises/train{n}.ipynb"):
            assert f'href="lite/lab/index.html?path={notebook}"' in text
            assert (ROOT / notebook).is_file()  # the lite site serves the repo's notebooks under the same paths


def test_pages_load_nothing_from_the_network(site):
    out, pages = site
    for page in pages:
        for tag, attrs in Page(page).tags:
            assert tag != "script" or not attrs.get("src"), f"{page.name} loads a script: {attrs}"
            if tag in ("img", "link", "iframe", "source", "embed"):
                for name in ("src", "href"):
                    value = attrs.get(name) or ""
                    assert not urlsplit(value).netloc, f"{page.name}: <{tag}> loads {value}"
        assert "cdnjs" not in page.read_text(encoding="utf-8") and "mathjax" not in page.read_text(encoding="utf-8").lower()


def distinctive_added_line(n):
    """The longest code line that train{n} adds to train{n-1}."""
    old = set(diff.code_lines(diff.read(n - 1)))
    added = [line.strip() for line in diff.code_lines(diff.read(n)) if line not in old]
    return max(added, key=len)


@pytest.mark.parametrize("n", STEPS[1:], ids=[f"train{n}" for n in STEPS[1:]])
def test_each_step_page_shows_its_diff(site, n):
    out, _ = site
    text = (out / f"step{n}.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="diff".*?</section>', text, re.S)
    assert section, f"step{n}.html has no diff section"
    assert '<table class="sbs">' in section.group(0)
    assert distinctive_added_line(n) in text_of(section.group(0))
    assert f"steps/train{n - 1}.py" in section.group(0) and f"steps/train{n}.py" in section.group(0)


@pytest.mark.parametrize("n", STEPS, ids=[f"train{n}" for n in STEPS])
def test_each_step_page_has_its_notebook_with_outputs_and_links(site, n):
    out, _ = site
    page = out / f"step{n}.html"
    text = text_of(page.read_text(encoding="utf-8"))
    assert diff.title(n).replace("`", "") in text
    assert "num docs: 32033" in text and "step    3 /    3 | loss" in text  # outputs of the quick run
    links = [link for _, link in Page(page).links]
    assert "index.html" in links
    assert (f"step{n - 1}.html" in links) == (n != STEPS[0])
    assert (f"step{n + 1}.html" in links) == (n != STEPS[-1])


def test_math_is_drawn_at_build_time(site):
    out, _ = site
    text = (out / f"step{STEPS[-1]}.html").read_text(encoding="utf-8")
    images = [attrs for tag, attrs in Page(out / f"step{STEPS[-1]}.html").tags if attrs.get("class") == "math"]
    assert images and all(a["src"].startswith("data:image/svg+xml;base64,") and a["alt"] for a in images)
    assert "\\hat" not in text_of(re.sub(r'alt="[^"]*"|title="[^"]*"', "", text))  # no raw TeX left in the page


def test_index_has_the_ladder_table_and_the_plot(site):
    out, _ = site
    text = (out / "index.html").read_text(encoding="utf-8")
    table = re.search(r'<table class="ladder".*?</table>', text, re.S).group(0)
    assert table.count("<tr>") == 1 + len(STEPS)
    assert '<img src="loss_curves.svg"' in text
    assert "Quick build" in text  # a quick build says so


def test_quick_ladder_is_consistent(site):
    out, _ = site
    data = json.loads((out / "ladder.json").read_text(encoding="utf-8"))
    assert data["num_steps"] == docs.QUICK["ladder_steps"]
    for row in data["steps"]:
        assert len(row["losses"]) == row["trained_steps"] == docs.QUICK["ladder_steps"]
        assert row["heldout_names"] == docs.QUICK["heldout"] and row["heldout_trained_on"] == 0
        assert row["final_train_loss"] == pytest.approx(sum(row["losses"]) / len(row["losses"]))
    first = {row["step"]: row["losses"][0] for row in data["steps"]}
    assert first[0] == pytest.approx(math.log(27), abs=1e-12)  # an empty table: 1/27 for every token
    assert round(first[5], 4) == 3.3660  # the reference microgpt's first loss, kept at full precision


# --- in a real browser (skipped without Chromium) -------------------------------------------------

def test_the_site_renders_in_headless_chromium(site, tmp_path):
    if not screenshot.chromium_path():
        pytest.skip("Chromium is not installed (apt-get install chromium): the headless-browser check is skipped")
    out, _ = site
    assert screenshot.main(["--site", str(out), "--shots", str(tmp_path)]) == 0
    assert (tmp_path / "index.png").stat().st_size > 10_000
