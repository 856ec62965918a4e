"""JupyterLab config for this repo: `make lab` and `make lab-proof` pass --config=tools/lab/config.py.

A notebook is saved with the repo's kernel metadata instead of the machine's (the kernel's Python
version), so opening and saving a notebook leaves `git status` clean: tools/generate/kernel_metadata.py.
"""

import os
import runpy
import sys

# The lab reads this file by path (--config): the hook comes from its file the same way, with no
# change to the lab's import path.
HOOKS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "generate", "kernel_metadata.py"
)

if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write(
        "error: tools/lab/config.py is JupyterLab's config, not a command: "
        "`make lab` starts the lab with it\n"
    )
    sys.exit(2)
c = get_config()  # noqa: F821 -- traitlets provides get_config() to config files
c.ContentsManager.pre_save_hook = runpy.run_path(HOOKS)["pre_save_hook"]
