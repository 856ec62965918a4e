"""JupyterLab as the repo starts it (make lab): its config, settings and pinned requirements."""
