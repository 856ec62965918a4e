"""The picture of step 4: each head's attention over one name (heads.py)."""

try:  # in the package; by path, or in a notebook whose carrying cell made the module, plainly:
    from .draw import *
    from .heads import *
except ImportError:
    from draw import *
    from heads import *


if __name__ == "__main__":
    not_a_command(__file__)
