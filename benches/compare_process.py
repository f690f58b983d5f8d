#!/usr/bin/env python3
"""Whole-process time of two matdiff binaries on the public cases, run in turn.

    python3 benches/compare_process.py OLD_BINARY NEW_BINARY [RUNS]

For each case of ../shared/cases/public.json (or $MATDIFF_CASES), runs
`matdiff grad EXPR --wrt V --let … --format json` (numeric check on, as
`cargo bench --bench process` does) RUNS times (default 21) with each binary,
alternating, and prints the median wall time, the median CPU time (user +
system, from the kernel's accounting of the child) and the fastest wall
time. On a machine shared with other work the CPU time is the steadier
figure: it does not count the time spent waiting for a core.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.environ.get("MATDIFF_CASES", os.path.join(HERE, "..", "..", "shared", "cases", "public.json"))


def one(binary, args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([binary] + args, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"{binary} {args}: exit {out.returncode}: {out.stderr[:200]!r}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old, new = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 21
    cases = json.load(open(CASES))["cases"]
    rows = []
    for c in cases:
        args = ["grad", c["expr"], "--wrt", c["wrt"], "--format", "json"]
        for let in c.get("lets", []):
            args += ["--let", let]
        times = {old: [], new: []}
        for _ in range(runs):
            for b in (old, new):
                times[b].append(one(b, args))
        row = [c["id"]]
        for b in (old, new):
            walls = [w for w, _ in times[b]]
            cpus = [u for _, u in times[b]]
            row += [statistics.median(walls), statistics.median(cpus), min(walls)]
        rows.append(row)
    print(f"{'case':<18} {'wall old':>9} {'cpu old':>8} {'min old':>8} {'wall new':>9} {'cpu new':>8} {'min new':>8}")
    for r in rows:
        print(f"{r[0]:<18} " + " ".join(f"{x:8.2f}" for x in r[1:]))
    for name, k in (("old", 1), ("new", 4)):
        for what, j in (("wall", 0), ("cpu", 1), ("fastest wall", 2)):
            v = sorted(r[k + j] for r in rows)
            print(f"{name} {what}: median over the cases {statistics.median(v):.2f} ms, slowest {v[-1]:.2f} ms")


if __name__ == "__main__":
    main()
