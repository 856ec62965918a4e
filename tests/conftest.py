"""Shared fixtures: every test runs offline, with the knobs cleared, on a known dataset. And how make
test's parallel run (pytest-xdist, --dist loadgroup: tools/run_tests.py) shares the tests out."""

import gc

import pytest

import stepkit
from stepkit import KNOBS, OFFLINE_URL

# Each xdist worker has caches of its own (tests/steptests.py's quick() and lesson_notebook()): the
# tests that read one cached run go to one worker, so that run is still made once. A test is in the
# first group with a part that its node id contains; every other test goes to any worker.
# (Not xdist_group marks: xdist hands their group to its scheduler by rewriting the node id, which has
# no effect with pytest 9.2, so they would silently group nothing.)
SHARED_RUNS = {
    "lesson_notebook": (
        "::TestEveryStep::test_notebook_runs_in_quick_mode",
        "tests/test_docs.py::",
        "::TestEveryStep::test_notebook_draws_its_pictures_from_its_run",
    ),
    "quick 1 2": ("tests/test_train1.py::", "tests/test_train2.py::"),
    "quick 3 4": ("tests/test_train3.py::", "tests/test_train4.py::"),
    "quick 5": ("tests/test_train5.py::",),
    "sample": ("tests/test_sample.py::",),  # its own quick runs (NUM_SAMPLES=1), of every step
    # test_tools.py: both shells' README blocks run the same commands once; both pip tests one venv
    "readme": ("tests/test_tools.py::test_the_readme_commands_without_make",),
    "venv": ("tests/test_tools.py::test_building_the_venv_", "tests/test_tools.py::test_another_pip_"),
}


def shared_run(nodeid):
    """The group of SHARED_RUNS this test is in, or None."""
    return next((name for name, parts in SHARED_RUNS.items() if any(part in nodeid for part in parts)), None)


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: pytest without it has no such hook
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadgroup":
        return None  # xdist's own scheduler
    from xdist.scheduler import LoadGroupScheduling

    class SharedRuns(LoadGroupScheduling):
        """A group of SHARED_RUNS is one unit of work, given to one worker; so is any other test."""

        def _split_scope(self, nodeid):
            return shared_run(nodeid) or super()._split_scope(nodeid)

    return SharedRuns(config, log)


@pytest.fixture(autouse=True)
def offline_and_clean(monkeypatch):
    """No test may reach the network, and no knob from the caller's shell may leak in."""
    monkeypatch.setenv("NAMES_URL", OFFLINE_URL)
    for knob in KNOBS:
        monkeypatch.delenv(knob, raising=False)


@pytest.fixture(autouse=True)
def kernels_only_where_marked(request, monkeypatch):
    """make test leaves the kernel tests out: a test that starts a kernel must be marked so."""
    monkeypatch.setattr(stepkit, "kernel_allowed", request.node.get_closest_marker("kernel") is not None)


def pytest_runtest_logfinish(nodeid, location):
    """What outlives a test is the cached runs: millions of small objects that every full collection
    would go through again, test after test (a tenth of the suite's time). Collected once now, the
    survivors are frozen, so the collector looks only at what later tests make."""
    gc.collect()
    gc.freeze()
