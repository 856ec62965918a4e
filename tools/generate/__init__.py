"""Generators: the lesson notebooks, their setup cell and kernel metadata, and the figures README and docs/
quote."""
