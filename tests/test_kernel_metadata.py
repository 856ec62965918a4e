"""The notebooks' kernel metadata design (tools/generate/kernel_metadata.py): a notebook that JupyterLab
opened
and saved without edits is still in sync and clean, and the lab's pre-save hook writes it back byte
for byte; an edited cell is still noticed. make lab-proof proves the same with the real lab."""

import json

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from tools.exercises import student as exercises
from tools.generate import kernel_metadata, notebooks

from stepkit import ROOT

# What JupyterLab 4.6.6 (ipykernel 7.3.0, Python 3.11.7) wrote into every notebook it opened and saved,
# as make lab-proof saw it: its JSON, kept as text. Only "version" depends on the machine.
LAB_WROTE = json.loads(
    '{"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}, '
    '"language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py", '
    '"mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python", '
    '"pygments_lexer": "ipython3", "version": "3.11.7"}}'
)
OTHER_MACHINE = {
    "kernelspec": {"display_name": ".venv (Python 3.13.1)", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "version": "3.13.1"},
}
BUILDERS = {"lesson": notebooks.build, "student": exercises.build}


def saved_by_a_lab(text, metadata):
    """The notebook as a lab saves it: the same cells, the kernel's metadata, nbformat's layout."""
    nb = json.loads(text)
    nb["metadata"].update(json.loads(json.dumps(metadata)))
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False, separators=(",", ": ")) + "\n"


@pytest.mark.parametrize("kind", BUILDERS)
@pytest.mark.parametrize("metadata", [LAB_WROTE, OTHER_MACHINE], ids=["pinned-lab", "other-machine"])
def test_a_notebook_the_lab_saved_is_still_in_sync(kind, metadata, tmp_path):
    built = BUILDERS[kind](3)
    saved = saved_by_a_lab(built, metadata)
    assert saved != built  # the lab did change the file ...
    (tmp_path / "train3.ipynb").write_text(saved, encoding="utf-8")
    assert notebooks.in_sync(tmp_path / "train3.ipynb", built)  # ... but not what the tests compare
    assert kernel_metadata.canonical(saved) == built


def test_we_generate_what_the_lab_writes_less_the_machines_python_version():
    nb = json.loads(notebooks.build(0))
    expected = json.loads(json.dumps(LAB_WROTE))
    del expected["language_info"]["version"]
    assert nb["metadata"] == expected
    # so a lab save without our hook adds one line (and a comma): the version
    added = set(saved_by_a_lab(notebooks.build(0), LAB_WROTE).splitlines()) - set(
        notebooks.build(0).splitlines()
    )
    assert added == {'   "pygments_lexer": "ipython3",', '   "version": "3.11.7"'}


@pytest.mark.parametrize("kind", BUILDERS)
def test_canonical_leaves_a_generated_notebook_byte_identical(kind):
    built = BUILDERS[kind](2)
    assert kernel_metadata.canonical(built) == built


def test_an_edited_cell_is_still_out_of_sync(tmp_path):
    built = notebooks.build(1)
    edited = saved_by_a_lab(built.replace("num docs", "number of docs", 1), LAB_WROTE)
    assert "number of docs" in edited
    (tmp_path / "train1.ipynb").write_text(edited, encoding="utf-8")
    assert not notebooks.in_sync(tmp_path / "train1.ipynb", built)
    assert "number of docs" in kernel_metadata.canonical(edited)  # a teacher's edits are kept


@pytest.mark.parametrize("text", ["", "<<<<<<< HEAD\n{\n", "[1, 2]\n", '{"metadata": {}}\n'])
def test_canonical_passes_what_is_not_a_notebook_through(text):
    assert kernel_metadata.canonical(text) == text


@pytest.mark.parametrize("kind", BUILDERS)
def test_the_labs_pre_save_hook_writes_the_committed_bytes(kind):
    built = BUILDERS[kind](4)
    model = {"type": "notebook", "content": json.loads(saved_by_a_lab(built, LAB_WROTE))}  # the lab's model
    kernel_metadata.pre_save_hook(model=model, path="train4.ipynb")
    # what jupyter_server then writes: nbformat.writes of the model, and a final newline
    assert nbformat.writes(nbformat.from_dict(model["content"]), version=4) + "\n" == built


def test_the_hook_leaves_other_kernels_and_other_files_alone():
    r_notebook = {
        "type": "notebook",
        "content": {"metadata": {"kernelspec": {"name": "ir"}, "language_info": {"name": "R"}}},
    }
    kept = json.loads(json.dumps(r_notebook))
    kernel_metadata.pre_save_hook(model=r_notebook, path="r.ipynb")
    assert r_notebook == kept
    text_file = {"type": "file", "content": "hello"}
    kernel_metadata.pre_save_hook(model=text_file, path="a.txt")
    assert text_file == {"type": "file", "content": "hello"}


def test_the_lab_config_installs_the_hook():
    config = PyFileConfigLoader(
        "config.py", path=str(ROOT / "tools" / "lab")
    ).load_config()  # as jupyter lab --config does
    hook = config.ContentsManager.pre_save_hook  # loaded from tools/generate/kernel_metadata.py by path
    assert hook.__code__.co_code == kernel_metadata.pre_save_hook.__code__.co_code
    assert hook.__code__.co_filename == kernel_metadata.pre_save_hook.__code__.co_filename
