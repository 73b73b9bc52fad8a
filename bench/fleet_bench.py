"""Benchmark: one controller converging a fleet - how wall time, controller CPU and memory grow
with the number of appliances, and what the settings a user would reach for change.

On the fleet's lab appliances (lab-a25.., the fleet-lab inventory; the site is hypervisor + zones)
it runs, for each fleet size N and each controller setting, a no-op converge (rollout.yml in one
batch: lock, roles, gate) and a drift report (drift.yml), and reads the controller's cost from the
kernel (user+system CPU seconds and peak RSS of ansible-playbook and its workers, via
getrusage(RUSAGE_CHILDREN) around each run). The boxes must be converged first (the fleet scenario,
or rollout.yml once). Not a test: it prints a table.

Settings compared, in the same run, alternating at each size (the load moves between them):
  repo      the collection's rollout.yml and ansible.cfg (pipelining, SSH ControlPersist, forks 20)
  before    rollout.yml as it was before issue 12's speed work (commit 7ea810d: every fact subset
            gathered, the roles included one by one), with the same ansible.cfg
  no-pipe   the collection's, without pipelining (Ansible's default)
  min-facts the collection's, with gather_subset=min (moot since rollout.yml gathers no facts)

Usage: python -m bench.fleet_bench [--sizes 1,3,6] [--settings repo,before,no-pipe,min-facts] [--drift]
(root; needs .lab/fleet-inventory.yml from `azblab up --names lab-a25 ...`). The machine is shared:
wall times measure its load as much as Ansible; CPU seconds per added box is the honest figure.
"""
import argparse
import os
import resource
import subprocess
import sys
import time

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LAB_INVENTORY = os.path.join(REPO, ".lab", "fleet-inventory.yml")
FLEET = os.path.join(REPO, "inventories", "fleet-lab")
BIN = os.path.join(REPO, ".venv", "bin")
BOXES = ["lab-a25", "lab-a26", "lab-a27", "lab-a28", "lab-a29", "lab-a30"]
SETTINGS = {
    "repo": {},
    "before": {},
    "no-pipe": {"ANSIBLE_PIPELINING": "False"},
    "min-facts": {"ANSIBLE_GATHER_SUBSET": "min"},
}
# The "before" setting's playbooks: rollout.yml and drift.yml at this commit, beside their vars/.
BEFORE_COMMIT = "7ea810d"
BEFORE_DIR = os.path.join(REPO, "build", "bench", "fleet-before")


def before_playbook(playbook):
    """playbooks/<playbook>.yml as it was at BEFORE_COMMIT (written under build/bench)."""
    os.makedirs(os.path.join(BEFORE_DIR, "vars"), exist_ok=True)
    for path in ("playbooks/%s.yml" % playbook, "playbooks/vars/fleet_roles.yml"):
        text = subprocess.run(["git", "show", "%s:%s" % (BEFORE_COMMIT, path)], cwd=REPO, check=True,
                              capture_output=True, text=True).stdout
        with open(os.path.join(BEFORE_DIR, path[len("playbooks/"):]), "w") as fh:
            fh.write(text)
    return os.path.join(BEFORE_DIR, playbook + ".yml")


def run(playbook, boxes, setting, extra=()):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "collections"),
               AZB_REPORT_DIR=os.path.join(REPO, "build", "bench-reports"))
    env.update(SETTINGS[setting])
    book = before_playbook(playbook) if setting == "before" else "azblink.nfv." + playbook
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", LAB_INVENTORY, "-i", FLEET, book,
            "-l", ",".join(boxes + ["localhost"])] + list(extra)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=1800)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of children is the largest single process so far (KiB): the controller's main process.
    if res.returncode != 0:
        sys.stderr.write(res.stdout[-3000:] + res.stderr[-2000:])
    return {"rc": res.returncode, "wall": wall, "cpu": cpu, "rss_mib": after.ru_maxrss / 1024.0}


def ensure_fleet(n):
    """The first n fleet appliances running (started with the lab if not); -> those that were new."""
    running = set()
    if os.path.exists(LAB_INVENTORY):
        with open(LAB_INVENTORY) as fh:
            running = set((yaml.safe_load(fh)["all"]["children"]["azb_lab"]["hosts"] or {}))
    wanted = BOXES[:n]
    missing = [b for b in wanted if b not in running]
    if missing:
        subprocess.run([os.path.join(BIN, "python"), "-m", "tests.lab.azblab", "--inventory", LAB_INVENTORY,
                        "up", "--names"] + sorted(set(wanted) | running), cwd=REPO, check=True)
    return missing


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,3,6")
    ap.add_argument("--settings", default="repo,before")
    ap.add_argument("--drift", action="store_true", help="also time drift.yml at each size")
    args = ap.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    if max(sizes) > len(BOXES):
        sys.exit("the fleet inventory has %d appliances; asked for %d" % (len(BOXES), max(sizes)))
    new = ensure_fleet(max(sizes))
    avail = BOXES[:max(sizes)]
    rows = []
    if new:
        # Boxes just started: their first converge (the whole fleet, one batch) is a figure too.
        r = run("rollout", avail, "repo", ["-e", '{"azb_rollout_batches": ["100%"]}'])
        rows.append(("first converge", "repo", len(avail), r))
        print("first converge of %d boxes (%d new): wall %.1f s cpu %.1f s" % (len(avail), len(new), r["wall"], r["cpu"]))
    for n in sizes:
        for setting in args.settings.split(","):
            r = run("rollout", avail[:n], setting, ["-e", '{"azb_rollout_batches": ["100%"]}'])
            rows.append(("no-op converge", setting, n, r))
            if args.drift:
                rows.append(("drift report", setting, n, run("drift", avail[:n], setting)))
            for what, _setting, _n, res in rows[-2 if args.drift else -1:]:
                print("%-15s %-10s N=%-2d rc=%d wall %6.1f s  cpu %6.1f s  peak rss %5.0f MiB" % (
                    what, setting, n, res["rc"], res["wall"], res["cpu"], res["rss_mib"]), flush=True)
    print()
    print("| run | setting | boxes | wall s | controller CPU s | CPU s per added box | peak RSS MiB | rc |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    base = {}
    for what, setting, n, r in sorted(rows, key=lambda row: (row[0], row[1], row[2])):
        key = (what, setting)
        per_box = "-"
        if key in base and n > base[key][0]:
            per_box = "%.2f" % ((r["cpu"] - base[key][1]) / (n - base[key][0]))
        else:
            base[key] = (n, r["cpu"])
        print("| %s | %s | %d | %.1f | %.1f | %s | %.0f | %d |"
              % (what, setting, n, r["wall"], r["cpu"], per_box, r["rss_mib"], r["rc"]))
    print("\nload average at the end: %s" % open("/proc/loadavg").read().split()[:3])


if __name__ == "__main__":
    main()
