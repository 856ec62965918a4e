"""Sphinx configuration of the course site: `make docs` (tools/site/build.py) runs sphinx-build with it.

The sources are staged by tools/site/build.py (these pages, the lesson notebooks as steps/trainN.ipynb,
README.md for the parts the pages include); it passes where things are through the environment.
Everything a page loads is served by the site itself: MathJax from npm (tools/site/lock.json), the
theme's own fonts and scripts, no CDN.
"""

import os

project = "microgpt, step by step"
author = "microgpt, step by step"
copyright = "the authors of microgpt, step by step"  # no year: a build must not depend on its date
extensions = ["myst_nb", "tools.site.ext"]
if os.environ.get("SITE_LITE_DIR"):  # a tiny build (the tests) leaves JupyterLite out
    extensions.append("jupyterlite_sphinx")
    jupyterlite_dir = os.environ["SITE_LITE_DIR"]  # tools/lite/build.py's offline Pyodide, staged
    # the notebooks and data/names.txt, which it copies into _contents/ (a folder of its own) when it builds
    files = os.environ["SITE_LITE_FILES"]
    jupyterlite_contents = [os.path.join(files, "notebooks"), os.path.join(files, "data")]
    jupyterlite_bind_ipynb_suffix = False  # the lessons are pages of their own, not JupyterLite frames
    jupyterlite_build_command_options = {"source-date-epoch": os.environ["SOURCE_DATE_EPOCH"]}

exclude_patterns = ["README.md", "exercises.md", "next.md", "results/ladder.md",  # included, or the ladder's
                    "_files/**", "_contents/**", "data/**", "tools/**"]
suppress_warnings = ["myst.header"]  # the README's parts start at level 3 under a page's own level-2 heading

# The lessons: run at build time in quick mode (NUM_STEPS comes from tools/site/build.py's environment,
# which the kernel inherits), shown with their outputs; the setup cell runs, not shown (tools/site/ext.py).
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_extra_path = ["_extra"]  # the sources as files: src/trainN.py, src/trainN.ipynb, src/exercises/…
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "footer_content_items": [],
    "footer_start": [],
    "footer_end": [],
}
mathjax_path = "mathjax/tex-chtml.js"  # in _static, copied from the npm package by tools/site/build.py
mathjax3_config = {"options": {"enableMenu": False}}
