"""The whole course in a browser tab (make lite): the JupyterLite build, its lock and pinned requirements."""
