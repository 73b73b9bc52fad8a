"""What each task costs the controller per added box: two files of bench/callbacks/worker_cpu.py
(a play on one box, or on --base B boxes, then on N boxes) -> a table, the dearest first.

Compare 5 boxes with 20 (--base 5) to see whether a task's cost per box grows with the fleet; one box
against five mixes in what the first box pays alone.

Usage: python -m bench.worker_cpu_report FEW_BOX_FILE N_BOX_FILE N [--base B] [--top K]"""
import argparse
import collections


def load(path):
    """-> ({task: workers' CPU-s}, {task: main process CPU-s})"""
    workers, main = collections.defaultdict(float), collections.defaultdict(float)
    with open(path) as fh:
        for line in fh:
            task, host, cpu = line.rstrip("\n").split("\t")
            (main if host == "MAIN" else workers)[task] += float(cpu)
    return workers, main


def per_added_box(few, many, n, base=1):
    """-> [(total, workers, main, task)] per added box (from `base` boxes to `n`), the dearest first."""
    (w1, m1), (wn, mn) = few, many
    rows = []
    for task in set(w1) | set(wn) | set(m1) | set(mn):
        w = (wn.get(task, 0.0) - w1.get(task, 0.0)) / (n - base)
        m = (mn.get(task, 0.0) - m1.get(task, 0.0)) / (n - base)
        rows.append((w + m, w, m, task))
    return sorted(rows, reverse=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("few", help="the play on one box (or --base boxes)")
    ap.add_argument("many", help="the same play on N boxes")
    ap.add_argument("n", type=int)
    ap.add_argument("--base", type=int, default=1, help="boxes in the first file (default 1)")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args(argv)
    if args.n <= args.base:
        ap.error("N must be more than the base's boxes")
    rows = per_added_box(load(args.few), load(args.many), args.n, args.base)
    print("| task | CPU-s per added box | workers | main process |\n| --- | ---: | ---: | ---: |")
    for total, w, m, task in rows[:args.top]:
        print("| %s | %.3f | %.3f | %.3f |" % (task, total, w, m))
    print("| **all tasks** | **%.3f** | %.3f | %.3f |" % (sum(r[0] for r in rows), sum(r[1] for r in rows),
                                                          sum(r[2] for r in rows)))


if __name__ == "__main__":
    main()
