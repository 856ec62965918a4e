"""Exercises: the checks a student notebook runs under each blank, and the wrong answers they must catch."""
