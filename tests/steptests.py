"""What every tests/test_trainN.py shares: each run of a step made once per suite, and the tests every step
has.

A test file collects the common tests with `class TestEveryStep(EveryStep): n = N`, so that
`pytest tests/test_trainN.py` runs everything about step N and nothing else (`-m kernel`: its notebook,
run in a Jupyter kernel, which make test leaves to make test-notebooks), and the whole suite
runs each step (and each lesson notebook) once for all the files that read it. (With pytest-xdist,
as make test runs the suite, every worker process has caches of its own: tests/conftest.py keeps
the tests that read one cached run on one worker.)
"""

import atexit
import functools
import math
import random
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from tools import steprun
from tools.generate import notebooks
from tools.generate import setup_cell as standalone
from tools.project import QUICK
from tools.sampling import kv_cache

from gradcheck import check_value_params
from picturecheck import check_pictures
from stepkit import execute, execute_alone, losses, printed, run, samples

K = int(QUICK["test"]["STOP_AFTER"])  # a quick run: gradients checked after K updates, not on the init
# A lesson notebook's quick run: what the quick docs site shows, so test_docs.py builds it from the same runs.
QUICK_NOTEBOOK = QUICK["notebook"]


@functools.cache
def quick(step, **knobs):
    """(globals, printed output) of steps/train{step}.py run in-process for K steps of the 1000-step schedule.

    One run per (step, knobs) for the whole suite: a test that changes the globals restores them."""
    return execute(step, **{**QUICK["test"], **knobs})


@functools.cache
def lesson_notebook(n):
    """(notebook, printed text): notebooks/trainN.ipynb as generated, executed once in quick mode alone: by
    itself in an empty folder with names.txt beside it and no DATASET, as on a hub, in Colab or VS Code.
    (The student notebooks, whose setup cell is this one, download it too: tests/test_standalone.py.)"""
    folder = Path(tempfile.mkdtemp(prefix=f"lesson{n}-"))
    atexit.register(shutil.rmtree, folder, True)
    nb, error = execute_alone(notebooks.notebook(n), folder, names=True, **QUICK_NOTEBOOK)
    if error is not None:
        raise error
    assert sorted(p.name for p in folder.iterdir()) == ["alone.ipynb", "names.txt"]  # nothing half-written
    return nb, printed(nb)


@functools.cache
def notebook_run(n):
    """(globals, printed output) of the step run in this process with the lesson notebook's knobs."""
    return execute(n, **QUICK_NOTEBOOK)


def tokens_of(env, doc):
    return [env["BOS"]] + [env["chars"].index(ch) for ch in doc] + [env["BOS"]]


def check_gpt_gradients(step, **knobs):
    """train3-5: two weights of every matrix, after K updates, against finite differences of one short name's
    loss."""
    env, _ = quick(step, **knobs)
    doc = min(env["docs"][:50], key=len)  # a short name keeps the finite differences cheap
    tokens = tokens_of(env, doc)
    n = min(env["BLOCK_SIZE"], len(tokens) - 1)

    def loss():
        keys, values = kv_cache(env)
        terms = [
            -env["softmax"](env["gpt"](tokens[pos], pos, keys, values))[tokens[pos + 1]].log()
            for pos in range(n)
        ]
        return (1 / n) * sum(terms)

    # two weights of every matrix, in rows that this name reaches (the embedding rows it uses)
    rng, index, picks = random.Random(step), {id(p): i for i, p in enumerate(env["params"])}, []
    for name, mat in env["state_dict"].items():
        rows = {"wte": tokens[:n], "wpe": range(n)}.get(name, range(len(mat)))
        for _ in range(2):
            picks.append(index[id(rng.choice(mat[rng.choice(list(rows))]))])
    assert check_value_params(env, loss, picks) == len(picks) >= 18


def check_the_cache_is_the_causal_mask(step, **knobs):
    """train3-5 have no attention mask: fed one token at a time, position t finds in the key/value cache
    only the keys of positions 0..t. So its logits equal those of a fresh pass over tokens 0..t alone."""
    env, _ = quick(step, **knobs)
    tokens = tokens_of(env, max(env["docs"][:50], key=len))[: env["BLOCK_SIZE"]]
    keys, values = kv_cache(env)
    once = []
    for pos, token in enumerate(tokens):
        once.append([logit.data for logit in env["gpt"](token, pos, keys, values)])
        assert len(keys[0] if env.get("N_LAYER") else keys) == pos + 1  # the past and the present, no more
    for t in range(len(tokens)):
        keys, values = kv_cache(env)
        for pos in range(t + 1):
            logits = env["gpt"](tokens[pos], pos, keys, values)
        assert max(abs(logit.data - x) for logit, x in zip(logits, once[t])) <= 1e-12, f"position {t}"


class EveryStep:
    """The tests every step has: its printed output as a script, and its lesson notebook.

    A subclass sets n (the step) and params (its `num params`, None for a step without parameters)."""

    n = None
    params = None

    # --- what the step prints -------------------------------------------------------------------

    def test_output_format(self):
        result = run(self.n, NUM_STEPS=3)
        assert result.returncode == 0, result.stderr
        out = result.stdout
        header = ["num docs: 32033", "vocab size: 27"] + (
            [f"num params: {self.params}"] if self.params else []
        )
        assert out.splitlines()[: len(header)] == header
        steps = [line for line in out.splitlines() if line.startswith("step ")]
        assert [s[:16] for s in steps] == ["step    1 /    3", "step    2 /    3", "step    3 /    3"]
        assert all(re.fullmatch(r"step +\d+ / +\d+ \| loss \d+\.\d{4}", s) for s in steps)
        assert all(math.isfinite(x) for x in losses(out))
        assert "\n\n--- inference (new, hallucinated names) ---\n" in out
        printed = steprun.parse(out)  # every line one a step prints, in order
        assert (printed.docs, printed.vocab, printed.params, printed.num_steps) == (32033, 27, self.params, 3)
        names = printed.samples
        assert len(names) == 20 and all(re.fullmatch(r"[a-z]*", name) for name in names)

    def test_the_first_loss_is_that_of_a_uniform_guess(self):
        """Untrained, a model gives each of the V tokens about 1/V, and -log(1/V) = ln V (3.2958 for 27)."""
        env, out = quick(self.n)
        assert abs(losses(out)[0] - math.log(env["vocab_size"])) < 0.1, (losses(out)[0], env["vocab_size"])

    # --- the lesson notebook: generated from the step, committed clean, runnable ------------------

    def committed(self):
        path = notebooks.notebook_path(self.n)
        assert path.is_file(), f"notebooks/train{self.n}.ipynb is missing: run `make notebooks` and commit it"
        return path

    def test_committed_notebook_is_exactly_what_the_step_generates(self):
        assert notebooks.in_sync(
            self.committed(), notebooks.build(self.n)
        ), (  # up to a lab's kernel metadata
            f"steps/train{self.n}.py was edited but `make notebooks` was not run: "
            f"notebooks/train{self.n}.ipynb is out of date (run `make notebooks` and commit it)"
        )

    def test_notebook_regenerates_byte_identical(self):
        n = self.n
        assert notebooks.build(n) == notebooks.build(n)
        assert [cell.id for cell in notebooks.notebook(n).cells][:3] == [
            f"train{n}-00",
            f"train{n}-setup",
            f"train{n}-01",
        ]

    def test_notebook_first_cell_is_the_docstring_as_a_markdown_title(self):
        first = notebooks.notebook(self.n).cells[0]
        assert first.cell_type == "markdown"
        assert re.match(rf"# Step {self.n} — \S", first.source), first.source.splitlines()[0]
        assert '"""' not in first.source

    def test_every_code_section_of_the_notebook_has_its_markdown(self):
        cells = notebooks.notebook(self.n, setup=False).cells  # the step's own cells
        code = [i for i, cell in enumerate(cells) if cell.cell_type == "code"]
        assert code, "a step needs code cells"
        for i in code[1:]:  # the first code cell is the setup right under the title
            assert cells[i - 1].cell_type == "markdown", (
                f"cell {i} starts with {cells[i].source.splitlines()[0]!r}"
            )

    def test_committed_notebook_is_clean(self):
        nb = nbformat.read(self.committed(), as_version=4)
        nbformat.validate(nb)
        assert set(nb.metadata) == {
            "kernelspec",
            "language_info",
        }  # their values: tests/test_kernel_metadata.py
        for cell in (
            nb.cells
        ):  # the setup cells of tools/generate/setup_cell.py are collapsed; nothing else has metadata
            assert cell.metadata == (standalone.HIDDEN if cell.id.endswith("-setup") else {})
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None

    @pytest.mark.kernel
    def test_notebook_runs_in_quick_mode(self):
        _, out = lesson_notebook(self.n)
        assert "num docs: 32033" in out and "saved " not in out  # names.txt beside it: no download
        assert "step    1 /    3 | loss" in out and "step    3 /    3 | loss" in out
        assert len(samples(out)) == int(QUICK_NOTEBOOK["NUM_SAMPLES"]), out
        # the same losses and samples as the step itself prints
        step_out = notebook_run(self.n)[1]
        assert (losses(out), samples(out)) == (losses(step_out), samples(step_out))

    @pytest.mark.kernel
    def test_notebook_draws_its_pictures_from_its_run(self):
        """Each picture of the executed lesson notebook against what the run printed and, drawn again, against
        the same run made in this process (the run is seeded: the same values)."""
        nb, _ = lesson_notebook(self.n)
        check_pictures(nb, self.n, notebook_run(self.n)[0])
