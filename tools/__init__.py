"""The workshop around the lessons: every command and library the course needs, one folder per audience.

tools/ itself holds the learner's commands (run by path: python3 tools/diff.py 3) and the facts they
all share (project.py); each sub-folder is a room of its own, run as a module from the repo's folder
(python3 -m tools.measure.bench), usually through make. tools/README.md lists every command.
"""
