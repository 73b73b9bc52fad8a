"""Benchmark: the no-op converge of the whole reference site, per role, against Ansible's floor.

On two lab appliances of its own (default lab-a31 as ACME's HQ, lab-a9 as a branch) it converges
playbooks/site.yml from inventories/example's group_vars with the box facts mapped onto the lab the
way the `site` Molecule scenario maps them (extensions/molecule/site/host_vars: the HQ's and the branch's file,
with each box's WAN links taken from the lab), then, in the same run and on the same appliances:

  floor: ping      a bare play of one `ping` task (no facts): one round trip per box
  floor: N tasks   a play that gathers facts and runs N `ping` tasks, N = the module calls the site's
                   no-op converge made per box (what that many round trips cost anyway)
  site no-op       playbooks/site.yml again, nothing to change (changed=0 is checked)

The site's time is broken down per role from ansible.posix.json's per-task timestamps: each task is
charged from its start to the next task's start (the controller's templating and includes between
tasks included), so the rows add up to the run. `calls` counts module calls per box (tasks not skipped),
`tasks` every task the role went through (skipped ones cost controller time only). The last no-op
run's full report is kept in build/converge-bench/noop-report-now.json, its slowest tasks printed.
With --baseline REV the collection as it was at REV (git archive) is timed too, in the same runs on
the same boxes, and the table has its columns beside today's.

  .venv/bin/python -m bench.converge_bench [--hq lab-a31] [--branch lab-a9] [--runs 3] [--keep] [--converged]
      [--baseline REV]

Root (it starts lab appliances). Not a test: it prints a table. The machine is shared: compare the
site with the floors measured in the same run, not with figures from another day.
"""
import argparse
import collections
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time

import yaml

from bench import lablib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(REPO, ".venv/bin/python")
PLAYBOOK = os.path.join(REPO, ".venv/bin/ansible-playbook")
SITE_VARS = os.path.join(REPO, "extensions/molecule/site/host_vars")
# Actions that never reach the box (they cost controller time, no round trip).
CONTROLLER_ONLY = ("set_fact", "debug", "assert", "fail", "meta", "include_tasks", "include_role",
                   "import_tasks", "include_vars", "validate_argument_spec")
# site.yml's own facts call (azb_box_facts), charged to facts like Gathering Facts.
FACTS_TASK = "Learn what the roles read of the box"
ROLE_RE = re.compile(r"^(?:azblink\.nfv\.)?([\w.]+) : ")


def sh(argv, **kw):
    check = kw.pop("check", True)
    return subprocess.run(argv, capture_output=True, text=True, check=check, **kw)


def stamp(text):
    return datetime.datetime.fromisoformat(text.rstrip("Z")).timestamp()


def calls(result):
    """Module calls behind one host's result: one, or one per item of a loop, none when skipped."""
    if result.get("skipped") or result.get("action", "").endswith(CONTROLLER_ONLY):
        return 0  # a loop of includes too (the site role's optional roles)
    if "results" in result and isinstance(result["results"], list):
        return sum(calls(r) for r in result["results"])
    return 1


def breakdown(report):
    """ansible.posix.json's report -> {role: [seconds, tasks, calls per box]}, total seconds."""
    rows = collections.OrderedDict()
    tasks = [t for play in report["plays"] for t in play["tasks"]]
    starts = [stamp(t["task"]["duration"]["start"]) for t in tasks]
    ends = [stamp(t["task"]["duration"].get("end", t["task"]["duration"]["start"])) for t in tasks]
    nhosts = max(1, len(report["stats"]))
    for i, t in enumerate(tasks):
        name = t["task"]["name"]
        m = ROLE_RE.match(name)
        role = m.group(1) if m else ("facts" if name == "Gathering Facts" or name.startswith(FACTS_TASK) else "play")
        until = starts[i + 1] if i + 1 < len(tasks) else ends[i]
        row = rows.setdefault(role, [0.0, 0, 0])
        row[0] += until - starts[i]
        row[1] += 1
        row[2] += sum(calls(r) for r in t["hosts"].values()) / float(nhosts)
    total = (ends[-1] - starts[0]) if tasks else 0.0
    return rows, total


def changed_tasks(report):
    """'host: task (what changed)' for every change in the report."""
    return ["%s: %s %s" % (host, t["task"]["name"], r.get("changed_paths") or r.get("diff") or "")
            for play in report["plays"] for t in play["tasks"] for host, r in t["hosts"].items()
            if r.get("changed")]


def slowest(report, n=15):
    """The n slowest tasks: (seconds from its start to the next task's, name, module calls per box)."""
    tasks = [t for play in report["plays"] for t in play["tasks"]]
    starts = [stamp(t["task"]["duration"]["start"]) for t in tasks] + [None]
    nhosts = max(1, len(report["stats"]))
    out = []
    for i, t in enumerate(tasks):
        until = starts[i + 1] if starts[i + 1] is not None else stamp(t["task"]["duration"].get("end", "")
                                                                      or t["task"]["duration"]["start"])
        out.append((until - starts[i], t["task"]["name"], sum(calls(r) for r in t["hosts"].values()) / float(nhosts)))
    return sorted(out, reverse=True)[:n]


class Bench(object):
    def __init__(self, args):
        self.args = args
        # Fixed, so a run on kept appliances finds the CA and exports of the last one (no re-issue).
        self.tmp = os.path.join(REPO, "build", "converge-bench")
        os.makedirs(self.tmp, exist_ok=True)
        self.lab_inventory = os.path.join(self.tmp, "lab-inventory.yml")
        self.inventory = os.path.join(self.tmp, "inventory")
        self.env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                        ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build/collections"),
                        MOLECULE_EPHEMERAL_DIRECTORY=self.tmp)
        self.boxes = [args.hq, args.branch]

    # --- the estate -------------------------------------------------------------------------------
    def up(self):
        sh(["make", "-s", "collection"], cwd=REPO, timeout=300)
        sh([PY, "-m", "tests.lab.azblab", "--inventory", self.lab_inventory, "up", "--names"] + self.boxes
           + ["--image", "nfv"], cwd=REPO, timeout=900)

    def down(self):
        sh([PY, "-m", "tests.lab.azblab", "--inventory", self.lab_inventory, "down", "--only"] + self.boxes,
           cwd=REPO, timeout=300, check=False)

    def write_inventory(self):
        """The site scenario's mapping: the example's group_vars, extensions/molecule/site's host_vars (HQ, branch)
        with each box's WAN links from the lab."""
        with open(self.lab_inventory) as f:
            lab = yaml.safe_load(f)["all"]["children"]["azb_lab"]["hosts"]
        shutil.rmtree(self.inventory, ignore_errors=True)
        os.makedirs(os.path.join(self.inventory, "host_vars"))
        os.symlink(os.path.join(REPO, "inventories/example/group_vars"), os.path.join(self.inventory, "group_vars"))
        for box, src in ((self.args.hq, "lab-a10.yml"), (self.args.branch, "lab-a11.yml")):
            with open(os.path.join(SITE_VARS, src)) as f:
                hv = yaml.safe_load(f)
            for wan in lab[box]["azb_lab_wans"]:
                hv["azb_" + wan["name"]] = {"interface": wan["interface"], "address": wan["address"],
                                            "gateway": wan["gateway"]}
            hv.update({k: v for k, v in lab[box].items() if k.startswith("ansible_")})
            with open(os.path.join(self.inventory, "host_vars", box + ".yml"), "w") as f:
                yaml.safe_dump(hv, f)
        hosts = {"azb_appliances": {"children": {"tenant_acme": {"children": {
            "acme_hq": {"hosts": {self.args.hq: None}},
            "acme_branches": {"hosts": {self.args.branch: None}}}}}}}
        with open(os.path.join(self.inventory, "hosts.yml"), "w") as f:
            yaml.safe_dump(hosts, f)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def play(self, path, json_report=False, collections=None):
        env = dict(self.env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json") if json_report else dict(self.env)
        if collections:
            env["ANSIBLE_COLLECTIONS_PATH"] = collections
        t0 = time.time()
        p = sh([PLAYBOOK, "-i", self.inventory, path], cwd=REPO, env=env, timeout=1800, check=False)
        wall = time.time() - t0
        if p.returncode:
            sys.exit("playbook %s failed:\n%s\n%s" % (path, p.stdout[-6000:], p.stderr[-3000:]))
        if json_report:
            report = json.loads(p.stdout[p.stdout.index("{"):])
            changed = sum(s["changed"] for s in report["stats"].values())
            return wall, changed, report
        changed = sum(int(c) for c in re.findall(r"changed=(\d+)", p.stdout))
        return wall, changed, None

    def baseline(self, rev):
        """The collection as it was at `rev` (git archive), to be measured in the same run."""
        root = os.path.join(self.tmp, "baseline")
        shutil.rmtree(root, ignore_errors=True)
        return root, os.path.join(lablib.collection_at(rev, root), "playbooks", "site.yml")

    # --- the runs ---------------------------------------------------------------------------------
    def main(self):
        self.up()
        try:
            self.write_inventory()
            site = os.path.join(REPO, "playbooks/site.yml")
            variants = [("now", site, None)]
            if self.args.baseline:
                coll, old_site = self.baseline(self.args.baseline)
                variants.append((self.args.baseline, old_site, coll))
            if not self.args.converged:
                wall, changed, _r = self.play(site)
                print("first converge: %.1f s (changed=%d)" % (wall, changed), flush=True)
            ping = self.write("ping.yml", "- hosts: azb_appliances\n  gather_facts: false\n  tasks:\n"
                              "    - ansible.builtin.ping:\n")
            results = []
            for run in range(self.args.runs):
                row = {}
                for label, path, coll in variants:
                    wall, changed, report = self.play(path, json_report=True, collections=coll)
                    with open(os.path.join(self.tmp, "noop-report-%s.json" % label), "w") as f:
                        json.dump(report, f)
                    if changed:
                        sys.exit("%s: not a no-op: %d changes\n%s" % (label, changed, "\n".join(changed_tasks(report))))
                    roles, _total = breakdown(report)
                    row[label] = (wall, roles, int(round(sum(r[2] for r in roles.values()))), report)
                    print("run %d: site no-op (%s) %.1f s, %d module calls per box" % (run + 1, label, wall, row[label][2]),
                          flush=True)
                ncalls_box = row["now"][2]
                floor_n = self.write("floor.yml", "- hosts: azb_appliances\n  become: true\n  gather_facts: true\n"
                                     "  tasks:\n" + "    - ansible.builtin.ping:\n" * max(0, ncalls_box - 1))
                row["ping"] = self.play(ping)[0]
                row["floor"] = self.play(floor_n)[0]
                results.append(row)
                print("run %d: ping play %.1f s, facts + %d ping tasks %.1f s"
                      % (run + 1, row["ping"], ncalls_box - 1, row["floor"]), flush=True)
        finally:
            if not self.args.keep:
                self.down()
        self.table(results, [v[0] for v in variants])

    def table(self, results, labels):
        best = min(results, key=lambda r: r["now"][0])
        print("\nBest of %d runs by the site's time now (both boxes in parallel, %s and %s):\n"
              % (len(results), self.args.hq, self.args.branch))
        print("| role | " + " | ".join("%s: s | %s: tasks | %s: calls per box" % (l, l, l) for l in labels) + " |")
        print("| --- |" + " --- | --- | --- |" * len(labels))
        names = sorted(set(n for l in labels for n in best[l][1]), key=lambda n: -best[labels[-1]][1].get(n, [0])[0])
        for name in names:
            cells = []
            for l in labels:
                secs, tasks, ncalls = best[l][1].get(name, (0.0, 0, 0))
                cells.append("%.1f | %d | %.0f" % (secs, tasks, ncalls))
            print("| %s | %s |" % (name, " | ".join(cells)))
        print("| **total** | %s |" % " | ".join("**%.1f** | %d | %d" % (best[l][0], sum(r[1] for r in best[l][1].values()),
                                                                        best[l][2]) for l in labels))
        print("\n| slowest tasks now | seconds | module calls per box |\n| --- | --- | --- |")
        for secs, name, ncalls in slowest(best["now"][3]):
            print("| %s | %.1f | %.0f |" % (name, secs, ncalls))
        print("\n| run | seconds |\n| --- | --- |")
        for l in labels:
            print("| site no-op converge, %s (ansible-playbook wall) | %.1f |" % (l, best[l][0]))
        print("| floor: one `ping` task, no facts | %.1f |" % best["ping"])
        print("| floor: facts + %d `ping` tasks (the site's module calls now) | %.1f |" % (best["now"][2] - 1, best["floor"]))
        print("\nall runs, site s: %s; load average at the end: %s" % (
            "; ".join(", ".join("%s %.1f" % (l, r[l][0]) for l in labels) for r in results),
            " ".join(open("/proc/loadavg").read().split()[:3])))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hq", default="lab-a31")
    ap.add_argument("--branch", default="lab-a9")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="leave the appliances running (and converged)")
    ap.add_argument("--converged", action="store_true",
                    help="the appliances were kept converged by an earlier run: skip the first converge")
    ap.add_argument("--baseline", metavar="REV",
                    help="also time the collection as it was at this git revision, in the same runs")
    Bench(ap.parse_args()).main()
