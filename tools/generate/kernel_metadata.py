"""The notebooks' kernel metadata: what the generators write, and how a lab save keeps it.

Why (issue 15): JupyterLab rewrites a notebook's kernel metadata as soon as its kernel answers:
kernelspec.display_name becomes the installed kernel's ("Python 3 (ipykernel)") and language_info
is filled in from the kernel, including "version", the Python version of the machine that opened
it. The notebook is then marked unsaved, and a save (or the two-minute autosave) writes that to
disk. Byte-identical files on every machine are impossible that way, so the design has three parts:
  1. the generators (tools/generate/notebooks.py, and so tools/exercises/student.py) write exactly the
  metadata the
     pinned lab writes, less the machine's "version" (KERNELSPEC, LANGUAGE_INFO below);
  2. `make lab` and `make lab-proof` start JupyterLab with tools/lab/config.py, which installs
     pre_save_hook below as jupyter_server's ContentsManager.pre_save_hook: a Python notebook is
     written with our kernel metadata, so a save without edits gives back the committed bytes and
     `git status` stays clean, on any machine, with no git filter or index trick (a clean filter
     was tried: git still lists a file whose size changed as modified, until it is staged);
  3. "in sync" (make test, `tools/generate/notebooks.py --stale`) compares notebooks after canonical(),
     which sets the kernel metadata to ours and keeps everything else byte for byte: a notebook
     saved by another Jupyter (VS Code, a system JupyterLab without our hook) still passes the
     tests; only its kernel metadata shows in `git diff` (README: open them with make lab).
"""

import json

# What JupyterLab 4.6.6 with ipykernel 7.3.0 writes (observed by make lab-proof), less language_info.version.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}


def ours(metadata):
    """Put our kernel metadata into a notebook's metadata dict (in place) if its kernel is Python;
    return the keys that were different ("language_info.version", …), in order."""
    if metadata.get("language_info", {}).get("name", "python") != "python":
        return []  # another language's kernel: not ours to rewrite
    changed = [
        f"{key}.{field}"
        for key, value in (("kernelspec", KERNELSPEC), ("language_info", LANGUAGE_INFO))
        for field in sorted(set(value) | set(metadata.get(key) or {}))
        if value.get(field) != (metadata.get(key) or {}).get(field)
    ]
    metadata.update(kernelspec=dict(KERNELSPEC), language_info=json.loads(json.dumps(LANGUAGE_INFO)))
    return changed


def canonical(text):
    """The notebook text with our kernel metadata in place of whatever a kernel wrote there, the rest
    unchanged, laid out as nbformat writes it (sorted keys, indent 1, UTF-8, a final newline).
    Text that is not a notebook's JSON comes back unchanged."""
    try:
        nb = json.loads(text)
    except ValueError:
        return text
    if not isinstance(nb, dict) or not isinstance(nb.get("metadata"), dict) or "cells" not in nb:
        return text
    ours(nb["metadata"])
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False, separators=(",", ": ")) + "\n"


def pre_save_hook(model, path="", contents_manager=None, **kwargs):
    """jupyter_server's ContentsManager.pre_save_hook (tools/lab/config.py installs it): a notebook is
    saved with our kernel metadata; its cells and outputs are saved as they are."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    changed = ours(model["content"].setdefault("metadata", {}))
    if changed and contents_manager is not None:
        contents_manager.log.info(
            "%s: saved with the repo's kernel metadata (the lab had changed %s)", path, ", ".join(changed)
        )


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    import sys

    sys.stderr.write(
        "error: tools/generate/kernel_metadata.py is a library, not a command: "
        "tools/generate/notebooks.py and tools/lab/config.py use it "
        "(`make notebooks`, `make lab`)\n"
    )
    sys.exit(2)
