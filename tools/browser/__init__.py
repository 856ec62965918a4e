"""Proofs in a real browser: one Chromium driver (playwright) and the checks of the lab, JupyterLite and the
site."""
