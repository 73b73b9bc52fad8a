"""Where a play's Jinja compiles go: a file of bench/callbacks/template_compiles.py -> the tasks and
the template sources that cost the most compile CPU (a play on one box: per box).

Usage: python -m bench.template_compiles_report FILE [--top K]"""
import argparse
import collections


def load(path):
    """-> [(task, CPU-s, source)]"""
    with open(path) as fh:
        return [(task, float(cpu), source) for task, cpu, source in
                (line.rstrip("\n").split("\t", 2) for line in fh)]


def totals(rows, key):
    """-> [(CPU-s, compiles, name)] summed by key (0: task, 2: source), the dearest first."""
    cpu, count = collections.defaultdict(float), collections.Counter()
    for row in rows:
        cpu[row[key]] += row[1]
        count[row[key]] += 1
    return sorted(((cpu[k], count[k], k) for k in cpu), reverse=True)


def table(title, rows, top):
    out = ["| %s | compiles | CPU s |" % title, "| --- | ---: | ---: |"]
    out += ["| %s | %d | %.3f |" % (name.replace("|", "\\|")[:120], n, cpu) for cpu, n, name in rows[:top]]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    rows = load(args.file)
    print("%d compiles, %.3f CPU s" % (len(rows), sum(r[1] for r in rows)))
    print(table("task", totals(rows, 0), args.top))
    print()
    print(table("template", totals(rows, 2), args.top))


if __name__ == "__main__":
    main()
