"""Benchmark: what a task costs the controller apart from its module run - the price of the fleet's
tasks per box (issue 12), and so what folding a site's module calls into fewer tasks could save.

On N lab appliances already running (`--boxes`, the fleet inventory .lab/fleet-inventory.yml) it runs
three plays and reads the controller's CPU from the kernel (getrusage(RUSAGE_CHILDREN) around
ansible-playbook and its workers), on the first box alone and on all of them:

  tasks     RUNS tasks of ansible.builtin.ping per box (each a worker, templated and reported)
  one-task  one ping, then one task running ping RUNS times in its worker
            (bench/action_plugins/azb_bench_module_runs.py)
  base      the one ping alone

CPU per added box of each, over REPEAT rounds (median). A task's own price is
(tasks - base) / (RUNS - 1) less the price of a module run in one task, (one-task - base) / RUNS.

Usage: python -m bench.task_overhead_bench --boxes lab-a25,lab-a26,... [--runs 10] [--repeat 3]
(root; bring the boxes up first, e.g. with bench.fleet_bench or `python -m tests.lab.azblab up`).
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVENTORY = os.path.join(REPO, ".lab", "fleet-inventory.yml")


def plays(runs):
    ping = {"ansible.builtin.ping": None}
    return {
        "tasks": [dict(ping, name="ping %d" % i) for i in range(runs)],
        "one-task": [dict(ping, name="ping"),
                     {"name": "%d pings in one task" % runs, "azb_bench_module_runs": {"runs": runs}}],
        "base": [dict(ping, name="ping")],
    }


def controller_cpu(playbook, hosts):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_ACTION_PLUGINS=os.path.join(REPO, "bench", "action_plugins"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "-i", INVENTORY, playbook,
                          "-l", ",".join(hosts)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
                         check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        sys.exit("%s failed:\n%s" % (playbook, res.stdout[-3000:] + res.stderr[-2000:]))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boxes", required=True, help="comma-separated lab appliances, the first alone as the base")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    boxes = args.boxes.split(",")
    if len(boxes) < 2:
        sys.exit("--boxes: at least two appliances (CPU per added box)")
    per_box = {}
    with tempfile.TemporaryDirectory() as tmp:
        books = {}
        for name, tasks in plays(args.runs).items():
            books[name] = os.path.join(tmp, name + ".yml")
            with open(books[name], "w") as fh:
                yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": tasks}], fh, sort_keys=False)
        for rnd in range(args.repeat):
            for name, book in books.items():
                one, many = controller_cpu(book, boxes[:1]), controller_cpu(book, boxes)
                per_box.setdefault(name, []).append((many - one) / (len(boxes) - 1))
                print("round %d %-8s 1 box %.2f CPU-s, %d boxes %.2f CPU-s: %.3f per added box"
                      % (rnd + 1, name, one, len(boxes), many, per_box[name][-1]), flush=True)
    med = dict((name, sorted(v)[len(v) // 2]) for name, v in per_box.items())
    module_run = (med["one-task"] - med["base"]) / args.runs
    task = (med["tasks"] - med["base"]) / (args.runs - 1)
    print("\n| per added box (median of %d) | CPU-s |" % args.repeat)
    print("| --- | ---: |")
    print("| a ping task | %.3f |" % task)
    print("| a ping run inside one task | %.3f |" % module_run)
    print("| a task's own price (worker, templating, result, callbacks) | %.3f |" % (task - module_run))


if __name__ == "__main__":
    main()
