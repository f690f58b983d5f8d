#!/usr/bin/env python3
"""Sizes of the gradients in the snapshots: does a change make any answer larger?

    python3 benches/answer_sizes.py [--rev REV] [--against REV] [--show N]

Reads every derivation snapshot (tests/snapshots/{derive,render,components,
flops}_cases__*.snap) in the working tree, or at git revision REV, takes each
final gradient line (`∂f/∂X = …    (shape)`, Unicode text) and counts the
symbols of its right-hand side: names, numbers, function names and
operators (`+ − ⊙ ./ / .^ ᵀ ⁻¹`, a superscript power, `‖…‖`); parentheses
and spaces are not counted, a product of k factors counts k − 1. Prints the
total over every gradient; with --against, also the total at that revision
and every gradient whose size changed (same snapshot, same left-hand side).
"""
import argparse
import re
import subprocess
import sys

KINDS = ("derive_cases", "render_cases", "components_cases", "flops_cases")
LINE = re.compile(r"^(∂\S+/∂\S+) = (.+?)\s{2,}\([^()]*\)\s*$")
TOKEN = re.compile(
    r"""
    (?P<name>[A-Za-zα-ωΑ-Ω𝟙ℓ_][A-Za-z0-9α-ωΑ-Ω_]*)   # names and function names
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<inv>⁻ᵀ)                                     # inverse and transpose
  | (?P<sup>[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)                         # a power (⁻¹ an inverse)
  | (?P<op>ᵀ|\.\^|\./|⊙|\+|−|-|/|‖)
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.X,
)


def size(text: str) -> int:
    n = 0
    prev_operand = False
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("name", "num"):
            # juxtaposition of two operands is a product
            n += 1 + int(prev_operand)
            prev_operand = True
        elif kind == "inv":
            n += 2
            prev_operand = True
        elif kind == "sup":
            n += 1
            prev_operand = True
        elif kind == "op":
            tok = m.group()
            n += 0 if tok == "‖" and prev_operand else 1
            prev_operand = tok in ("ᵀ", "‖") and prev_operand
        elif kind == "other":
            if m.group() == "(":
                if prev_operand:
                    n += 1  # a product with a parenthesised factor
                prev_operand = False
            elif m.group() == ")":
                prev_operand = True
        elif kind == "space":
            continue
    return n


def files(rev):
    if rev is None:
        out = subprocess.run(["git", "ls-files", "--others", "--cached", "tests/snapshots"],
                             capture_output=True, text=True, check=True).stdout
    else:
        out = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "tests/snapshots"],
                             capture_output=True, text=True, check=True).stdout
    return sorted({f for f in out.split() if f.split("/")[-1].startswith(KINDS) and f.endswith(".snap")})


def read(path, rev):
    if rev is None:
        return open(path, encoding="utf-8").read()
    return subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True,
                          check=True).stdout


def answers(rev):
    out = {}
    for f in files(rev):
        try:
            text = read(f, rev)
        except (OSError, subprocess.CalledProcessError):
            continue
        seen = {}
        for line in text.splitlines():
            m = LINE.match(line)
            if m:
                lhs = m.group(1)
                seen[lhs] = seen.get(lhs, 0) + 1
                out[(f.split("/")[-1], lhs, seen[lhs])] = m.group(2)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rev", default=None)
    ap.add_argument("--against", default=None)
    ap.add_argument("--show", type=int, default=1000)
    a = ap.parse_args()
    now = answers(a.rev)
    total = sum(size(t) for t in now.values())
    print(f"{len(now)} gradients, total size {total}" + (f" at {a.rev}" if a.rev else ""))
    if a.against is None:
        return 0
    old = answers(a.against)
    common = [k for k in now if k in old]
    before = sum(size(old[k]) for k in common)
    after = sum(size(now[k]) for k in common)
    print(f"{len(old)} gradients, total size {sum(size(t) for t in old.values())} at {a.against}")
    print(f"on the {len(common)} gradients in both: {before} before, {after} after")
    larger = [k for k in common if size(now[k]) > size(old[k])]
    changed = sorted((k for k in common if now[k] != old[k]), key=lambda k: size(now[k]) - size(old[k]))
    for k in changed[: a.show]:
        print(f"{size(old[k]):4} → {size(now[k]):4}  {k[0]} {k[1]}: {old[k]}  →  {now[k]}")
    print(f"{len(larger)} larger, {len(changed)} changed")
    return 1 if larger else 0


if __name__ == "__main__":
    sys.exit(main())
