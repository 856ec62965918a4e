"""JupyterLab config for this repo: `make lab` and `make lab-check` pass --config=tools/lab_config.py.

A notebook is saved with the repo's kernel metadata instead of the machine's (the kernel's Python
version), so opening and saving a notebook leaves `git status` clean: tools/kernel_metadata.py.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the lab's process only, not its kernels
from kernel_metadata import pre_save_hook  # noqa: E402

if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write("error: tools/lab_config.py is JupyterLab's config, not a command: "
                     "`make lab` starts the lab with it\n")
    sys.exit(2)
c = get_config()  # noqa: F821 -- traitlets provides get_config() to config files
c.ContentsManager.pre_save_hook = pre_save_hook
