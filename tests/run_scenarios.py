"""Run Molecule scenarios (and lab tests of tests/integration) side by side, each on its own lab appliances, and report per scenario.

`make molecule` calls this. Up to --jobs scenarios run at once; two scenarios that name the same
appliance (platforms in their molecule.yml) never run together. Each scenario's output goes to
build/reports/molecule-NAME.log; a line per scenario says how it ended and how long it took, and
build/reports/scenarios.json keeps the same for the closing summary. The run leases its appliances
in the lab (AZB_LAB_LEASE_PID = this process), so another `make test` running at the same time waits
for an appliance instead of tearing it down.
"""
import argparse
import ast
import json
import os
import re
import subprocess
import sys
import time

import yaml


def platforms(scenario):
    """The appliances a scenario runs on: its molecule.yml platforms, or for a pytest scenario
    (tests/integration/test_NAME.py) the APPLIANCES list at the top of the file."""
    mol = scenario_file(scenario)
    if os.path.exists(mol):
        with open(mol) as fh:
            return {p["name"] for p in yaml.safe_load(fh).get("platforms", [])}
    with open(pytest_file(scenario)) as fh:
        return set(ast.literal_eval(re.search(r"^APPLIANCES = (\[.*?\])", fh.read(), re.M).group(1)))


def scenario_file(scenario):
    """A Molecule scenario of the collection: extensions/molecule/NAME/molecule.yml (where Molecule
    looks for a collection's scenarios)."""
    return os.path.join("extensions", "molecule", scenario, "molecule.yml")


def pytest_file(scenario):
    return os.path.join("tests", "integration", "test_%s.py" % scenario)


def command(scenario, args):
    if os.path.exists(scenario_file(scenario)):
        return [args.molecule, "test", "-s", scenario]
    return [os.path.join(os.path.dirname(args.molecule), "pytest"), "-v", "-p", "no:cacheprovider",
            "--junitxml=%s" % os.path.join(os.path.abspath(args.reports), "molecule-%s.xml" % scenario),
            pytest_file(scenario)]


def tail(path, lines=60):
    try:
        with open(path, errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])
    except OSError:
        return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--reports", default="build/reports")
    ap.add_argument("--molecule", default=".venv/bin/molecule")
    ap.add_argument("--solo", default="", help="scenarios that run alone (space-separated): their timing "
                    "checks (WAN failover probes) need a box no other scenario starves of CPU")
    args = ap.parse_args()
    os.makedirs(args.reports, exist_ok=True)
    env = dict(os.environ, AZB_LAB_LEASE_PID=str(os.getpid()))
    pending = list(args.scenarios)
    boxes = {s: platforms(s) for s in pending}
    running, results = {}, {}
    solo = set(args.solo.split())
    t_all = time.time()
    while pending or running:
        busy = set().union(*[boxes[s] for s in running]) if running else set()
        for s in list(pending):
            if len(running) >= args.jobs or any(r in solo for r in running):
                break
            if boxes[s] & busy or (s in solo and running):
                continue
            log = os.path.join(args.reports, "molecule-%s.log" % s)
            fh = open(log, "w")  # noqa: SIM115 (closed when the scenario ends)
            proc = subprocess.Popen(command(s, args), stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                    env=env)
            running[s] = (proc, fh, time.time(), log)
            busy |= boxes[s]
            pending.remove(s)
            print("scenario %s: started on %s" % (s, " ".join(sorted(boxes[s]))), flush=True)
        time.sleep(1)
        for s, (proc, fh, t0, log) in list(running.items()):
            if proc.poll() is None:
                continue
            fh.close()
            secs = round(time.time() - t0)
            ok = proc.returncode == 0
            results[s] = {"status": "passed" if ok else "failed", "seconds": secs, "log": log}
            print("scenario %s: %s in %ds (log: %s)" % (s, results[s]["status"], secs, log), flush=True)
            if not ok:
                print("---- last lines of %s ----\n%s----" % (log, tail(log)), flush=True)
            del running[s]
    with open(os.path.join(args.reports, "scenarios.json"), "w") as fh:
        json.dump({"wall_seconds": round(time.time() - t_all), "jobs": args.jobs, "scenarios": results}, fh,
                  indent=1)
    return 0 if all(r["status"] == "passed" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
