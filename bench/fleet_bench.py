"""Benchmark: one controller converging a fleet - how wall time, controller CPU and memory grow
with the number of appliances, and what the settings a user would reach for change.

On the fleet's lab appliances (lab-a25..lab-a30, the fleet-lab inventory, then 14 more laid onto its
five sites by a generated inventory layer; the site is hypervisor + zones, or with --site reference
the whole reference site of inventories/lab on every box) it runs, for each fleet size N
and each controller setting, a no-op converge (rollout.yml in one batch: lock, roles, gate) and,
with --drift, a drift report (drift.yml: check mode and diff), and reads the controller's cost from
the kernel (user+system CPU seconds and peak RSS of ansible-playbook and its workers, via
getrusage(RUSAGE_CHILDREN) around each run). Boxes it starts get their first converge (a figure
too). Not a test: it prints a table and a Mermaid chart of CPU and wall time against fleet size.

Settings compared, in the same run, alternating at each size (the load moves between them):
  repo      the collection and ansible.cfg of this tree (pipelining, SSH ControlPersist, forks 20,
            facts kept under ansible_facts only: inject_facts_as_vars off)
  before    the whole collection and its ansible.cfg at --before REV (git archive under build/bench)
  no-pipe   this tree's, without pipelining (Ansible's default)
  mitogen   this tree's under Mitogen's linear strategy (--mitogen DIR: an unpacked mitogen wheel;
            optional, never a dependency of the collection)
  vars-start  this tree's, with the inventory's vars plugins run once as it loads, not for every task
            (run_vars_plugins = start)
  floor     Ansible's floor: a play of as many tasks of the same kinds per box doing nothing
            (SITES_RUN's floor), on the same boxes

Usage: python -m bench.fleet_bench [--sizes 1,5,10,20] [--settings repo,before] [--before REV] [--drift]
(root). The machine's cores are shared with the appliances: wall times measure the machine as much
as Ansible; controller CPU seconds per added box is the honest figure.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import time

import yaml

from bench import lablib
from tests.lab import demo

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LAB_INVENTORY = os.path.join(REPO, ".lab", "fleet-inventory.yml")
FLEET = os.path.join(REPO, "inventories", "fleet-lab")
BIN = os.path.join(REPO, ".venv", "bin")
BENCH_DIR = os.path.join(REPO, "build", "bench")
# The fleet-lab inventory's six boxes, then lab appliances laid onto its sites for the larger sizes
# (lab-a6 and lab-a12 are left to the VM benchmarks).
FLEET_BOXES = ["lab-a25", "lab-a26", "lab-a27", "lab-a28", "lab-a29", "lab-a30"]
EXTRA_BOXES = ["lab-a%d" % i for i in (1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16)]
BOXES = FLEET_BOXES + EXTRA_BOXES
SITES = ["acme_hq", "acme_north", "acme_south", "globex_east", "globex_west"]
EXTRA_INVENTORY = os.path.join(BENCH_DIR, "fleet-extra.yml")
# This tree's collection as `make collection` placed it, copied when the bench starts: a rebuild
# during a run does not change what the runs measure.
REPO_COLLECTIONS = os.path.join(BENCH_DIR, "collection-worktree")
SETTINGS = {
    "repo": {},
    "before": {},
    "no-pipe": {"ANSIBLE_PIPELINING": "False"},
    "mitogen": {"ANSIBLE_STRATEGY": "mitogen_linear"},
    "floor": {},
    "vars-start": {"ANSIBLE_RUN_VARS_PLUGINS": "start"},
}
# The sites the fleet converges (--site):
#   fleet-lab  inventories/fleet-lab: two tenants, five sites, hypervisor + zones (azb_site_roles)
#   reference  inventories/lab: the reference site on every box (two WANs with failover, four zones
#              and a port forward, the CA with an OpenVPN road warrior, a VM in the office zone)
# with Ansible's floor for each: a play of as many tasks per box, of the same kinds, doing nothing
# (remote module runs, tasks on the controller - includes, argument checks, asserts - and skipped
# tasks of one box's no-op rollout, counted from its output; recounted on 2026-12-03 after the
# zones confirm, the VPN exports, the OS check, the published ports and the lock's release went into
# the modules' own calls).
SITES_RUN = {
    "fleet-lab": {"inventories": [FLEET, EXTRA_INVENTORY], "hosts": "azb_appliances", "extra": [],
                  "floor": {"remote": 5, "controller": 4, "skipped": 2}},
    "reference": {"inventories": [os.path.join(REPO, "inventories", "lab")], "hosts": "azb_lab",
                  # The CA and exported road-warrior files in build/bench (the lab layer puts them
                  # beside the playbook, inside the collection that `make collection` replaces).
                  "extra": ["-e", "azb_target=azb_lab", "-e", "azb_pki_dir=%s/pki" % BENCH_DIR,
                            "-e", "azb_vpn_export_local_dir=%s/vpn-export" % BENCH_DIR,
                            # The gate fetches a page through the WANs, as the fleet-lab's does.
                            "-e", "azb_fleet_gate_probe_url=http://203.0.113.10/ip"],
                  "floor": {"remote": 9, "controller": 7, "skipped": 5}},
}
FLOOR_PLAYBOOK = os.path.join(BENCH_DIR, "fleet-floor.yml")


def floor_playbook(shape, hosts):
    """The floor play: ping for a remote module run, set_fact for a controller task, a skipped ping."""
    tasks = ([{"name": "remote %d" % i, "ansible.builtin.ping": {}} for i in range(shape["remote"])]
             + [{"name": "controller %d" % i, "ansible.builtin.set_fact": {"azb_floor_%d" % i: i}}
                for i in range(shape["controller"])]
             + [{"name": "skipped %d" % i, "ansible.builtin.ping": {}, "when": False} for i in range(shape["skipped"])])
    return [{"name": "Ansible's floor for a no-op rollout", "hosts": hosts, "gather_facts": False,
             "become": True, "tasks": tasks}]


def extra_inventory(boxes):
    """The extra boxes as members of the fleet-lab sites, round robin (an inventory layer)."""
    sites = {site: {"hosts": {}} for site in SITES}
    for i, box in enumerate(boxes):
        sites[SITES[i % len(SITES)]]["hosts"][box] = None
    return {"azb_appliances": {"children": {site: hosts for site, hosts in sites.items() if hosts["hosts"]}}}


def collection_at(rev):
    """-> (collections path, ansible.cfg) of the collection at rev (built once under build/bench)."""
    root = os.path.join(BENCH_DIR, "collection-" + rev)
    return root, os.path.join(lablib.collection_at(rev, root), "ansible.cfg")


def run(playbook, boxes, setting, args, extra=()):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=REPO_COLLECTIONS,
               AZB_REPORT_DIR=os.path.join(REPO, "build", "bench-reports"))
    if setting == "before":  # args is only read for the settings that need it
        env["ANSIBLE_COLLECTIONS_PATH"], env["ANSIBLE_CONFIG"] = collection_at(args.before)
    if setting == "mitogen":
        env["ANSIBLE_STRATEGY_PLUGINS"] = os.path.join(args.mitogen, "ansible_mitogen", "plugins", "strategy")
    env.update(SETTINGS[setting])
    book = FLOOR_PLAYBOOK if setting == "floor" else "azblink.nfv." + playbook
    site = SITES_RUN[args.site]
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", LAB_INVENTORY]
    for inventory in site["inventories"]:
        argv += ["-i", inventory]
    argv += [book, "-l", ",".join(boxes + ["localhost"])] + site["extra"] + list(extra)
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


def ensure_fleet(n, site):
    """The first n fleet appliances running (started with the lab if not; for the reference site with
    the demo's client host in each zone, whose links its zones take); -> those that were new."""
    running = set()
    if os.path.exists(LAB_INVENTORY):
        with open(LAB_INVENTORY) as fh:
            running = set((yaml.safe_load(fh)["all"]["children"]["azb_lab"]["hosts"] or {}))
    wanted = BOXES[:n]
    missing = [b for b in wanted if b not in running]
    if missing:
        subprocess.run([os.path.join(BIN, "python"), "-m", "tests.lab.azblab", "--inventory", LAB_INVENTORY,
                        "up", "--names"] + sorted(set(wanted) | running), cwd=REPO, check=True)
        for box in missing if site == "reference" else []:
            for label, bridge, address, gateway in demo.CLIENTS:
                subprocess.run([os.path.join(BIN, "python"), "-m", "tests.lab.azblab", "--inventory", LAB_INVENTORY,
                                "client", "add", box, label, "--bridge", bridge, "--address", address,
                                "--gateway", gateway], cwd=REPO, check=True, capture_output=True)
    return missing


def per_task_cost(boxes, args, tasks=20):
    """Ansible's controller CPU per task and box, by kind: plays of `tasks` identical tasks on one
    box and on all of `boxes`; -> {kind: ms}."""
    kinds = {"remote module run (ping)": {"ansible.builtin.ping": {}},
             "set_fact": {"ansible.builtin.set_fact": {"azb_floor": 1}},
             "skipped task": {"ansible.builtin.ping": {}, "when": False}}
    out = {}
    for kind, task in kinds.items():
        with open(FLOOR_PLAYBOOK, "w") as fh:
            yaml.safe_dump([{"name": kind, "hosts": SITES_RUN[args.site]["hosts"], "gather_facts": False, "become": True,
                             "tasks": [dict(task, name="%s %d" % (kind, i)) for i in range(tasks)]}], fh, sort_keys=False)
        one = run("rollout", boxes[:1], "floor", args)["cpu"]
        many = run("rollout", boxes, "floor", args)["cpu"]
        out[kind] = (many - one) / (len(boxes) - 1) / tasks * 1000
    return out


def per_added_box(rows):
    """CPU seconds per added box of each (run, setting) against its smallest size: {key: {n: value}}."""
    out = {}
    for what, setting, n, r in sorted(rows, key=lambda row: (row[0], row[1], row[2])):
        base = out.setdefault((what, setting), {"base": (n, r["cpu"])})["base"]
        if n > base[0]:
            out[(what, setting)][n] = (r["cpu"] - base[1]) / (n - base[0])
    return out


def slope(points):
    """Least-squares slope of (boxes, CPU s) points: CPU s per added box over every size measured
    (one size's step moves with the load; the fit over all of them much less)."""
    n = float(len(points))
    mx = sum(x for x, _y in points) / n
    my = sum(y for _x, y in points) / n
    den = sum((x - mx) ** 2 for x, _y in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else None


def mermaid(rows, what, field, title, unit):
    """A Mermaid xychart (GitHub renders it in Markdown) of field against fleet size, a line per setting."""
    settings = sorted({row[1] for row in rows if row[0] == what})
    sizes = sorted({row[2] for row in rows if row[0] == what})
    top = max(r[field] for w, _s, _n, r in rows if w == what)
    lines = ["```mermaid", "xychart-beta", '    title "%s (%s)"' % (title, ", ".join(settings)),
             "    x-axis \"boxes\" [%s]" % ", ".join(str(n) for n in sizes),
             '    y-axis "%s" 0 --> %d' % (unit, int(top * 1.1) + 1)]
    for setting in settings:
        by_n = {n: r[field] for w, st, n, r in rows if w == what and st == setting}
        lines.append("    line [%s]" % ", ".join("%.1f" % by_n[n] if n in by_n else "0" for n in sizes))
    return "\n".join(lines + ["```"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,5,10,20")
    ap.add_argument("--settings", default="repo,before")
    ap.add_argument("--before", default="7ea810d", help="the revision the 'before' setting runs")
    ap.add_argument("--mitogen", default="", help="an unpacked mitogen wheel (for the mitogen setting)")
    ap.add_argument("--drift", action="store_true", help="also time drift.yml at each size")
    ap.add_argument("--site", choices=sorted(SITES_RUN), default="fleet-lab", help="the site every box runs")
    ap.add_argument("--per-task", action="store_true",
                    help="only Ansible's controller CPU per task and box, by kind (20-task plays on 1 box and on the largest size)")
    args = ap.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    if max(sizes) > len(BOXES):
        sys.exit("the bench knows %d appliances; asked for %d" % (len(BOXES), max(sizes)))
    os.makedirs(BENCH_DIR, exist_ok=True)
    with open(EXTRA_INVENTORY, "w") as fh:
        yaml.safe_dump(extra_inventory(EXTRA_BOXES), fh)
    with open(FLOOR_PLAYBOOK, "w") as fh:
        yaml.safe_dump(floor_playbook(SITES_RUN[args.site]["floor"], SITES_RUN[args.site]["hosts"]), fh, sort_keys=False)
    shutil.rmtree(REPO_COLLECTIONS, ignore_errors=True)
    shutil.copytree(os.path.join(REPO, "build", "collections"), REPO_COLLECTIONS, symlinks=True)
    new = ensure_fleet(max(sizes), args.site)
    avail = BOXES[:max(sizes)]
    if args.per_task:
        for kind, ms in per_task_cost(avail, args).items():
            print("%-26s %5.1f ms of controller CPU per task and box" % (kind, ms))
        return
    rows = []
    if new:
        # Boxes just started: their first converge (the whole fleet, one batch) is a figure too.
        r = run("rollout", avail, "repo", args, ["-e", '{"azb_rollout_batches": ["100%"]}'])
        rows.append(("first converge", "repo", len(avail), r))
        print("first converge of %d boxes (%d new): rc %d wall %.1f s cpu %.1f s" % (
            len(avail), len(new), r["rc"], r["wall"], r["cpu"]), flush=True)
    for n in sizes:
        for setting in args.settings.split(","):
            runs = [("no-op converge", run("rollout", avail[:n], setting, args, ["-e", '{"azb_rollout_batches": ["100%"]}']))]
            if args.drift and setting != "floor":
                runs.append(("drift report", run("drift", avail[:n], setting, args)))
            for what, res in runs:
                rows.append((what, setting, n, res))
                print("%-15s %-10s N=%-2d rc=%d wall %6.1f s  cpu %6.1f s  peak rss %5.0f MiB" % (
                    what, setting, n, res["rc"], res["wall"], res["cpu"], res["rss_mib"]), flush=True)
    print("\nsettings: repo = this tree; before = %s\n" % args.before)
    print("| run | setting | boxes | wall s | controller CPU s | CPU s per added box | peak RSS MiB | rc |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    added = per_added_box(rows)
    for what, setting, n, r in sorted(rows, key=lambda row: (row[0], row[1], row[2])):
        per_box = added.get((what, setting), {}).get(n)
        print("| %s | %s | %d | %.1f | %.1f | %s | %.0f | %d |" % (
            what, setting, n, r["wall"], r["cpu"], "-" if per_box is None else "%.2f" % per_box, r["rss_mib"], r["rc"]))
    print()
    for key in sorted({(row[0], row[1]) for row in rows if row[0] != "first converge"}):
        fit = slope([(n, r["cpu"]) for what, setting, n, r in rows if (what, setting) == key])
        if fit is not None:
            print("%s, %s: %.2f controller CPU s per added box (least-squares slope over every size)" % (key[0], key[1], fit))
    for what in sorted({row[0] for row in rows if row[0] != "first converge"}):
        print()
        print(mermaid(rows, what, "cpu", "%s: controller CPU" % what, "CPU s"))
        print(mermaid(rows, what, "wall", "%s: wall time" % what, "s"))
    print("\nload average at the end: %s" % open("/proc/loadavg").read().split()[:3])


if __name__ == "__main__":
    main()
