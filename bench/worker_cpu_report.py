"""What each task costs the controller per added box: two files of bench/callbacks/worker_cpu.py
(a play on one box, then on N boxes) -> a table, the dearest first.

Usage: python -m bench.worker_cpu_report ONE_BOX_FILE N_BOX_FILE N [--top K]"""
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


def per_added_box(one, many, n):
    """-> [(total, workers, main, task)] per added box, the dearest first."""
    (w1, m1), (wn, mn) = one, many
    rows = []
    for task in set(w1) | set(wn) | set(m1) | set(mn):
        w = (wn.get(task, 0.0) - w1.get(task, 0.0)) / (n - 1)
        m = (mn.get(task, 0.0) - m1.get(task, 0.0)) / (n - 1)
        rows.append((w + m, w, m, task))
    return sorted(rows, reverse=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("one")
    ap.add_argument("many")
    ap.add_argument("n", type=int)
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args(argv)
    rows = per_added_box(load(args.one), load(args.many), args.n)
    print("| task | CPU-s per added box | workers | main process |\n| --- | ---: | ---: | ---: |")
    for total, w, m, task in rows[:args.top]:
        print("| %s | %.3f | %.3f | %.3f |" % (task, total, w, m))
    print("| **all tasks** | **%.3f** | %.3f | %.3f |" % (sum(r[0] for r in rows), sum(r[1] for r in rows),
                                                          sum(r[2] for r in rows)))


if __name__ == "__main__":
    main()
