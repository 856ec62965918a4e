"""The wrong answers every exercise's check must catch, each with the words its ✗ line must say.

Plausible mistakes a student makes, written as edits of the step's own code (the solution), so that
the tests (tests/test_exercises.py) and the nbgrader proof (tools/nbgrader/course.py --grade-check)
try the same ones. Never copied into a notebook: an edit of the solution shows the solution.
"""

BFS_BACKWARD = """        self.grad = 1
        queue, seen = [self], {self}
        for v in queue:  # breadth-first: a node may pass its grad on before all of it has arrived
            for child, local_grad in zip(v.children, v.local_grads):
                child.grad += local_grad * v.grad
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
"""
# Plausible mistakes, and what the ✗ line must say about each: the shape of the wrong answer, named.
# {(step, exercise): {what: (the edits of the step's source, [(old, new), ...]; the words the line says)}}
WRONG = {
    (0, "probabilities"): {
        "no smoothing at all": (
            [("sum(row) + vocab_size", "sum(row)"), ("(count + 1) / total", "count / total")],
            "every token keeps some probability",
        ),
        "+1 on top, but not +V below": (
            [("sum(row) + vocab_size", "sum(row) + 1")],
            "divided by the row's total + 1, but each of the V",
        ),
        "+V below, but not +1 on top": ([("(count + 1) / total", "count / total")], "count + 1 on top"),
        "+1 on top, nothing below": (
            [("sum(row) + vocab_size", "sum(row) or 1")],
            "divided by the row's total, but each of the V",
        ),
        "the +1 added into the caller's row": (
            [
                (
                    "    total = sum(row) + vocab_size\n    return [(count + 1) / total for count in row]",
                    "    for b in range(len(row)):\n        row[b] += 1\n"
                    "    return [count / sum(row) for count in row]",
                )
            ],
            "changed the row it was given",
        ),
    },
    (1, "linear_backward"): {
        "dw overwritten instead of accumulated": (
            [("dw[i][j] += dyi * xj", "dw[i][j] = dyi * xj")],
            "add (+=) into dw",
        ),
        "dx through w instead of its transpose": (
            [("sum(w[i][j] * dy[i] for i in range(len(w)))", "sum(w[j][i] * dy[i] for i in range(len(dy)))")],
            "goes back through w transposed",
        ),
        "dx forgets dy": ([("w[i][j] * dy[i]", "w[i][j]")], "dx ignores dy"),
        "dw[i][j] gets dy[j] * x[i]": (
            [("dw[i][j] += dyi * xj", "dw[i][j] += dy[j % len(dy)] * x[i % len(x)]")],
            "dw is transposed",
        ),
        "dx not returned": ([("    return [sum(", "    [sum(")], "should be a list of 3, got NoneType"),
        "dx with the sign flipped": ([("    return [sum(", "    return [-sum(")], "the sign is flipped"),
    },
    (1, "analytic_gradient"): {
        "softmax gradient missing the -1 at the target": (
            [("(p - (i == target))", "p")],
            "has no -1 at the target",
        ),
        "softmax gradient missing the 1/n": (
            [("(1 / n) * (p - (i == target))", "(p - (i == target))")],
            "n = 4 times too large",
        ),
        "softmax gradient divided by n + 1": (
            [("(1 / n) * (p - (i == target))", "(1 / (n + 1)) * (p - (i == target))")],
            "0.8 times the right one",
        ),
        "the -1 at the wrong token": ([("(i == target)", "(i == token)")], "sits at the current token"),
        "ReLU backward passes negative inputs' gradients": (
            [("dh = [d if hi > 0 else 0.0 for d, hi in zip(da, h)]", "dh = da")],
            "input h was negative at every position",
        ),
        "ReLU backward gates on the gradient's sign": (
            [("d if hi > 0", "d if d > 0")],
            "not by the gradient's sign",
        ),
        "onehot - p, the sign flipped": (
            [("(p - (i == target))", "((i == target) - p)")],
            "the sign is flipped",
        ),
    },
    (2, "Value.__mul__"): {
        "local gradients swapped": (
            [("(other.data, self.data))", "(self.data, other.data))")],
            "the local gradients are swapped",
        ),
        "local gradients of a sum": (
            [("(other.data, self.data))", "(1, 1))")],
            "the local gradient of a sum",
        ),
        "children left out": (
            [("(self, other), (other.data, self.data)", "(), ()")],
            "its children must include",
        ),
        "local gradients as Values": (
            [("(other.data, self.data))", "(other, self))")],
            "it should be a plain number",
        ),
    },
    (2, "Value.__pow__"): {
        "k * x**k": ([("(k * self.data ** (k - 1),)", "(k * self.data**k,)")], "that is k·x^k"),
        "the factor k forgotten": (
            [("(k * self.data ** (k - 1),)", "(self.data ** (k - 1),)")],
            "without the factor k",
        ),
    },
    (2, "Value.log"): {
        "local gradient x instead of 1/x": ([("(1 / self.data,)", "(self.data,)")], "that is x itself"),
        "base-10 logarithm": ([("math.log(self.data)", "math.log10(self.data)")], "base-10"),
        "no comma in the tuple of one": (
            [("(1 / self.data,)", "(1 / self.data)")],
            "a tuple of one needs a comma",
        ),
    },
    (2, "Value.backward"): {
        "grad overwritten instead of accumulated": (
            [("child.grad += local_grad", "child.grad = local_grad")],
            "each use adds (+=)",
        ),
        "no seed gradient of 1": ([("        self.grad = 1\n", "")], "grad should be 1 (d f / d f)"),
        "topological order not reversed": (
            [("for v in reversed(topo):", "for v in topo:")],
            "walk the order backwards",
        ),
        "a node visited twice": ([("if v not in visited:", "if True:")], "visit each node only once"),
        "breadth-first instead of topological": ("replace the whole region", "breadth-first"),
        "parents first, not reversed": (
            [
                (
                    "                for child in v.children:\n                    build_topo(child)\n"
                    "                topo.append(v)",
                    "                topo.append(v)\n                for child in v.children:\n"
                    "                    build_topo(child)",
                ),
                ("for v in reversed(topo):", "for v in topo:"),
            ],
            "append each node after its children",
        ),
    },
    (3, "rmsnorm"): {
        "no epsilon": ([(" + 1e-5", "")], "where is the 1e-5"),
        "divides by the mean square, not its root": ([("** -0.5", "** -1")], "divides by its square root"),
        "sum of squares instead of their mean": (
            [(" / len(x) + 1e-5", " + 1e-5")],
            "√n = √2 times too small",
        ),
        "scale detached from the graph": (
            [("    return [xi * scale", "    scale = Value(scale.data)\n    return [xi * scale")],
            "with Value operations",
        ),
        "multiplies by the root mean square": ([("** -0.5", "** 0.5")], "multiplied by the root mean square"),
    },
    (3, "gpt"): {
        "no 1/sqrt(d) scale": ([(" / N_EMBD**0.5", "")], "not divided by √d (here d = 8)"),
        "divides by d, not sqrt(d)": ([("N_EMBD**0.5", "N_EMBD")], "divided by d = 8 itself"),
        "weights not softmaxed": (
            [("weights = softmax(scores)", "weights = scores")],
            "softmax turns them into weights",
        ),
        "attends to the current position only": (
            [("zip(weights, values)", "zip(weights[-1:], values[-1:])")],
            "only the current position's value",
        ),
        "scores detached from the graph": (
            [("weights = softmax(scores)", "weights = softmax([Value(s.data) for s in scores])")],
            "in Value operations",
        ),
    },
    (4, "gpt"): {
        "scales by sqrt(N_EMBD), not sqrt(HEAD_DIM)": (
            [("/ HEAD_DIM**0.5", "/ N_EMBD**0.5")],
            "divide by √HEAD_DIM",
        ),
        "every head uses the start of q": (
            [("q_h, k_h, v_h = q[s],", "q_h, k_h, v_h = q,")],
            "every head uses the first HEAD_DIM entries of q",
        ),
        "heads concatenated in reverse order": (
            [
                (
                    "heads += [sum(w * vt[j] for w, vt in zip(weights, v_h)) for j in range(HEAD_DIM)]",
                    "heads = [sum(w * vt[j] for w, vt in zip(weights, v_h)) for j in range(HEAD_DIM)]"
                    " + heads",
                )
            ],
            "concatenated in reverse order",
        ),
        "one head only, repeated": (
            [("for h in range(N_HEAD):", "for h in [0] * N_HEAD:")],
            "every head uses head 0's slice",
        ),
        "every layer reads layer 0's cache": (
            [
                (
                    "[kt[s] for kt in keys[i]], [vt[s] for vt in values[i]]",
                    "[kt[s] for kt in keys[0]], [vt[s] for vt in values[0]]",
                )
            ],
            "a cache of its own",
        ),
    },
    (5, "adam"): {
        "no bias correction": (
            [("m[i] / (1 - beta1 ** (step + 1))", "m[i]"), ("v[i] / (1 - beta2 ** (step + 1))", "v[i]")],
            "1.5 times the right step",
        ),
        "no square root of v_hat": (
            [("(v_hat**0.5 + eps)", "(v_hat + eps)")],
            "divide it by the square root",
        ),
        "epsilon inside the square root": (
            [("(v_hat**0.5 + eps)", "((v_hat + eps) ** 0.5)")],
            "ε goes outside the square root",
        ),
        "bias correction with step, not step + 1": (
            [("beta1 ** (step + 1)", "beta1**step"), ("beta2 ** (step + 1)", "beta2**step")],
            "t = step + 1",
        ),
        "no momentum (m forgets the past)": (
            [("beta1 * m[i] + (1 - beta1) * p.grad", "p.grad")],
            "m is the running mean",
        ),
        "plain SGD": ("replace the whole region", "plain gradient descent"),
        "steps up the gradient": ([("p.data -= lr_t", "p.data += lr_t")], "the sign is flipped"),
        "the global learning_rate, not lr_t": (
            [("p.data -= lr_t", "p.data -= learning_rate")],
            "step by the argument lr_t",
        ),
        "m_hat stored into m": ([("m_hat = m[i] /", "m[i] = m_hat = m[i] /")], "m holds m̂"),
    },
}
REPLACEMENTS = {  # the whole solution region, for the mistakes above that rewrite it
    ((2, "Value.backward"), "breadth-first instead of topological"): BFS_BACKWARD,
    ((5, "adam"), "plain SGD"): "    for p in params:\n        p.data -= lr_t * p.grad\n",
}


def top_level(source, name):
    """The source of the top-level def or class `name` in a module's source."""
    import ast

    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return ast.get_source_segment(source, node)
    raise ValueError(f"no top-level {name} in the source")


def variant(n, name, mistake):
    """steps/trainN.py with `mistake` (of WRONG[(n, name)]) made in the function holding exercise `name`."""
    from . import student

    source = student.step_source(n)
    edits = WRONG[(n, name)][mistake][0]
    if isinstance(edits, str):
        (region,) = [r for r in student.step_regions(n) if r.name == name]
        edits = [(region.code, REPLACEMENTS[((n, name), mistake)].rstrip("\n"))]
    segment = top_level(source, name.split(".")[0])
    changed = segment
    for old, new in edits:
        if old not in changed:
            raise ValueError(f"the mistake {mistake!r} edits {old!r}, which is not in train{n}'s {name}")
        changed = changed.replace(old, new)
    return source.replace(segment, changed)


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    import sys

    sys.stderr.write(
        "error: tools/exercises/wrong.py is a library, not a command: the tests and "
        "tools/nbgrader/course.py read it (`make grade-proof`)\n"
    )
    sys.exit(2)
