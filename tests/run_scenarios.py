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
import shlex
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


def molecule_steps(scenario):
    with open(scenario_file(scenario)) as fh:
        return ((yaml.safe_load(fh) or {}).get("scenario") or {}).get("test_sequence") or []


def parts(scenario, args, solo):
    """A scenario's commands in order, each with whether it must run alone. A solo Molecule scenario runs
    its steps one by one so that only its timed step (verify) waits for a lab of its own: its set-up
    (create, prepare, converge, idempotence) runs beside the other scenarios. As `molecule test` does, a
    failed step still gets the cleanup and destroy steps."""
    seq = molecule_steps(scenario) if os.path.exists(scenario_file(scenario)) else []
    if scenario not in solo or "verify" not in seq:
        return [(command(scenario, args), scenario in solo)]
    at = seq.index("verify")

    def step(name):
        return "%s %s -s %s" % (shlex.quote(args.molecule), name, shlex.quote(scenario))
    undo = "; ".join(step(n) for n in seq[at + 1:])
    setup = "%s || { rc=$?; %s; exit $rc; }" % (" && ".join(step(n) for n in seq[:at]), undo)
    timed = "%s; rc=$?; %s; exit $rc" % (step("verify"), "; ".join(
        "%s || [ $rc != 0 ] || rc=1" % step(n) for n in seq[at + 1:]))
    return [(["sh", "-c", setup], False), (["sh", "-c", timed], True)]


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
    solo = set(args.solo.split())
    plan = {s: parts(s, args, solo) for s in args.scenarios}
    boxes = {s: platforms(s) for s in args.scenarios}
    pending = [(s, 0) for s in args.scenarios]  # (scenario, index of its next part)
    running, results, started = {}, {}, {}

    def alone(s, i):
        return plan[s][i][1]
    t_all = time.time()
    while pending or running:
        busy = set().union(*[boxes[s] for s in running]) if running else set()
        for s, i in list(pending):
            if len(running) >= args.jobs or any(alone(r, running[r][4]) for r in running):
                break
            if boxes[s] & busy or (alone(s, i) and running):
                continue
            log = os.path.join(args.reports, "molecule-%s.log" % s)
            fh = open(log, "a" if i else "w")  # noqa: SIM115 (closed when the part ends)
            proc = subprocess.Popen(plan[s][i][0], stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                    env=env)
            running[s] = (proc, fh, time.time(), log, i)
            started.setdefault(s, time.time())
            busy |= boxes[s]
            pending.remove((s, i))
            what = "started" if not i else "part %d started%s" % (i + 1, " (alone)" if alone(s, i) else "")
            print("scenario %s: %s on %s" % (s, what, " ".join(sorted(boxes[s]))), flush=True)
        time.sleep(1)
        for s, (proc, fh, t0, log, i) in list(running.items()):
            if proc.poll() is None:
                continue
            fh.close()
            del running[s]
            ok = proc.returncode == 0
            if ok and i + 1 < len(plan[s]):
                pending.append((s, i + 1))
                print("scenario %s: part %d passed in %ds" % (s, i + 1, round(time.time() - t0)), flush=True)
                continue
            secs = round(time.time() - started[s])
            results[s] = {"status": "passed" if ok else "failed", "seconds": secs, "log": log}
            print("scenario %s: %s in %ds (log: %s)" % (s, results[s]["status"], secs, log), flush=True)
            if not ok:
                print("---- last lines of %s ----\n%s----" % (log, tail(log)), flush=True)
    with open(os.path.join(args.reports, "scenarios.json"), "w") as fh:
        json.dump({"wall_seconds": round(time.time() - t_all), "jobs": args.jobs, "scenarios": results}, fh,
                  indent=1)
    return 0 if all(r["status"] == "passed" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
