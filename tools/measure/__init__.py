"""Measurements: the benchmark, the ladder of every step's losses, and the full-length fidelity run."""
