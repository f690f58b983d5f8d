#!/usr/bin/env python3
"""jax on the second-order cases of BENCHMARKS.md, and matdiff's generated
NumPy code checked against it at the same points.

    ~/.cache/matdiff-peers/bin/python benches/peers_second_order.py [MATDIFF]

(the peers venv: `NO_TORCH=1 bash ../shared/peers/setup.sh`). For each case:
jax's time in-process for the first call (tracing and one evaluation, as
../shared/peers/tools/jax_tool.py measures it) and for a second call, the
whole process `matdiff hessian … --format numpy` time, and the largest
relative difference between jax's result and matdiff's code.
"""
import subprocess
import sys
import time

import numpy as np

MATDIFF = sys.argv[1] if len(sys.argv) > 1 else "target/release/matdiff"

t0 = time.perf_counter()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

jax.config.update("jax_enable_x64", True)
IMPORT_MS = 1e3 * (time.perf_counter() - t0)


def matdiff_code(args):
    t = time.perf_counter()
    out = subprocess.run([MATDIFF, *args, "--format", "numpy"], capture_output=True, text=True, check=True)
    ms = 1e3 * (time.perf_counter() - t)
    ns = {}
    exec(out.stdout, ns)  # noqa: S102 - our own generated code
    return ns, ms


def timed(fn, *a):
    t = time.perf_counter()
    r = fn(*a)
    r = jax.block_until_ready(r)
    first = 1e3 * (time.perf_counter() - t)
    t = time.perf_counter()
    jax.block_until_ready(fn(*a))
    second = 1e3 * (time.perf_counter() - t)
    return np.asarray(r), first, second


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300))


rng = np.random.default_rng(0)
rows = []

# Logistic regression, n = 200 samples, m = 20 features.
X = rng.standard_normal((200, 20))
y = (rng.random((200, 1)) < 0.5) * 1.0
w = 0.1 * rng.standard_normal((20, 1))
f = lambda w: jnp.sum(jax.nn.softplus(X @ w)) - (y.T @ X @ w)[0, 0]  # noqa: E731
H, first, second = timed(jax.hessian(lambda v: f(v.reshape(20, 1))), w.ravel())
ns, ms = matdiff_code(["hessian", "sum(softplus(Xw)) - yᵀXw", "--wrt", "w"])
rows.append(("Hessian, logistic regression (n=200, m=20)", first, second, ms, rel(ns["hessian_w"](X, w, y), H)))

# xᵀAx, n = 100.
A = rng.standard_normal((100, 100))
x = rng.standard_normal((100, 1))
H, first, second = timed(jax.hessian(lambda v: v @ A @ v), x.ravel())
ns, ms = matdiff_code(["hessian", "xᵀAx", "--wrt", "x"])
rows.append(("Hessian, xᵀAx (n=100)", first, second, ms, rel(ns["hessian_x"](x, A), H)))


def network(L, d=4, k=3):
    """L(net) with L(Y) = Σ G ⊙ Y, weights 0.9 × orthogonal (as ../shared/peers/scale.py)."""
    def orth():
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        return 0.9 * q
    vals = {"X": 0.3 * rng.standard_normal((k, d))}
    for i in range(1, L + 1):
        vals[f"W{i}"] = orth()
        vals[f"B{i}"] = 0.1 * rng.standard_normal((k, d))
    vals["G"] = rng.standard_normal((k, d))
    h, expr = "X", "X"
    for i in range(1, L):
        expr = f"tanh({expr} W{i} + B{i})"
    expr = f"L({expr} W{L} + B{L})"

    def f(W1):
        H = vals["X"]
        for i in range(1, L):
            H = jnp.tanh(H @ (W1 if i == 1 else vals[f"W{i}"]) + vals[f"B{i}"])
        return jnp.sum(vals["G"] * (H @ (W1 if L == 1 else vals[f"W{L}"]) + vals[f"B{L}"]))
    return vals, expr, f


for L in (8, 64):
    vals, expr, f = network(L)
    V = rng.standard_normal((4, 4))
    hvp = lambda W1, V: jax.jvp(jax.grad(f), (W1,), (V,))[1]  # noqa: E731
    Hv, first, second = timed(hvp, vals["W1"], V)
    ns, ms = matdiff_code(["hessian", expr, "--wrt", "W1"])
    ours = ns["hvp_W1"](**vals, V=V)
    rows.append((f"HVP, network of {L} tanh layers (d=4, k=3)", first, second, ms, rel(ours, Hv)))

print(f"jax {jax.__version__} (x64), import {IMPORT_MS:.0f} ms; matdiff: whole process, --format numpy (numeric check on)")
print(f"{'case':<46} {'jax 1st ms':>10} {'jax 2nd ms':>10} {'matdiff ms':>10} {'rel. diff':>10}")
for name, a, b, m, r in rows:
    print(f"{name:<46} {a:>10.1f} {b:>10.2f} {m:>10.1f} {r:>10.1e}")
