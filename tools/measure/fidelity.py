"""The full-length check: every step with its defaults against the golden figures.

    python3 -m tools.measure.fidelity          # make fidelity; about 2 minutes on 2 cores

train5 must print exactly the reference microgpt's log (../shared/reference/train5.log, or its
copy in tests/golden/ when that folder is absent) and end with weights whose sha256 is the
one recorded from the straightforward implementation, bit for bit. train0, train1 and train4
must reproduce the reference progression's figures, and train2 must print train1's output.
"""

import hashlib
import os
import time

from .. import steprun
from ..project import ROOT, command_line, reference_log, run_main, step_numbers

# sha256 of train5's final weights (float.hex of every parameter, one per line, in order),
# recorded from the straightforward implementation before any speed work (commit 6e4c083).
WEIGHTS_SHA256 = os.path.join(ROOT, "tests", "golden", "train5_weights.sha256")
GOLDEN = {  # step: (first loss, last loss, mean of the last 100, the 20 samples)
    0: (
        3.2958,
        2.7177,
        2.4416,
        "enaroa romra brabecyler talyaxbranalewia zfyclahab czasan asocayeleelcan "
        "ravbrieeligsonal kelosonnn lydonyanen eil gh dricoynylelule ma py h mbloris kxwai on bbichy",
    ),
    1: (
        3.2978,
        2.6873,
        2.4389,
        "aylan an ma jara sa ann cah an anelisa an jan alinada ja relon lan canen do ma iann n",
    ),
    4: (
        3.3660,
        2.6438,
        2.3074,
        "jalyn annze jaenn aren namah karia ylian anna avan sarare konna keylen keran alerin "
        "darar kanne kana kara alela anrie",
    ),
    5: (
        3.3660,
        2.6497,
        2.2761,
        "kamon ann karai jaire vialan karia yeran anna areli kaina konna keylen liole alerin "
        "earan lenne kana lara alela anton",
    ),
}


def run(step):
    """Run a step with its defaults (in this process, as `python3 steps/trainN.py` would); return its output
    and the sha256 of its final weights (None for a step without Values)."""
    try:
        g, output = steprun.execute(step)
    except SystemExit as exc:  # a step's one line: a missing dataset, say
        raise SystemExit(f"error: train{step} stopped: {exc.code}") from None
    params = [p for p in g.get("params", []) if hasattr(p, "data")]  # the autograd steps' Values
    weights = "\n".join(float(p.data).hex() for p in params)
    return output, hashlib.sha256(weights.encode()).hexdigest() if params else None


def figures(output):
    printed = steprun.parse(output)
    last = printed.losses[-100:]
    return printed.losses[0], printed.losses[-1], round(sum(last) / len(last), 4), " ".join(printed.samples)


def without_gradient_check(output):
    check = steprun.parse(output).check
    return output.replace(check + "\n", "", 1) if check else output


def compare_log(output, reference):
    mine, theirs = output.splitlines(), reference.splitlines()
    for i, (a, b) in enumerate(zip(mine, theirs), 1):
        if a != b:
            return f"line {i} differs: {a!r} vs reference {b!r}"
    return None if len(mine) == len(theirs) else f"{len(mine)} lines vs reference {len(theirs)}"


def main(argv=None):
    command_line(__doc__, __file__).parse_args(argv)
    failures = []
    outputs = {}
    with open(WEIGHTS_SHA256, encoding="utf-8") as f:
        golden_weights = f.read().split()[0]
    for step in step_numbers():
        print(f"train{step}: running with defaults …", end=" ", flush=True)
        started = time.perf_counter()
        outputs[step], weights = run(step)
        first, last, mean, names = figures(outputs[step])
        print(
            f"{time.perf_counter() - started:.1f} s | loss {first:.4f} -> {last:.4f} | mean of last 100 "
            f"{mean:.4f} | "
            f"samples: {', '.join(names.split(' ')[:5])}, …",
            flush=True,
        )
        if step in GOLDEN:
            got, want = figures(outputs[step]), GOLDEN[step]
            for label, a, b in zip(("first loss", "last loss", "mean of last 100", "samples"), got, want):
                if a != b:
                    failures.append(f"train{step}: {label} {a!r}, expected {b!r}")
        if step == 2 and outputs[2] != without_gradient_check(outputs[1]):
            failures.append("train2: output differs from train1's")
        if step == 5:
            with open(reference_log(), encoding="utf-8") as f:
                problem = compare_log(outputs[5], f.read())
            if problem:
                failures.append(f"train5 vs the reference log: {problem}")
            if weights != golden_weights:
                failures.append(
                    f"train5: final weights sha256 {weights[:16]}…, expected {golden_weights[:16]}…"
                )
    if failures:
        print("\n".join(["DIFFERENT:"] + failures))
        return 1
    print(
        "identical: train5 prints the reference log line for line and ends with the golden weights (sha256 "
        f"{golden_weights[:16]}…); train0, train1, train4 match the reference figures; train2 prints "
        "train1's output"
    )
    return 0


if __name__ == "__main__":
    run_main(main)
