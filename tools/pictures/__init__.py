"""A picture of each step's idea, drawn from a notebook's own run (the lesson and student notebooks).

    pictures.count_table(globals())       # train0: the bigram counts, "this character" x "next character"
    pictures.loss_curve(globals())        # every step: the losses the training cell printed, and ln V
    pictures.attention(globals(), "emma") # train3, train4: each head's attention over one name

Each function takes the notebook's globals (so a name not defined yet is one line, not a NameError),
draws with matplotlib (its Figure alone: no pyplot, no backend of the notebook changed) and returns a
Picture: shown as a PNG in Jupyter, and holding `.data`, the numbers it drew, which the tests read
back (and which an executed notebook keeps in the output's metadata, under "microgpt"). What cannot
be drawn yet (a blank still to fill in, a cell not run) ends the cell with one line; a kernel without
matplotlib gets one line saying how to install it, and the rest of the notebook runs. Standard library
but for matplotlib (and numpy, which it brings), imported only when a picture is drawn.

A notebook carries only what its step draws, in a collapsed cell (tools/generate/setup_cell.py), next to
tools/sampling.py: trainN.py (as `pictures`) and what it imports, draw.py (what every step's pictures
share: the loss curve, the next characters) and for steps 3 and 4 heads.py (attention). This package
takes them all, for the tests and the tools: `from tools import pictures`.
"""

from .draw import *
from .heads import *
from .train0 import *
from .train1 import *
from .train2 import *
from .train3 import *
from .train4 import *
from .train5 import *
