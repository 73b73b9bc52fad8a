"""The closing summary of `make test`: every stage, every scenario and every test, in one place.

It reads the JUnit reports of the pytest stages (unit tests, each scenario's testinfra verify), the
stage results the Makefile records (stages.tsv: name, status, seconds) and the scenario runner's
scenarios.json. A stage or a scenario that failed without a failing test in a report (a lint error, a
converge that broke) counts as one failure under its own id, so a run that failed anywhere can never
print "0 failed". The last line has the plain form CI reads ("N passed, N failed"); zero tests
executed is a failure too.
"""
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET


def junit(path):
    """(passed, failed ids, skipped [(id, reason)]) of one JUnit report."""
    passed, failed, skipped = 0, [], []
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        cid = "%s::%s" % (case.get("classname", ""), case.get("name", ""))
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(cid)
        elif case.find("skipped") is not None:
            skipped.append((cid, case.find("skipped").get("message") or "no reason given"))
        else:
            passed += 1
    return passed, failed, skipped


# The lines of a scenario's log that say why it broke: Ansible's errors (a failed task's message;
# the YAML callback puts only "fatal: [box]: FAILED! =>" on the fatal line itself), Molecule's last word.
# CI shows only the end of the output, so these come right before the last line, cut short.
WHY = re.compile(r"^(\[ERROR\]: |(fatal|failed): .*=> *\S|CRITICAL |Traceback|\S+Error: )")


def why(log, lines=12, width=700):
    """The last few lines of a log that name its failure, each cut to `width` characters."""
    try:
        with open(log, errors="replace") as fh:
            hits = [ln.rstrip("\n") for ln in fh if WHY.match(ln)]
    except OSError:
        return []
    return [ln if len(ln) <= width else ln[:width] + " ..." for ln in hits[-lines:]]


def read_stages(reports):
    out = []
    try:
        with open(os.path.join(reports, "stages.tsv")) as fh:
            for line in fh:
                name, status, secs = line.rstrip("\n").split("\t")
                out.append((name, status, int(secs)))
    except OSError:
        pass
    return out


def read_scenarios(reports):
    try:
        with open(os.path.join(reports, "scenarios.json")) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {"scenarios": {}}


def main(reports):
    passed = 0
    failed, skipped = [], []
    per_report = {}
    for path in sorted(glob.glob(os.path.join(reports, "*.xml"))):
        try:
            p, f, s = junit(path)
        except ET.ParseError as exc:
            p, f, s = 0, ["%s (unreadable report: %s)" % (os.path.basename(path), exc)], []
        per_report[os.path.basename(path)] = (p, len(f), len(s))
        passed, skipped = passed + p, skipped + s
        failed += f
    for name, status, secs in read_stages(reports):
        print("stage %-9s %-7s %5ds" % (name, status, secs))
        if status != "passed" and name != "molecule":
            failed.append("stage:%s" % name)
    scen = read_scenarios(reports)
    reasons = []
    for name, r in sorted(scen["scenarios"].items(), key=lambda kv: -kv[1]["seconds"]):
        p, f, s = per_report.get("molecule-%s.xml" % name, (0, 0, 0))
        print("scenario %-14s %-7s %5ds  verify: %d passed, %d failed, %d skipped"
              % (name, r["status"], r["seconds"], p, f, s))
        if r["status"] != "passed" and not f:
            failed.append("scenario:%s (see %s)" % (name, r["log"]))
            reasons += ["  %s: %s" % (name, ln) for ln in why(r["log"])]
    if scen.get("wall_seconds"):
        print("scenarios: %d s wall with up to %s side by side" % (scen["wall_seconds"], scen.get("jobs")))
    # A skip says why (a kernel probe's answer): the summary repeats it, as CI shows only the end.
    for cid, reason in skipped:
        print("SKIPPED %s: %s" % (cid, reason))
    for cid in failed:
        print("FAILED %s" % cid)
    if reasons:
        print("why (from the failed scenarios' logs):")
        print("\n".join(reasons))
    print("make test: %d passed, %d failed, %d skipped" % (passed, len(failed), len(skipped)))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/reports"))
