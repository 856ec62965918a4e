"""What an executed lesson or student notebook's pictures must show: the values its run printed, and the
identities that hold whatever the run (tests/test_pictures.py, tests/test_exercises.py)."""

import math
import re

from tools import pictures, sampling, steprun

from stepkit import cell_text, printed


def drawn(nb):
    """{cell id: the data of the picture it shows} of an executed notebook's picture cells."""
    found = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                assert cell.id not in found, f"{cell.id} shows two pictures"
                found[cell.id] = output["metadata"]["microgpt"]
    return found


def printed_by(nb):
    """What the step's own cells printed, in order (steprun.parse of the notebook's output)."""
    text = printed(nb)
    return steprun.parse(text, strict=False), text


def check_pictures(nb, n, g=None):
    """Every picture of an executed notebook of step n against the values the run printed, and the
    identities that hold whatever the run: what a test of an executed lesson or student notebook calls.
    With g, the globals of the same run made in this process: each picture's numbers are its values too."""
    shown, (printed, _) = drawn(nb), printed_by(nb)
    ids = [cell.id for cell in nb.cells if cell.id.endswith("-picture")]
    assert ids and sorted(shown) == sorted(ids), (ids, sorted(shown))
    by_kind = {cell_id.split("-", 2)[2].removesuffix("-picture"): shown[cell_id]["data"] for cell_id in shown}
    vocab = printed.vocab
    loss = by_kind["loss"]
    assert loss["losses"] == printed.losses and loss["ln_V"] == math.log(vocab), (loss, printed.losses)
    if n == 0:
        counts = by_kind["counts"]["counts"]
        bos = len(counts) - 1
        assert sum(counts[bos]) == sum(row[bos] for row in counts) == printed.num_steps  # a name starts, ends
        row = by_kind["smoothing"]
        assert row["counts"] == counts[by_kind["counts"]["labels"].index(row["row"])]
        total = sum(row["counts"]) + vocab
        assert row["smoothed"] == [(c + 1) / total for c in row["counts"]]
        assert all(r == 0 for r, c in zip(row["raw"], row["counts"]) if c == 0)
    if n == 1:
        check = by_kind["gradcheck"]
        assert printed.check.endswith(f"max diff {check['max_diff']:.8f}")
        assert len(check["numerical"]) == len(check["analytic"]) > 0
    if n == 2:
        assert {k: (v["data"], v["grad"]) for k, v in by_kind["graph"]["nodes"].items()} == {
            "a": (2.0, -2.0),
            "b": (-3.0, 2.0),
            "a*b": (-6.0, 1),
            "a*b + a": (-4.0, 1),
        }
    for kind in ("attention", "heads"):
        if kind in by_kind:
            attention = by_kind[kind]
            assert attention["tokens"] == ["BOS", "e", "m", "m", "a"]
            for head in attention["heads"]:
                for q, weights in enumerate(head["weights"]):
                    assert abs(sum(weights) - 1) < 1e-9 and all(w == 0 for w in weights[q + 1 :])
                    assert all(w > 0 for w in weights[: q + 1])
    if n == 4:
        assert len(by_kind["heads"]["heads"]) > 1
    if n == 3:
        wte = by_kind["wte"]
        assert len(wte["labels"]) == len(wte["points"]) == vocab and 0 < wte["kept"] <= 1
        assert all(abs(sum(p[i] for p in wte["points"])) < 1e-9 for i in range(2))  # centred
    if n == 5:
        race = by_kind["adam"]
        assert race["adam"] == printed.losses[: len(race["adam"])] and len(race["sgd"]) == len(race["adam"])
        sgd = [round(x, 4) for x in race["sgd"]]  # as the run printed Adam's
        assert sgd[0] == race["adam"][0]  # the same start and the same first name: the same first loss
        assert sgd[1:] != race["adam"][1:] or len(sgd) == 1  # then two rules, two paths
    for panel in by_kind["next"]["top"]:
        ps = [p for _, p in panel["rows"]]
        assert ps == sorted(ps, reverse=True) and sum(ps) <= 1 + 1e-9
    if n == 0:
        first, last = by_kind["next"]["top"]
        assert (first["prefix"], last["prefix"], first["rows"]) == ("emm", "m", last["rows"])
    (play,) = [cell for cell in nb.cells if cell.id.endswith("-names")]
    names = re.findall(r"^  sample +\d+: (.*)$", cell_text(play), re.M)
    assert len(names) == 5 and all(name.startswith("ma") for name in names), names
    if g is None:
        return
    if n == 0:
        assert by_kind["counts"]["counts"] == g["counts"]
    if n == 1:
        assert by_kind["gradcheck"]["numerical"] == g["grad_n"]
        assert by_kind["gradcheck"]["analytic"] == g["grad_a"][:: g["every"]]
    for kind in ("attention", "heads"):
        if kind in by_kind:
            _, weights = pictures.attention_weights(g, "emma")
            assert [head["weights"] for head in by_kind[kind]["heads"]] == list(weights.values())
    if "wte" in by_kind:
        assert (
            by_kind["wte"]["points"]
            == pictures.project_2d([[p.data for p in r] for r in g["state_dict"]["wte"]])[0]
        )
    assert by_kind["next"]["top"][0]["rows"] == [list(row) for row in sampling.top_next(g, "emm", 10)]
